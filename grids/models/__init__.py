"""The app's models, one module per feature; tables and migrations stay with the app."""

from grids.moves.models import MoveRequest
from grids.residents.models import Household, PersonalDataAccess, PopulationTag, Resident, ResidentChange
from grids.roster.models import RosterImport
from grids.tree.models import (
    NODE_FIELDS,
    NODE_PERMISSIONS,
    ROLE_NODE_FIELDS,
    ROLE_PERMISSIONS,
    Community,
    CommunityGroupObjectPermission,
    CommunityUserObjectPermission,
    Department,
    DepartmentGroupObjectPermission,
    DepartmentUserObjectPermission,
    Grid,
    GridGroupObjectPermission,
    GridUserObjectPermission,
    Node,
    Post,
    Role,
    Street,
    StreetGroupObjectPermission,
    StreetUserObjectPermission,
)
from grids.visits.models import Visit, VisitPhoto

__all__ = [
    "NODE_FIELDS",
    "NODE_PERMISSIONS",
    "ROLE_NODE_FIELDS",
    "ROLE_PERMISSIONS",
    "Community",
    "CommunityGroupObjectPermission",
    "CommunityUserObjectPermission",
    "Department",
    "DepartmentGroupObjectPermission",
    "DepartmentUserObjectPermission",
    "Grid",
    "GridGroupObjectPermission",
    "GridUserObjectPermission",
    "Household",
    "MoveRequest",
    "Node",
    "PersonalDataAccess",
    "PopulationTag",
    "Post",
    "Resident",
    "ResidentChange",
    "Role",
    "RosterImport",
    "Street",
    "StreetGroupObjectPermission",
    "StreetUserObjectPermission",
    "Visit",
    "VisitPhoto",
]

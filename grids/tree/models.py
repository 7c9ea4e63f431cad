"""The territory tree (street → community → grid, plus departments) and posts.

Permissions live on the nodes as django-guardian direct foreign-key object
permissions; a permission on a node covers everything beneath it (see access.py).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from grids.tree.validators import validate_boundary, validate_code, validate_name

# One vocabulary of object permissions, declared on every node model so that a
# role can be granted the same codename at whichever level its post sits.
NODE_PERMISSIONS = [
    ("view_node", _("View this node and everything beneath it")),
    ("change_node", _("Work on this node and everything beneath it")),
    ("manage_node", _("Edit the settings of this node and those beneath it")),
    ("manage_posts", _("Create and end posts at this node and beneath it")),
    ("view_pii", _("See unmasked personal data at this node and beneath it")),
    ("mediate", _("Be assigned dispute cases at this node and beneath it")),
]


class Node(models.Model):
    """Fields shared by every node of the tree."""

    name = models.CharField(_("name"), max_length=64, validators=[validate_name])
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[validate_code])
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    kind_label: str = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class Street(Node):
    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["code"]
        default_permissions = ("add", "change", "delete", "view")
        permissions = NODE_PERMISSIONS

    def get_absolute_url(self) -> str:
        return reverse("grids:street", args=[self.pk])


class Community(Node):
    class Kind(models.TextChoices):
        COMMUNITY = "community", _("Community")
        VILLAGE = "village", _("Village")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMMUNITY)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]
        permissions = NODE_PERMISSIONS
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="community_name_unique_in_street"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("grids:community", args=[self.pk])


class Grid(Node):
    class Kind(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("Comprehensive grid")
        DEDICATED = "dedicated", _("Dedicated grid")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPREHENSIVE)
    household_target = models.PositiveIntegerField(
        _("household target"),
        default=300,
        validators=[MinValueValidator(1), MaxValueValidator(5000)],
        help_text=_("Households the grid is meant to cover (usually 80–500)."),
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True, validators=[validate_boundary])

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        permissions = NODE_PERMISSIONS
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="grid_name_unique_in_community"),
            models.CheckConstraint(condition=Q(household_target__gte=1), name="grid_household_target_positive"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("grids:grid", args=[self.pk])


class Department(Node):
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="departments", verbose_name=_("street"))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]
        permissions = NODE_PERMISSIONS
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="department_name_unique_in_street"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("grids:department", args=[self.pk])


class StreetUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Street, on_delete=models.CASCADE)


class StreetGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Street, on_delete=models.CASCADE)


class CommunityUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Community, on_delete=models.CASCADE)


class CommunityGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Community, on_delete=models.CASCADE)


class GridUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Grid, on_delete=models.CASCADE)


class GridGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Grid, on_delete=models.CASCADE)


class DepartmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)


class DepartmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)


class Role(models.TextChoices):
    STREET_ADMIN = "street_admin", _("Street administrator")
    STREET_OFFICIAL = "street_official", _("Street official")
    COMMUNITY_LEADER = "community_leader", _("Community leader")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    GRID_LEADER = "grid_leader", _("Grid leader")
    GRID_WORKER = "grid_worker", _("Grid worker")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    MEDIATOR = "mediator", _("Mediator")


# Which kind of node each role is held at.
ROLE_NODE_FIELDS: dict[str, tuple[str, ...]] = {
    Role.STREET_ADMIN: ("street",),
    Role.STREET_OFFICIAL: ("street",),
    Role.COMMUNITY_LEADER: ("community",),
    Role.COMMUNITY_STAFF: ("community",),
    Role.GRID_LEADER: ("grid",),
    Role.GRID_WORKER: ("grid",),
    Role.DEPARTMENT_STAFF: ("department",),
    Role.MEDIATOR: ("street", "community"),
}

# What each role may do at its node (and, by inheritance, beneath it).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.STREET_ADMIN: ("view_node", "change_node", "manage_node", "manage_posts", "view_pii"),
    Role.STREET_OFFICIAL: ("view_node", "change_node"),
    Role.COMMUNITY_LEADER: ("view_node", "change_node", "manage_node", "view_pii"),
    Role.COMMUNITY_STAFF: ("view_node", "change_node"),
    Role.GRID_LEADER: ("view_node", "change_node"),
    Role.GRID_WORKER: ("view_node", "change_node"),
    Role.DEPARTMENT_STAFF: ("view_node", "change_node"),
    Role.MEDIATOR: ("mediate",),
}

NODE_FIELDS = ("street", "community", "grid", "department")


def _exactly_one_node(allowed: tuple[str, ...]) -> Q:
    condition = Q()
    for field in allowed:
        option = Q(**{f"{field}__isnull": False})
        for other in NODE_FIELDS:
            if other != field:
                option &= Q(**{f"{other}__isnull": True})
        condition |= option
    return condition


def _role_node_condition() -> Q:
    condition = Q()
    for role, fields in ROLE_NODE_FIELDS.items():
        condition |= Q(role=role) & _exactly_one_node(fields)
    return condition


class PostQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> PostQuerySet:
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gt=day), start_date__lte=day)

    def in_street(self, street_id: int) -> PostQuerySet:
        return self.filter(
            Q(street_id=street_id)
            | Q(community__street_id=street_id)
            | Q(grid__community__street_id=street_id)
            | Q(department__street_id=street_id)
        )


class Post(models.Model):
    """User U holds role R at exactly one node from start_date until end_date.

    end_date is the first day the post no longer applies, so ending a post
    "today" takes effect at once; an open-ended post has no end_date.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    street = models.ForeignKey(
        Street, null=True, blank=True, on_delete=models.PROTECT, related_name="posts", verbose_name=_("street")
    )
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.PROTECT, related_name="posts", verbose_name=_("community")
    )
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="posts", verbose_name=_("grid")
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("department"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        help_text=_("From this day on the post no longer applies; leave empty if open-ended."),
    )
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("E.g. temporary cover (代班) for someone.")
    )
    # Whether the role's permissions are currently granted; kept in step by the
    # post actions and the periodic sync, so date boundaries take effect.
    granted = models.BooleanField(_("permissions granted"), default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=_role_node_condition(), name="post_role_matches_one_node"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="post_end_not_before_start",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "start_date"], name="post_user_start_idx"),
            models.Index(fields=["start_date", "end_date"], name="post_dates_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.node}"

    @property
    def node(self) -> Street | Community | Grid | Department:
        for field in NODE_FIELDS:
            if getattr(self, f"{field}_id") is not None:
                return getattr(self, field)
        raise ValueError("post has no node")

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date > day)



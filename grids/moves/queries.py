"""Reads about move requests, already scoped to the user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from grids import access
from grids.moves.models import MoveRequest


def to_decide(user: Any) -> QuerySet[MoveRequest]:
    """Requests about people in the user's grids (or beneath their community or street)."""
    grids = access.visible_grids(user, access.CHANGE).values("pk")
    return MoveRequest.objects.filter(from_grid_id__in=grids)


def asked_by(user: Any) -> QuerySet[MoveRequest]:
    return MoveRequest.objects.filter(requested_by=user)


def waiting_count(user: Any) -> int:
    return to_decide(user).filter(status=MoveRequest.Status.PENDING).count()

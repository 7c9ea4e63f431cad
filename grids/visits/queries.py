"""Reads about visits: who is due a visit by their tags' rules, and a household's visits."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import access
from grids.residents.models import Resident
from grids.shared.sections import Activity
from grids.tree.models import Grid
from grids.visits.models import Visit

# How many of a grid's residents due a visit its page lists (the count covers them all).
GRID_PAGE_DUE = 10


@dataclass
class Due:
    resident: Resident
    tag: str
    every_days: int
    last_visit: datetime.date | None
    days_overdue: int


def visits_due(
    user: Any, *, limit: int | None = 50, grid_id: int | None = None, perm: str = access.CHANGE
) -> list[Due]:
    """Residents (living here) whose tag's visit rule is overdue, most overdue first: of the
    grids the user works on, or of one grid they may see (`perm`).

    A visit to the household counts for every member. Three queries, whatever the grid's size.
    """
    today = timezone.localdate()
    residents = access.scoped(user, Resident.objects.all(), perm)
    if grid_id is not None:
        residents = residents.filter(grid_id=grid_id)
    tagged = list(
        residents.filter(moved_out_on__isnull=True, tags__visit_interval_days__isnull=False, tags__is_active=True)
        .select_related("household", "grid")
        .prefetch_related("tags")
        .distinct()
    )
    if not tagged:
        return []
    last_by_resident = dict(
        Visit.objects.filter(resident__in=[r.pk for r in tagged])
        .values("resident")
        .annotate(last=Max("visited_on"))
        .values_list("resident", "last")
    )
    last_by_household = dict(
        Visit.objects.filter(Q(household__in={r.household_id for r in tagged}))
        .values("household")
        .annotate(last=Max("visited_on"))
        .values_list("household", "last")
    )
    due = []
    for resident in tagged:
        rules = [(t.visit_interval_days, t.name) for t in resident.tags.all() if t.visit_interval_days and t.is_active]
        every, tag = min(rules)
        visits = [d for d in (last_by_resident.get(resident.pk), last_by_household.get(resident.household_id)) if d]
        last = max(visits) if visits else None
        # Never visited counts from when the resident was added.
        since = last or timezone.localtime(resident.created_at).date()
        overdue = (today - since).days - every
        if overdue >= 0:
            due.append(Due(resident, tag, every, last, overdue))
    due.sort(key=lambda d: (-d.days_overdue, d.resident.pk))
    return due[:limit] if limit is not None else due


def resident_page_section(user: Any, resident: Resident) -> dict[str, Any]:
    """The resident page's visits: to them, or to their household as a whole; the latest 20."""
    visits = Visit.objects.filter(Q(resident=resident) | Q(household_id=resident.household_id, resident=None))
    return {"visits": visits.select_related("by").order_by("-visited_on", "-id")[:20]}


def grid_page_section(user: Any, grid: Grid) -> dict[str, Any]:
    """The grid page's residents due a visit by their tags' rules, most overdue first."""
    due = visits_due(user, grid_id=grid.pk, perm=access.VIEW, limit=None)
    return {"due": due[:GRID_PAGE_DUE], "count": len(due)}


def grid_activity(user: Any, grid: Grid, limit: int) -> list[Activity]:
    """The grid's latest visits, by the day they were made."""
    visits = (
        access.scoped(user, Visit.objects.filter(grid_id=grid.pk))
        .select_related("by", "resident", "household")
        .order_by("-visited_on", "-id")[:limit]
    )
    detail = reverse("grids:visit_detail", args=[0])[: -len("0/")]
    kinds = dict(Visit.Kind.choices)
    entries = []
    for visit in visits:
        # Noon of the day: a visit counts for its day, after the morning's events and before the evening's.
        at = timezone.make_aware(datetime.datetime.combine(visit.visited_on, datetime.time(12)))
        who = visit.resident.name if visit.resident else visit.household.address
        entries.append(
            Activity(
                at=at,
                kind=_("Visit"),
                text=f"{who} · {kinds[visit.kind]}",
                url=f"{detail}{visit.pk}/",
                by=(visit.by.first_name or visit.by.username) if visit.by else "",
                day_only=True,
            )
        )
    return entries

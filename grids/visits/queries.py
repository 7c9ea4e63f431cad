"""Reads about visits: who is due a visit by their tags' rules, and a household's visits."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from grids import access
from grids.residents.models import Resident
from grids.visits.models import Visit


@dataclass
class Due:
    resident: Resident
    tag: str
    every_days: int
    last_visit: datetime.date | None
    days_overdue: int


def visits_due(user: Any, *, limit: int = 50) -> list[Due]:
    """Residents (living here) whose tag's visit rule is overdue, most overdue first.

    A visit to the household counts for every member. Three queries, whatever the grid's size.
    """
    today = timezone.localdate()
    tagged = list(
        access.scoped(user, Resident.objects.all(), access.CHANGE)
        .filter(moved_out_on__isnull=True, tags__visit_interval_days__isnull=False, tags__is_active=True)
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
    return due[:limit]


def resident_page_section(user: Any, resident: Resident) -> dict[str, Any]:
    """The resident page's visits: to them, or to their household as a whole; the latest 20."""
    visits = Visit.objects.filter(Q(resident=resident) | Q(household_id=resident.household_id, resident=None))
    return {"visits": visits.select_related("by").order_by("-visited_on", "-id")[:20]}

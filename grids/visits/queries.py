"""Reads about visits: who is due a visit by their tags' rules, and a household's visits."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DateField, Func, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import access
from grids.residents.models import PopulationTag, Resident
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


class _AddDays(Func):
    """A date plus a number of days, as a date."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        # PostgreSQL: date + integer is a date.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        return super().as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '+' || ", **extra_context
        )


def _due_residents(user: Any, *, grid_id: int | None, perm: str) -> QuerySet[Resident]:
    """Residents (living here) whose tag's visit rule is overdue, most overdue first.

    Each resident's rule (their active tag with the shortest interval, by name on a tie),
    last visit (to them or to their household: a household visit counts for every member)
    and the day they fell due are worked out in the database, so a page that shows the
    first few reads only those, whatever the size of the grid.
    """
    today = timezone.localdate()
    rule = PopulationTag.objects.filter(
        residents=OuterRef("pk"), is_active=True, visit_interval_days__gt=0
    ).order_by("visit_interval_days", "name")
    to_resident = Visit.objects.filter(resident=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
    to_household = (
        Visit.objects.filter(household=OuterRef("household_id")).order_by("-visited_on").values("visited_on")[:1]
    )
    residents = access.scoped(user, Resident.objects.filter(moved_out_on__isnull=True), perm)
    if grid_id is not None:
        residents = residents.filter(grid_id=grid_id)
    return (
        residents.annotate(
            every=Subquery(rule.values("visit_interval_days")[:1]),
            rule_tag=Subquery(rule.values("name")[:1]),
            by_resident=Subquery(to_resident),
            by_household=Subquery(to_household),
        )
        .filter(every__isnull=False)
        # GREATEST of the two, written so that a missing one is skipped on every database.
        .annotate(last=Greatest(Coalesce("by_resident", "by_household"), Coalesce("by_household", "by_resident")))
        # Never visited counts from when the resident was added.
        .annotate(since=Coalesce("last", TruncDate("created_at")))
        .annotate(due_on=_AddDays("since", "every"))
        .filter(due_on__lte=today)
        .order_by("due_on", "pk")
    )


def _due(resident: Resident, today: datetime.date) -> Due:
    since = resident.last or timezone.localtime(resident.created_at).date()
    return Due(resident, resident.rule_tag, resident.every, resident.last, (today - since).days - resident.every)


def visits_due(
    user: Any, *, limit: int | None = 50, grid_id: int | None = None, perm: str = access.CHANGE
) -> list[Due]:
    """Residents (living here) whose tag's visit rule is overdue, most overdue first: of the
    grids the user works on, or of one grid they may see (`perm`).

    Two queries (the user's grants, then the residents shown), whatever the grid's size.
    """
    if access.scope_for(user).is_empty(perm):
        return []
    today = timezone.localdate()
    rows = _due_residents(user, grid_id=grid_id, perm=perm).select_related("household", "grid")
    if limit is not None:
        rows = rows[:limit]
    return [_due(resident, today) for resident in rows]


def due_page(user: Any, *, grid_id: int, perm: str, limit: int) -> tuple[list[Due], int]:
    """The first `limit` residents due a visit and how many are due in all, in one query."""
    if access.scope_for(user).is_empty(perm):
        return [], 0
    today = timezone.localdate()
    rows = list(
        _due_residents(user, grid_id=grid_id, perm=perm)
        .select_related("household", "grid")
        .annotate(total=Window(Count("pk")))[:limit]
    )
    return [_due(resident, today) for resident in rows], (rows[0].total if rows else 0)


def resident_page_section(user: Any, resident: Resident) -> dict[str, Any]:
    """The resident page's visits: to them, or to their household as a whole; the latest 20."""
    visits = Visit.objects.filter(Q(resident=resident) | Q(household_id=resident.household_id, resident=None))
    return {"visits": visits.select_related("by").order_by("-visited_on", "-id")[:20]}


def grid_page_section(user: Any, grid: Grid) -> dict[str, Any]:
    """The grid page's residents due a visit by their tags' rules, most overdue first."""
    due, count = due_page(user, grid_id=grid.pk, perm=access.VIEW, limit=GRID_PAGE_DUE)
    return {"due": due, "count": count}


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

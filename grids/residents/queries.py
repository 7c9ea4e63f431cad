"""Reads of residents, already scoped through grids.access."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import access
from grids.residents.cleaning import normalise_text
from grids.residents.models import PopulationTag, Resident, ResidentChange
from grids.shared.sections import Activity
from grids.tree.models import Grid

_LATIN = re.compile(r"^[a-z]+$")


@dataclass
class ResidentFilter:
    q: str = ""
    grid_id: int | None = None
    building: str = ""
    tag_id: int | None = None
    residence_type: str = ""
    age_min: int | None = None
    age_max: int | None = None
    moved_out: str = "no"  # "no" | "yes" | "all"


def _years_ago(today: datetime.date, years: int) -> datetime.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def search_residents(user: Any, f: ResidentFilter) -> QuerySet[Resident]:
    rows = access.scoped(user, Resident.objects.all())
    if f.grid_id is not None:
        rows = rows.filter(grid_id=f.grid_id)
    if f.building:
        rows = rows.filter(household__building=f.building)
    if f.tag_id is not None:
        rows = rows.filter(tags__id=f.tag_id)
    if f.residence_type:
        rows = rows.filter(residence_type=f.residence_type)
    today = timezone.localdate()
    if f.age_min is not None:
        rows = rows.filter(birth_date__lte=_years_ago(today, f.age_min))
    if f.age_max is not None:
        # Younger than age_max + 1 years.
        rows = rows.filter(birth_date__gt=_years_ago(today, f.age_max + 1))
    if f.moved_out == "no":
        rows = rows.filter(moved_out_on__isnull=True)
    elif f.moved_out == "yes":
        rows = rows.filter(moved_out_on__isnull=False)
    q = normalise_text(f.q)
    if q:
        lowered = q.lower().replace(" ", "")
        if _LATIN.match(lowered):
            rows = rows.filter(Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered))
        elif q.isdigit() or q[:-1].isdigit():
            # A full ID number finds that person; a phone number too.
            rows = rows.filter(Q(id_number=q.upper()) | Q(phone=q))
        else:
            rows = rows.filter(name__contains=q)
    return rows


# What a list page loads with each resident, in a fixed number of queries.
ROW_RELATED = ("grid__community", "household")
ROW_PREFETCH = ("tags",)


def resident_page_rows(rows: QuerySet[Resident]) -> QuerySet[Resident]:
    """The list's order: grid, then household, then person. Members of a household stay
    together, and the order is served by the (grid, household, id) index instead of sorting
    the roster."""
    return rows.order_by("grid_id", "household_id", "id")


def grid_page_section(user: Any, grid: Grid) -> dict[str, Any]:
    """The grid page's residents: how many live here, in how many households, and how many
    carry each population tag, each count linking to the resident list filtered to it.
    Two queries, whatever the grid's size."""
    living = access.scoped(user, Resident.objects.filter(grid_id=grid.pk, moved_out_on__isnull=True))
    totals = living.aggregate(people=Count("pk"), households=Count("household_id", distinct=True))
    tags = (
        PopulationTag.objects.filter(is_active=True, residents__in=living.values("pk"))
        .annotate(n=Count("residents"))
        .order_by("sort_order", "name")
    )
    listing = f"{reverse('grids:resident_list')}?grid={grid.pk}"
    return {
        "people": totals["people"],
        "households": totals["households"],
        "url": listing,
        "tags": [{"name": t.name, "count": t.n, "url": f"{listing}&tag={t.pk}"} for t in tags],
    }


def grid_activity(user: Any, grid: Grid, limit: int) -> list[Activity]:
    """The latest changes to the grid's residents (added, edited, imported, moved out)."""
    residents = access.scoped(user, Resident.objects.filter(grid_id=grid.pk))
    changes = (
        ResidentChange.objects.filter(resident__in=residents.values("pk"))
        .select_related("resident", "by")
        .order_by("-at", "-id")[:limit]
    )
    detail = reverse("grids:resident", args=[0])[: -len("0/")]
    return [
        Activity(
            at=change.at,
            kind=_("Resident"),
            text=f"{change.resident.name} · {change.get_kind_display()}",
            url=f"{detail}{change.resident_id}/",
            by=(change.by.first_name or change.by.username) if change.by else "",
        )
        for change in changes
    ]

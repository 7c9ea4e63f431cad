"""Reads of residents, already scoped through grids.access."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from grids import access
from grids.residents.cleaning import normalise_text
from grids.residents.models import Resident

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


def resident_page_rows(rows: QuerySet[Resident]) -> QuerySet[Resident]:
    """What a list page needs for each resident, in a fixed number of queries."""
    return (
        rows.select_related("grid__community", "household")
        .prefetch_related("tags")
        # Grid, then household, then person: members of a household stay together, and the
        # order is served by the (grid, household, id) index instead of sorting the roster.
        .order_by("grid_id", "household_id", "id")
    )

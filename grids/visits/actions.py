"""Household visits (走访): one function per action."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import access
from grids.photos import Photo, delete_files, save_into
from grids.residents.models import Household, Resident
from grids.visits.models import Visit, VisitPhoto


class VisitError(Exception):
    """A visit the rules forbid; the message is shown to the user."""


def log_visit(
    *,
    by: Any,
    household_id: int,
    resident_id: int | None = None,
    visited_on: datetime.date,
    kind: str = Visit.Kind.ROUTINE,
    findings: str = "",
    photos: Iterable[Photo] = (),
) -> Visit:
    household = access.get_object(by, Household, household_id, access.CHANGE)
    resident = None
    if resident_id is not None:
        resident = Resident.objects.filter(pk=resident_id, household=household).first()
        if resident is None:
            raise VisitError(_("That resident does not live in this household."))
    if visited_on > timezone.localdate():
        raise VisitError(_("The visit date cannot be in the future."))
    stored: list[VisitPhoto] = []
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                grid_id=household.grid_id,
                household=household,
                resident=resident,
                visited_on=visited_on,
                kind=kind,
                findings=findings.strip(),
                by=by,
            )
            for photo in photos:
                record = VisitPhoto(visit=visit)
                stored.append(record)
                save_into(record, photo)
                record.save()
    except BaseException:
        delete_files(stored)
        raise
    return visit

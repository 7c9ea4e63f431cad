"""Changes to residents and households: one function per action."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from grids import access, pii
from grids.pii import mask_id, mask_phone, name_pinyin
from grids.residents.cleaning import id_birth_date, id_sex
from grids.residents.models import Household, PopulationTag, Resident, ResidentChange
from grids.tree.models import Grid


class ResidentError(Exception):
    """A resident change the rules forbid; the message is shown to the user."""


class RegisteredElsewhere(ResidentError):
    """The ID number belongs to a person outside the user's area: say only that, and offer a move request."""


def registered_elsewhere_message() -> str:
    return _(
        "This ID number is already registered in a grid outside your area. If the person now lives in "
        "your grid, send a move request; the staff of their current grid will accept or refuse it."
    )


@dataclass
class ResidentData:
    """Validated, normalised values for one resident (from a form or a roster row)."""

    name: str
    id_number: str
    grid: Grid
    phone: str = ""
    ethnicity: str = ""
    estate: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""
    household_no: str = ""
    relation: str = ""
    residence_type: str = Resident.ResidenceType.REGISTERED
    political_status: str = ""
    tags: list[PopulationTag] = field(default_factory=list)
    note: str = ""


TRACKED = [
    "name",
    "id_number",
    "phone",
    "ethnicity",
    "grid_id",
    "household_id",
    "relation",
    "residence_type",
    "political_status",
    "note",
    "moved_out_on",
]


def _display(field_name: str, value: Any) -> Any:
    if field_name == "id_number":
        return mask_id(value or "")
    if field_name == "phone":
        return mask_phone(value or "")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _snapshot(resident: Resident) -> dict[str, Any]:
    return {name: getattr(resident, name) for name in TRACKED}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [_display(name, before.get(name)), _display(name, after[name])]
        for name in after
        if before.get(name) != after[name]
    }


def household_for(data: ResidentData) -> Household:
    return household_at(
        grid_id=data.grid.pk,
        estate=data.estate,
        building=data.building,
        unit=data.unit,
        room=data.room,
        household_no=data.household_no,
    )


def household_at(
    *, grid_id: int, estate: str, building: str, unit: str, room: str, household_no: str = ""
) -> Household:
    """The household at this address in this grid, made if there is none."""
    household, _created = Household.objects.get_or_create(
        grid_id=grid_id, estate=estate, building=building, unit=unit, room=room, defaults={"household_no": household_no}
    )
    if household_no and household.household_no != household_no:
        household.household_no = household_no
        household.save(update_fields=["household_no", "updated_at"])
    return household


def identity(name: str, id_number: str) -> dict[str, Any]:
    """Name and ID number with what derives from them: pinyin, birth date and sex."""
    pinyin, initials = name_pinyin(name)
    return {
        "name": name,
        "name_pinyin": pinyin,
        "name_initials": initials,
        "id_number": id_number,
        "birth_date": id_birth_date(id_number),
        "sex": id_sex(id_number),
    }


def set_identity(resident: Resident, *, name: str, id_number: str) -> None:
    for attname, value in identity(name, id_number).items():
        setattr(resident, attname, value)


def apply_data(resident: Resident, data: ResidentData, household: Household) -> None:
    """Copy validated values onto a resident, deriving birth date, sex and pinyin."""
    set_identity(resident, name=data.name, id_number=data.id_number)
    resident.phone = data.phone
    resident.ethnicity = data.ethnicity
    resident.grid = data.grid
    resident.household = household
    resident.relation = data.relation
    resident.residence_type = data.residence_type
    resident.political_status = data.political_status
    resident.note = data.note


def create_resident(*, by: Any, data: ResidentData) -> Resident:
    access.require(by, access.CHANGE, data.grid)
    existing = Resident.objects.filter(id_number=data.id_number).select_related("grid").first()
    if existing is not None:
        if access.has_perm(by, access.VIEW, existing):
            raise ResidentError(
                _("A resident with this ID number already exists in %(grid)s.") % {"grid": existing.grid.name}
            )
        pii.log_lookups(user=by, resident_ids=[existing.pk], detail="resident form")
        raise RegisteredElsewhere(registered_elsewhere_message())
    with transaction.atomic():
        resident = Resident(created_by=by)
        apply_data(resident, data, household_for(data))
        resident.save()
        resident.tags.set(data.tags)
    return resident


def update_resident(*, by: Any, resident_id: int, data: ResidentData) -> Resident:
    access.get_object(by, Resident, resident_id, access.CHANGE)
    clash = Resident.objects.filter(id_number=data.id_number).exclude(pk=resident_id).first()
    if clash is not None:
        if not access.has_perm(by, access.VIEW, clash):
            # Outside the transaction: the lookup stays logged although the change is refused.
            pii.log_lookups(user=by, resident_ids=[clash.pk], detail="resident form")
            raise RegisteredElsewhere(registered_elsewhere_message())
        raise ResidentError(_("Another resident already has this ID number."))
    with transaction.atomic():
        resident = access.get_object(
            by, Resident, resident_id, access.CHANGE, queryset=Resident.objects.select_for_update(of=("self",))
        )
        if data.grid.pk != resident.grid_id:
            access.require(by, access.CHANGE, data.grid)
        before = _snapshot(resident)
        old_tags = set(resident.tags.values_list("name", flat=True))
        apply_data(resident, data, household_for(data))
        resident.save()
        resident.tags.set(data.tags)
        changes = _diff(before, _snapshot(resident))
        new_tags = {t.name for t in data.tags}
        if new_tags != old_tags:
            changes["tags"] = [sorted(old_tags), sorted(new_tags)]
        if changes:
            ResidentChange.objects.create(resident=resident, kind=ResidentChange.Kind.UPDATED, by=by, changes=changes)
    return resident


def move_out_resident(*, by: Any, resident_id: int, on: datetime.date) -> Resident:
    """Mark a resident as moved out; the record stays."""
    with transaction.atomic():
        resident = access.get_object(
            by, Resident, resident_id, access.CHANGE, queryset=Resident.objects.select_for_update(of=("self",))
        )
        if resident.moved_out_on is not None:
            raise ResidentError(_("This resident has already moved out."))
        if on < resident.birth_date:
            raise ResidentError(_("The move-out date cannot be before the birth date."))
        resident.moved_out_on = on
        resident.save(update_fields=["moved_out_on", "updated_at"])
        ResidentChange.objects.create(
            resident=resident,
            kind=ResidentChange.Kind.MOVED_OUT,
            by=by,
            changes={"moved_out_on": [None, on.isoformat()]},
        )
    return resident

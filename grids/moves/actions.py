"""Move requests: ask, accept, refuse, withdraw. One function per action."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import access, pii
from grids.moves.models import MoveRequest
from grids.residents.actions import household_at
from grids.residents.models import Resident, ResidentChange
from grids.tree.models import Grid


class MoveError(Exception):
    """A move request the rules forbid; the message is shown to the user."""


def request_move(
    *,
    by: Any,
    id_number: str,
    to_grid_id: int,
    reason: str = "",
    estate: str = "",
    building: str = "",
    unit: str = "",
    room: str = "",
    source: str = "",
) -> MoveRequest:
    """Ask to move the person registered under `id_number` into `to_grid` (one of the asker's grids).

    The asker learns nothing of where the person is now: the request goes to that grid's staff.
    """
    to_grid = access.get_object(by, Grid, to_grid_id, access.CHANGE)
    resident = Resident.objects.filter(id_number=id_number).only("pk", "grid_id").first()
    if resident is None:
        raise MoveError(_("No resident is registered with this ID number; add the person as a new resident."))
    if access.has_perm(by, access.CHANGE, resident):
        raise MoveError(_("This person is already in your area; change their grid on their page."))
    pii.log_lookups(user=by, resident_ids=[resident.pk], detail=source or "move request")
    try:
        with transaction.atomic():
            return MoveRequest.objects.create(
                resident=resident,
                from_grid_id=resident.grid_id,
                to_grid=to_grid,
                reason=reason,
                estate=estate,
                building=building,
                unit=unit,
                room=room,
                requested_by=by,
            )
    except IntegrityError:
        raise MoveError(_("A move request for this person into this grid is already waiting.")) from None


def may_decide(user: Any, move: MoveRequest) -> bool:
    # The staff of the person's grid when asked, or of the community or street above it.
    return access.has_perm(user, access.CHANGE, move.from_grid)


def _locked_pending(request_id: int, by: Any, *, decide: bool) -> MoveRequest:
    """The request, locked; one the user has no part in does not exist for them."""
    locked = MoveRequest.objects.select_for_update(of=("self",)).select_related("from_grid", "to_grid")
    move = locked.filter(pk=request_id).first()
    if move is None or not (may_decide(by, move) if decide else move.requested_by_id == by.pk):
        raise MoveError(_("This move request does not exist."))
    if move.status != MoveRequest.Status.PENDING:
        raise MoveError(_("This move request has already been dealt with."))
    return move


def accept_move(*, by: Any, request_id: int, note: str = "") -> MoveRequest:
    """Move the person into the asking grid; their history records the move."""
    with transaction.atomic():
        move = _locked_pending(request_id, by, decide=True)
        resident = Resident.objects.select_for_update(of=("self",)).select_related("grid", "household").get(
            pk=move.resident_id
        )
        if resident.grid_id != move.from_grid_id:
            raise MoveError(_("The person has moved to another grid since the request; it cannot be accepted."))
        old_grid, old_address = resident.grid.name, resident.household.address
        household = household_at(
            grid_id=move.to_grid_id, estate=move.estate, building=move.building, unit=move.unit, room=move.room
        )
        resident.grid_id = move.to_grid_id
        resident.household = household
        resident.moved_out_on = None
        resident.save(update_fields=["grid", "household", "moved_out_on", "updated_at"])
        ResidentChange.objects.create(
            resident=resident,
            kind=ResidentChange.Kind.MOVED_IN,
            by=by,
            changes={"grid": [old_grid, move.to_grid.name], "address": [old_address, household.address]},
        )
        move.status = MoveRequest.Status.ACCEPTED
        move.decided_by, move.decided_at, move.decision_note = by, timezone.now(), note
        move.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        # Other requests for the same person no longer apply to where they are.
        MoveRequest.objects.filter(resident_id=resident.pk, status=MoveRequest.Status.PENDING).update(
            status=MoveRequest.Status.REFUSED,
            decided_by=by,
            decided_at=move.decided_at,
            decision_note=_("The person has moved to another grid."),
        )
    return move


def refuse_move(*, by: Any, request_id: int, note: str) -> MoveRequest:
    if not note.strip():
        raise MoveError(_("Say why the request is refused."))
    with transaction.atomic():
        move = _locked_pending(request_id, by, decide=True)
        move.status = MoveRequest.Status.REFUSED
        move.decided_by, move.decided_at, move.decision_note = by, timezone.now(), note.strip()
        move.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return move


def withdraw_move(*, by: Any, request_id: int) -> MoveRequest:
    with transaction.atomic():
        move = _locked_pending(request_id, by, decide=False)
        move.status = MoveRequest.Status.CANCELLED
        move.decided_by, move.decided_at = by, timezone.now()
        move.save(update_fields=["status", "decided_by", "decided_at"])
    return move

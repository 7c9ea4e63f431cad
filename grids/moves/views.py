"""Move request pages: the list (to decide, asked by me), asking, deciding."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from grids import access, pii
from grids.moves import actions, queries
from grids.moves.forms import DecisionForm, MoveRequestForm
from grids.moves.models import MoveRequest

LIST_SIZE = 100


def _may_ask(user) -> bool:
    return not access.scope_for(user).is_empty(access.CHANGE) and access.visible_grids(user, access.CHANGE).exists()


@never_cache
@login_required
def move_list(request: HttpRequest) -> HttpResponse:
    if not _may_ask(request.user):
        raise PermissionDenied
    to_decide = list(
        queries.to_decide(request.user)
        .select_related("resident", "from_grid", "to_grid__community", "requested_by", "decided_by")
        .order_by("status", "-requested_at")[:LIST_SIZE]
    )
    # Decided for the whole list at once: a check per person would load each one's grid.
    visible = pii.visible_ids(request.user, [move.resident for move in to_decide])
    for move in to_decide:
        number = move.resident.id_number
        move.id_shown = number if move.resident_id in visible else pii.mask_id(number)
    asked = list(
        queries.asked_by(request.user)
        .select_related("to_grid", "resident")
        .order_by("status", "-requested_at")[:LIST_SIZE]
    )
    for move in asked:
        # The asker typed this number; they still see it masked, as everywhere else.
        move.id_shown = pii.mask_id(move.resident.id_number)
    return render(request, "grids/moves/list.html", {"to_decide": to_decide, "asked": asked})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def move_create(request: HttpRequest) -> HttpResponse:
    if not _may_ask(request.user):
        raise PermissionDenied
    form = MoveRequestForm(request.POST or None, by=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.request_move(
                by=request.user,
                id_number=d["id_number"],
                to_grid_id=d["to_grid"].pk,
                reason=d["reason"],
                estate=d["estate"],
                building=d["building"],
                unit=d["unit"],
                room=d["room"],
                source=request.POST.get("source", "")[:100] or "move request form",
            )
        except actions.MoveError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Move request sent. The staff of the person's current grid will accept or refuse it.")
            )
            return redirect("grids:move_list")
    return render(request, "grids/moves/form.html", {"form": form})


DECISIONS = {"accept", "refuse", "withdraw"}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def move_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in DECISIONS:
        raise Http404
    move = (
        MoveRequest.objects.select_related("resident", "from_grid", "to_grid__community", "requested_by")
        .filter(pk=pk)
        .first()
    )
    allowed = move is not None and (
        actions.may_decide(request.user, move) if action != "withdraw" else move.requested_by_id == request.user.pk
    )
    if not allowed:
        raise Http404
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if action == "accept":
                actions.accept_move(by=request.user, request_id=move.pk, note=note)
                messages.success(
                    request,
                    _("Move accepted: %(name)s now belongs to %(grid)s.")
                    % {"name": move.resident.name, "grid": move.to_grid.name},
                )
            elif action == "refuse":
                actions.refuse_move(by=request.user, request_id=move.pk, note=note)
                messages.success(request, _("Move request refused."))
            else:
                actions.withdraw_move(by=request.user, request_id=move.pk)
                messages.success(request, _("Move request withdrawn."))
        except actions.MoveError as error:
            form.add_error(None, str(error))
        else:
            return redirect("grids:move_list")
    return render(request, "grids/moves/decide.html", {"form": form, "move": move, "action": action})

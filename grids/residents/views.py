"""Resident views: access check, form, one action, message, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from grids import access, pii
from grids.residents import access_details, actions, queries
from grids.residents.forms import MoveOutForm, ResidentFilterForm, ResidentForm
from grids.residents.models import PersonalDataAccess, PopulationTag, Resident
from grids.shared import sections
from grids.shared.pagination import IdPaginator

PAGE_SIZE = 50


def _masked_rows(user, residents):
    """Pair each resident with the ID and phone this user may see."""
    residents = list(residents)
    visible_ids = pii.visible_ids(user, residents)
    rows = []
    for resident in residents:
        visible = resident.pk in visible_ids
        rows.append(
            {
                "resident": resident,
                "id_number": resident.id_number if visible else pii.mask_id(resident.id_number),
                "phone": resident.phone if visible else pii.mask_phone(resident.phone),
                "unmasked": visible,
            }
        )
    return rows


@never_cache
@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    filter_form = ResidentFilterForm(request.GET)
    flt = filter_form.to_filter()
    rows = queries.resident_page_rows(queries.search_residents(request.user, flt))
    # Counted up to a cap, as the event list is: a street's whole roster need not be counted
    # to show page 1.
    paginator = IdPaginator(rows, PAGE_SIZE, related=queries.ROW_RELATED, prefetch=queries.ROW_PREFETCH)
    page = paginator.get_page(request.GET.get("page"))
    masked = _masked_rows(request.user, page.object_list)
    unmasked = [r for r in masked if r["unmasked"]]
    if unmasked:
        first = unmasked[0]["resident"]
        pii.log_access(
            user=request.user,
            action=PersonalDataAccess.Action.LIST,
            street_id=first.grid.community.street_id,
            count=len(unmasked),
            detail=request.GET.urlencode(),
        )
    context = {
        "page": page,
        "rows": masked,
        "filter": flt,
        "grids": access.visible_grids(request.user).select_related("community").order_by("code"),
        "tags": PopulationTag.objects.filter(is_active=True),
        "residence_types": Resident.ResidenceType.choices,
        "query": request.GET.copy(),
        "can_add": not access.scope_for(request.user).is_empty(access.CHANGE),
    }
    template = "grids/residents/_rows.html" if request.htmx else "grids/residents/list.html"
    return render(request, template, context)


def _labelled(changes):
    """Each change with its fields named as the user knows them."""
    extra = {"address": _("Address"), "tags": _("Tags"), "grid": _("Grid"), "grid_id": _("Grid")}
    for change in changes:
        change.lines = []
        for name, pair in change.changes.items():
            try:
                label = extra.get(name) or Resident._meta.get_field(name.removesuffix("_id")).verbose_name
            except Exception:  # noqa: BLE001 - an unknown key from an older version is shown as is
                label = name
            change.lines.append((label, *pair))
    return changes


@never_cache
@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = access.get_object(
        request.user,
        Resident,
        pk,
        queryset=Resident.objects.select_related("household").prefetch_related("tags"),
    )
    members = Resident.objects.filter(household_id=resident.household_id).exclude(pk=resident.pk).order_by("birth_date")
    # The resident and every member of the household are decided together: a collective
    # household of hundreds costs what a family does.
    row, *member_rows = _masked_rows(request.user, [resident, *members])
    if row["unmasked"]:
        pii.log_access(user=request.user, action=PersonalDataAccess.Action.VIEW, resident=resident)
    return render(
        request,
        "grids/residents/detail.html",
        {
            "resident": resident,
            "row": row,
            "members": member_rows,
            "changes": _labelled(resident.changes.select_related("by")[:50]),
            "sections": sections.for_page(sections.RESIDENT, request.user, resident),
            "can_change": access.has_perm(request.user, access.CHANGE, resident),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def resident_create(request: HttpRequest) -> HttpResponse:
    if access.scope_for(request.user).is_empty(access.CHANGE):
        raise PermissionDenied
    form = ResidentForm(request.POST or None, by=request.user)
    move_offer = None
    if request.method == "POST" and form.is_valid():
        try:
            resident = actions.create_resident(by=request.user, data=form.resident_data())
        except actions.RegisteredElsewhere as error:
            move_offer = {"message": str(error), "fields": _move_offer(form)}
        except actions.ResidentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Resident %(name)s added.") % {"name": resident.name})
            return redirect("grids:resident", pk=resident.pk)
    return render(request, "grids/residents/form.html", {"form": form, "move_offer": move_offer})


def _move_offer(form: ResidentForm) -> dict[str, object]:
    """What a move request for the number just typed needs, to send from the same page."""
    d = form.cleaned_data
    address = {name: d[name] for name in ("estate", "building", "unit", "room")}
    return {"id_number": d["id_number"], "to_grid": d["grid"].pk, **address}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resident = access.get_object(
        request.user, Resident, pk, access.CHANGE, queryset=Resident.objects.select_related("household")
    )
    visible = pii.can_see(request.user, resident)
    form = ResidentForm(
        request.POST or None,
        by=request.user,
        initial=ResidentForm.initial_for(resident, masked=not visible),
        keep=None if visible else {"id_number": resident.id_number, "phone": resident.phone},
    )
    if request.method == "GET" and visible:
        pii.log_access(user=request.user, action=PersonalDataAccess.Action.EDIT, resident=resident)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_resident(by=request.user, resident_id=resident.pk, data=form.resident_data())
        except actions.ResidentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Resident saved."))
            return redirect("grids:resident", pk=resident.pk)
    return render(request, "grids/residents/form.html", {"form": form, "resident": resident})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def resident_move_out(request: HttpRequest, pk: int) -> HttpResponse:
    resident = access.get_object(request.user, Resident, pk, access.CHANGE)
    form = MoveOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.move_out_resident(
                by=request.user, resident_id=resident.pk, on=form.cleaned_data["moved_out_on"]
            )
        except actions.ResidentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(name)s is marked as moved out.") % {"name": resident.name})
            return redirect("grids:resident", pk=resident.pk)
    return render(request, "grids/residents/move_out.html", {"form": form, "resident": resident})


@never_cache
@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    """Street admins read who saw or exported unmasked personal data in their street."""
    streets = access.scope_for(request.user).ids(access.MANAGE_POSTS, "street")
    if not streets and not request.user.is_superuser:
        raise PermissionDenied
    entries = PersonalDataAccess.objects.select_related("user", "resident")
    if not request.user.is_superuser:
        entries = entries.filter(street_id__in=sorted(streets))
    page = Paginator(entries.order_by("-at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = access_details.describe_entries(request.user, page.object_list)
    return render(request, "grids/residents/access_log.html", {"page": page})

"""Visit pages: log a visit to a household or resident, and see one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from grids import access
from grids.photos import photo_response
from grids.residents.models import Household, Resident
from grids.visits import actions
from grids.visits.forms import VisitForm
from grids.visits.models import Visit, VisitPhoto


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request: HttpRequest) -> HttpResponse:
    resident = None
    resident_id = _int(request.GET.get("resident"))
    if resident_id is not None:
        resident = access.get_object(request.user, Resident, resident_id, access.CHANGE)
        household = resident.household
    else:
        household_id = _int(request.GET.get("household"))
        if household_id is None:
            raise Http404
        household = access.get_object(request.user, Household, household_id, access.CHANGE)
    form = VisitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = actions.log_visit(
                by=request.user,
                household_id=household.pk,
                resident_id=resident.pk if resident else None,
                visited_on=data["visited_on"],
                kind=data["kind"],
                findings=data["findings"],
                photos=data["photos"],
            )
        except actions.VisitError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Visit recorded."))
            return redirect("grids:visit_detail", pk=visit.pk)
    return render(request, "grids/visits/form.html", {"form": form, "household": household, "resident": resident})


@never_cache
@login_required
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = access.get_object(request.user, Visit, pk)
    return render(
        request,
        "grids/visits/detail.html",
        {
            "visit": visit,
            "photos": visit.photos.all(),
            "can_report": access.has_perm(request.user, access.CHANGE, visit.grid),
        },
    )


@never_cache
@login_required
@require_GET
def visit_photo(request: HttpRequest, pk: int, photo_id: int, size: str) -> FileResponse:
    visit = access.get_object(request.user, Visit, pk)
    photo = VisitPhoto.objects.filter(pk=photo_id, visit=visit).first()
    if photo is None or size not in ("full", "thumb"):
        raise Http404
    return photo_response(photo.image if size == "full" else photo.thumbnail)

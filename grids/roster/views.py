"""Roster import and export views."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grids import access, pii
from grids.residents import queries as resident_queries
from grids.residents.forms import ResidentFilterForm
from grids.residents.models import PersonalDataAccess
from grids.roster import actions, spreadsheets
from grids.roster.export import export_residents
from grids.roster.models import RosterImport
from grids.roster.xlsx import DEFAULT_LIMITS, UploadRejected
from grids.shared.forms import BootstrapForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ERRORS = 200
EXPORT_MAX = 20_000


class UploadForm(BootstrapForm):
    file = forms.FileField(
        label=gettext_lazy("Roster file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > DEFAULT_LIMITS.max_bytes:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB. Split it into smaller files.")
                % {"mb": DEFAULT_LIMITS.max_bytes // (1024 * 1024)}
            )
        return upload


def _require_roster_rights(request: HttpRequest) -> None:
    if (
        access.scope_for(request.user).is_empty(access.CHANGE)
        or not access.visible_grids(request.user, access.CHANGE).exists()
    ):
        raise PermissionDenied


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


def _job(request: HttpRequest, pk: int) -> RosterImport:
    job = RosterImport.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404
    return job


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    _require_roster_rights(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = actions.start_import(by=request.user, upload=form.cleaned_data["file"])
        except UploadRejected as error:
            form.add_error("file", str(error))
        else:
            return redirect("grids:roster_import", pk=job.pk)
    recent = RosterImport.objects.filter(user=request.user)[:10]
    return render(request, "grids/roster/import_start.html", {"form": form, "recent": recent})


@never_cache
@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    _require_roster_rights(request)
    grids = access.visible_grids(request.user, access.CHANGE).select_related("community").order_by("code")
    return _attachment(spreadsheets.roster_template(grids), "%E4%BA%BA%E5%8F%A3%E4%BF%A1%E6%81%AF%E8%A1%A8.xlsx")


@never_cache
@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    template = "grids/roster/_import_status.html" if request.htmx else "grids/roster/import_detail.html"
    data = job.result or job.preview
    return render(
        request,
        template,
        {"job": job, "data": data, "errors": data.get("errors", [])[:SHOWN_ERRORS], "shown": SHOWN_ERRORS},
    )


@never_cache
@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    valid_only = request.POST.get("mode") == "valid_only"
    try:
        job = actions.confirm_import(by=request.user, job_id=job.pk, valid_only=valid_only)
    except actions.ImportStepError as error:
        messages.error(request, str(error))
    else:
        if job.status == RosterImport.Status.DONE:
            messages.success(request, _("The roster was imported."))
    return redirect("grids:roster_import", pk=job.pk)


@never_cache
@login_required
@require_POST
def import_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        actions.choose_sheet(by=request.user, job_id=job.pk, sheet=request.POST.get("sheet", ""))
    except actions.ImportStepError as error:
        messages.error(request, str(error))
    return redirect("grids:roster_import", pk=job.pk)


@login_required
@require_GET
def import_rejected(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    data = job.result or job.preview
    errors = data.get("errors", [])
    if not errors:
        raise Http404
    with job.file.open("rb") as fileobj:
        content = spreadsheets.rejected_rows(fileobj, errors, sheet=data.get("sheet") or None)
    return _attachment(content, f"rejected-{job.pk}.xlsx")


@never_cache
@login_required
@require_GET
def resident_export(request: HttpRequest) -> HttpResponse:
    flt = ResidentFilterForm(request.GET).to_filter()
    rows = resident_queries.search_residents(request.user, flt)
    if rows.count() > EXPORT_MAX:
        # Building the workbook holds every cell in memory; a bounded export keeps the server up.
        messages.error(
            request,
            _(
                "At most %(max)d residents can be exported at once. Narrow the list with the filters (e.g. by grid) "
                "and export again."
            )
            % {"max": EXPORT_MAX},
        )
        return redirect(f"{reverse('grids:resident_list')}?{request.GET.urlencode()}")
    content, count, unmasked = export_residents(user=request.user, queryset=rows)
    first = rows.select_related("grid__community").first()
    pii.log_access(
        user=request.user,
        action=PersonalDataAccess.Action.EXPORT,
        street_id=first.grid.community.street_id if first else None,
        count=count,
        detail=(request.GET.urlencode() + f" unmasked={unmasked}")[:500],
    )
    return _attachment(content, f"residents-{timezone.localdate():%Y%m%d}.xlsx")

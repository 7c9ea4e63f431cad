"""Event pages: report, to-do inbox, list, detail with timeline, transitions, notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.events import actions, queries
from governance.events.actions import EventError
from governance.events.forms import (
    DuplicateQueryForm,
    EventFilterForm,
    EventReportForm,
    MergeForm,
    NoteForm,
    ReasonForm,
    ResolveForm,
    VerifyForm,
    WhistleForm,
)
from governance.events.models import Event, EventCategory, EventPhoto, EventStep, Level, Notification
from grids import access
from grids.photos import photo_response
from grids.residents.queries import ResidentFilter, search_residents
from grids.visits.models import Visit

PAGE_SIZE = 30


LIGHTS = {
    "red": ("text-bg-danger", gettext_lazy("Overdue")),
    "amber": ("text-bg-warning", gettext_lazy("Due soon")),
    "green": ("text-bg-success", gettext_lazy("On time")),
}


def _rows(events: list[Event]) -> list[dict[str, Any]]:
    """What each row shows, worked out here: template lookups, filters and per-row includes
    cost more than the queries on a 30-row page."""
    now = timezone.now()
    detail = reverse("events:detail", args=[0])[: -len("0/")]
    statuses, levels = dict(Event.Status.choices), dict(Level.choices)
    rows = []
    for event in events:
        light = queries.light_of(event, now)
        css, label = LIGHTS.get(light, ("", ""))
        deadline = queries.deadline_of(event)
        reported = timezone.localtime(event.reported_at)
        rows.append(
            {
                "event": event,
                "url": f"{detail}{event.pk}/",
                "light": light,
                "light_css": css,
                "light_label": label,
                "deadline": deadline,
                "due": f"{timezone.localtime(deadline[0]):%m-%d %H:%M}" if deadline else "",
                "status": statuses[event.status],
                "level": levels[event.level],
                "place": f"{event.grid.community.name} · {event.grid.name}",
                "reported": f"{reported:%Y-%m-%d %H:%M}",
                "reported_short": f"{reported:%m-%d %H:%M}",
            }
        )
    return rows


@login_required
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    flt = EventFilterForm(request.GET).to_filter()
    events = queries.event_rows(queries.search_events(request.user, flt))
    page = queries.IdPaginator(events, PAGE_SIZE, related=queries.ROW_RELATED).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": _rows(list(page.object_list)),
        "filter": flt,
        "categories": EventCategory.objects.all(),
        "grids": access.visible_grids(request.user).select_related("community").order_by("code"),
        "statuses": Event.Status.choices,
        "sources": Event.Source.choices,
        "can_report": access.visible_grids(request.user, access.CHANGE).exists(),
    }
    partial = request.htmx and not request.htmx.boosted
    return render(request, "governance/events/_rows.html" if partial else "governance/events/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request: HttpRequest) -> HttpResponse:
    initial = _from_visit(request)
    form = EventReportForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if not form.fields["grid"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = actions.report_event(
                by=request.user,
                grid_id=data["grid"].pk,
                category_id=data["category"].pk,
                description=data["description"],
                address=data["address"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                urgency=data["urgency"],
                solved_on_spot=data["solved_on_spot"],
                result=data["result"],
                photos=data["photos"],
                merge_into_id=data["merge_into"],
                visit_id=data["visit"],
                resident_ids=data["residents"],
            )
        except EventError as error:
            form.add_error(None, str(error))
        else:
            if event.merged_into_id:
                messages.success(
                    request,
                    _("Your report was added to event #%(id)d, which is already being handled.")
                    % {"id": event.merged_into_id},
                )
                return redirect("events:detail", pk=event.merged_into_id)
            messages.success(request, _("Event #%(id)d reported.") % {"id": event.pk})
            return redirect("events:detail", pk=event.pk)
    candidates = _candidates(request.user, form.data) if form.is_bound else []
    return render(request, "governance/events/report.html", {"form": form, "candidates": candidates})


def _from_visit(request: HttpRequest) -> dict[str, Any]:
    """A visit's finding, to report as an event in one step (GET /events/new/?visit=<id>)."""
    raw = request.GET.get("visit", "")
    if request.method != "GET" or not raw.isdigit():
        return {}
    visit = access.get_object(request.user, Visit, int(raw), access.CHANGE)
    return {
        "visit": visit.pk,
        "grid": visit.grid_id,
        "address": visit.household.address,
        "description": visit.findings,
    }


def _candidates(user: Any, data: Any) -> list[Event]:
    """Possible duplicates of the report being written (the form's values, unvalidated)."""
    form = DuplicateQueryForm(data)
    if not form.is_valid():
        return []
    return queries.duplicate_candidates(user, **form.cleaned_data)


@login_required
@require_GET
def event_duplicates(request: HttpRequest) -> HttpResponse:
    """The report form asks (htmx) for open events it may repeat as the user types."""
    candidates = _candidates(request.user, request.GET)
    return render(request, "governance/events/_duplicates.html", {"candidates": candidates})


def _event(request: HttpRequest, pk: int) -> Event:
    queryset = Event.objects.select_related("grid__community__street", "category", "reported_by")
    return access.get_object(request.user, Event, pk, queryset=queryset)


def _available(user: Any, event: Event) -> dict[str, forms.Form]:
    """The transition forms this user may use on this event now."""
    initial = {"version": event.version}
    found: dict[str, forms.Form] = {}
    acting = actions.can_act(user, event)
    if event.status == Event.Status.REPORTED and acting:
        found["accept"] = NoteForm(initial=initial, prefix="accept")
    if event.status == Event.Status.ACCEPTED and acting and event.level in actions.WHISTLE_TARGETS:
        found["whistle"] = WhistleForm(initial=initial, event=event, prefix="whistle")
    if event.status == Event.Status.ESCALATED and event.level != "department" and acting:
        found["acknowledge"] = NoteForm(initial=initial, prefix="acknowledge")
    if actions.acknowledgeable(user, event):
        found["acknowledge"] = NoteForm(initial=initial, prefix="acknowledge")
    if event.status == Event.Status.ACCEPTED and actions.can_resolve(user, event):
        found["resolve"] = ResolveForm(initial=initial, prefix="resolve")
    if event.status in (Event.Status.ESCALATED, Event.Status.ACCEPTED) and event.previous_level and acting:
        found["return"] = ReasonForm(initial=initial, prefix="return")
    if event.status == Event.Status.RESOLVED and actions.can_verify(user, event):
        found["verify"] = VerifyForm(initial=initial, prefix="verify")
    if event.status in Event.UNRESOLVED and acting:
        found["cancel"] = ReasonForm(initial=initial, prefix="cancel")
        found["merge"] = MergeForm(initial=initial, prefix="merge")
    if event.status in (Event.Status.CLOSED, Event.Status.CANCELLED) and actions.can_reopen(user, event):
        found["reopen"] = ReasonForm(initial=initial, prefix="reopen")
    return found


@login_required
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    return _detail(request, event, _available(request.user, event))


def _detail(request: HttpRequest, event: Event, forms_: dict[str, forms.Form], status: int = 200) -> HttpResponse:
    steps = EventStep.objects.filter(event=event).select_related("by").prefetch_related("photos").order_by("at", "id")
    context = {
        "event": event,
        "row": _rows([event])[0],
        "steps": steps,
        "assignments": event.assignments.select_related("department").order_by("-active", "-lead", "id"),
        "duplicates": event.duplicates.select_related("reported_by").order_by("reported_at"),
        "forms": forms_,
    }
    return render(request, "governance/events/detail.html", context, status=status)


# action name → (form class, call of the one action function with the cleaned form)
TRANSITIONS: dict[str, tuple[type[forms.Form], Callable[..., Event]]] = {
    "accept": (NoteForm, lambda user, event, f: actions.accept_event(**_common(user, event, f), note=f["note"])),
    "acknowledge": (
        NoteForm,
        lambda user, event, f: actions.acknowledge_event(**_common(user, event, f), note=f["note"]),
    ),
    "resolve": (
        ResolveForm,
        lambda user, event, f: actions.resolve_event(**_common(user, event, f), result=f["result"], photos=f["photos"]),
    ),
    "return": (ReasonForm, lambda user, event, f: actions.return_event(**_common(user, event, f), reason=f["reason"])),
    "cancel": (ReasonForm, lambda user, event, f: actions.cancel_event(**_common(user, event, f), reason=f["reason"])),
    "reopen": (ReasonForm, lambda user, event, f: actions.reopen_event(**_common(user, event, f), reason=f["reason"])),
    "merge": (MergeForm, lambda user, event, f: actions.merge_event(**_common(user, event, f), into_id=f["into"])),
    "verify": (
        VerifyForm,
        lambda user, event, f: actions.verify_event(**_common(user, event, f), passed=f["passed"], note=f["note"]),
    ),
}


def _common(user: Any, event: Event, data: dict[str, Any]) -> dict[str, Any]:
    return {"by": user, "event_id": event.pk, "version": data["version"]}


DONE_MESSAGES = {
    "accept": _("accepted"),
    "whistle": _("whistled up"),
    "acknowledge": _("reported in"),
    "resolve": _("resolved"),
    "return": _("returned"),
    "verify": _("verified"),
    "cancel": _("cancelled"),
    "reopen": _("reopened"),
    "merge": _("merged"),
}


@login_required
@require_POST
def event_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    event = _event(request, pk)
    if action != "whistle" and action not in TRANSITIONS:
        raise Http404
    if action == "whistle":
        form: forms.Form = WhistleForm(request.POST, event=event, prefix=action)
    else:
        form = TRANSITIONS[action][0](request.POST, request.FILES, prefix=action)
    if form.is_valid():
        try:
            if action == "whistle":
                actions.whistle_event(
                    **_common(request.user, event, form.cleaned_data),
                    to_level=form.cleaned_data["to_level"],
                    reason=form.cleaned_data["reason"],
                    department_ids=form.department_ids(),
                )
            else:
                TRANSITIONS[action][1](request.user, event, form.cleaned_data)
        except EventError as error:
            messages.error(request, str(error))
            return redirect("events:detail", pk=event.pk)
        messages.success(request, _("Event #%(id)d %(done)s.") % {"id": event.pk, "done": DONE_MESSAGES[action]})
        return redirect("events:detail", pk=event.pk)
    available = _available(request.user, event)
    if action not in available:
        messages.error(request, _("This step is no longer available; the page shows the event as it is now."))
        return redirect("events:detail", pk=event.pk)
    available[action] = form
    return _detail(request, event, available, status=400)


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    notes = Notification.objects.filter(user=request.user).select_related("event__category", "event__grid")
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/events/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    actions.mark_notifications_read(by=request.user)
    return redirect("events:notifications")


@login_required
@require_GET
def event_photo(request: HttpRequest, pk: int, photo_id: int, size: str) -> FileResponse:
    """A photo of an event, to those who may see the event (files are never served directly)."""
    event = _event(request, pk)
    photo = EventPhoto.objects.filter(pk=photo_id, event=event).first()
    if photo is None or size not in ("full", "thumb"):
        raise Http404
    return photo_response(photo.image if size == "full" else photo.thumbnail)


@login_required
@require_GET
def event_resident_search(request: HttpRequest) -> HttpResponse:
    """Residents of the report's grid matching a name, pinyin initials or ID number, to link
    (htmx). Those already ticked stay ticked above the new results."""
    grid = request.GET.get("grid", "")
    q = request.GET.get("resident_q", "").strip()
    ticked_ids = [int(v) for v in request.GET.getlist("residents") if v.isdigit()][:20]
    ticked, found = [], []
    if grid.isdigit():
        in_grid = search_residents(request.user, ResidentFilter(grid_id=int(grid))).select_related("household")
        ticked = list(in_grid.filter(pk__in=ticked_ids).order_by("name", "id"))
        if q:
            matches = search_residents(request.user, ResidentFilter(q=q[:50], grid_id=int(grid)))
            found = list(matches.exclude(pk__in=ticked_ids).select_related("household").order_by("name", "id")[:10])
    context = {"ticked": ticked, "found": found, "searched": bool(q)}
    return render(request, "governance/events/_resident_choices.html", context)

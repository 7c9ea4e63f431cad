"""Changes to events: one function per transition, each atomic and written to the timeline.

Every transition locks the event row, checks that the page it came from showed the
current version (so that of two people acting at once exactly one wins), checks the
state and the user's right to act at the event's current level, changes the event,
writes a timeline step and the notifications that follow, all in one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.calendar import workdays
from governance.events.models import (
    Event,
    EventAssignment,
    EventCategory,
    EventPhoto,
    EventStep,
    Level,
    Notification,
    TimeLimit,
)
from grids import access
from grids.photos import Photo, delete_files, save_into
from grids.residents.models import Resident
from grids.tree.models import Department, Grid, Post, Role
from grids.visits.models import Visit

S = Event.Status
A = EventStep.Action

DEFAULT_RESPOND_HOURS = 24
DEFAULT_RESOLVE_DAYS = 5
SUPERVISE_AFTER_FAILURES = 3
# Whistling goes up one level at a time; the community and the street may also call
# the street's departments directly (吹哨 to the 职能部门).
WHISTLE_TARGETS = {
    Level.COMMUNITY: (Level.STREET, Level.DEPARTMENT),
    Level.STREET: (Level.DEPARTMENT,),
}
LEVEL_ABOVE = {Level.GRID: Level.COMMUNITY, Level.COMMUNITY: Level.STREET, Level.DEPARTMENT: Level.STREET}


class EventError(Exception):
    """A transition the rules forbid; the message is shown to the user."""


# --- who acts where -----------------------------------------------------------------


def level_nodes(event: Event) -> list[Any]:
    """The nodes that hold `event` where it is now."""
    level = event.level
    if level == Level.GRID:
        return [event.grid]
    if level == Level.COMMUNITY:
        return [event.grid.community]
    if level == Level.STREET:
        return [event.grid.community.street]
    return [a.department for a in event.assignments.all() if a.active]


def can_act(user: Any, event: Event) -> bool:
    """May `user` handle `event` where it is now (a grant above that level counts)."""
    return any(access.has_perm(user, access.CHANGE, node) for node in level_nodes(event))


def can_resolve(user: Any, event: Event) -> bool:
    if event.level != Level.DEPARTMENT:
        return can_act(user, event)
    return any(
        a.active and a.lead and access.has_perm(user, access.CHANGE, a.department) for a in event.assignments.all()
    )


def can_verify(user: Any, event: Event) -> bool:
    """Whoever reported checks the fix (谁上报、谁核查). An event solved on the spot was fixed
    by its reporter, so the community checks it; a reporter who has left the grid is
    replaced by the grid's current staff."""
    if event.solved_on_spot:
        return user.pk != event.reported_by_id and access.has_perm(user, access.CHANGE, event.grid.community)
    if user.pk == event.reported_by_id:
        return access.has_perm(user, access.CHANGE, event.grid)
    reporter = event.reported_by
    if access.has_perm(reporter, access.CHANGE, event.grid):
        return False
    return Post.objects.active_on(timezone.localdate()).filter(user=user, grid=event.grid).exists()


def can_reopen(user: Any, event: Event) -> bool:
    return access.has_perm(user, access.CHANGE, event.grid.community)


def acknowledgeable(user: Any, event: Event) -> list[EventAssignment]:
    """Department assignments of `event` waiting for `user` to report in (报到)."""
    if event.status not in (S.ESCALATED, S.ACCEPTED) or event.level != Level.DEPARTMENT:
        return []
    return [
        a
        for a in event.assignments.all()
        if a.active and a.acknowledged_at is None and access.has_perm(user, access.CHANGE, a.department)
    ]


def level_users(event: Event, level: str, departments: Iterable[Department] = ()) -> list[int]:
    """Ids of the people whose posts are at `level`'s node for `event` today."""
    posts = Post.objects.active_on(timezone.localdate())
    if level == Level.GRID:
        posts = posts.filter(grid_id=event.grid_id)
    elif level == Level.COMMUNITY:
        posts = posts.filter(community_id=event.grid.community_id)
    elif level == Level.STREET:
        posts = posts.filter(street_id=event.grid.community.street_id).exclude(role=Role.MEDIATOR)
    else:
        posts = posts.filter(department__in=[d.pk for d in departments])
    return sorted(set(posts.values_list("user_id", flat=True)))


# --- deadlines ----------------------------------------------------------------------


def _limit(category_id: int, level: str) -> tuple[int, int]:
    found = TimeLimit.objects.filter(category_id=category_id, level=level).values_list("respond_hours", "resolve_days")
    return next(iter(found), (DEFAULT_RESPOND_HOURS, DEFAULT_RESOLVE_DAYS))


def _await_response(event: Event, now: datetime.datetime) -> None:
    hours, _days = _limit(event.category_id, event.level)
    event.stage_started_at = now
    event.respond_due = now + datetime.timedelta(hours=hours)
    event.resolve_due = None


def _start_handling(event: Event, now: datetime.datetime) -> None:
    event.stage_started_at = now
    event.respond_due = None
    event.resolve_due = resolve_deadline(event, now)


def resolve_deadline(event: Event, start: datetime.datetime) -> datetime.datetime:
    """When the current level must have resolved `event`, if it started handling at `start`."""
    _hours, days = _limit(event.category_id, event.level)
    return workdays.add_working_days(start, days)


# --- the common frame ---------------------------------------------------------------


def _locked(event_id: int, version: int | None, by: Any) -> Event:
    queryset = Event.objects.select_for_update(of=("self",)).select_related("grid__community__street", "category")
    event = access.get_object(by, Event, event_id, access.VIEW, queryset=queryset)
    if version is not None and event.version != version:
        raise EventError(
            _("Someone else changed this event a moment ago (it is now “%(status)s”). Check it and try again.")
            % {"status": event.get_status_display()}
        )
    return event


def _save(
    event: Event, by: Any, action: str, note: str = "", *, from_status: str, from_level: str = "", departments: str = ""
) -> EventStep:
    event.version = F("version") + 1
    event.save()
    event.refresh_from_db(fields=["version"])
    return EventStep.objects.create(
        event=event,
        action=action,
        by=by,
        note=note,
        from_status=from_status,
        to_status=event.status,
        from_level=from_level,
        level=event.level,
        departments=departments,
    )


def _end(event: Event, status: str, now: datetime.datetime) -> None:
    """The event leaves every level: no deadline runs and no department holds it."""
    event.status = status
    event.closed_at = now
    event.respond_due = event.resolve_due = None
    EventAssignment.objects.filter(event=event, active=True).update(active=False)


def _attach(event: Event, step: EventStep, photos: Iterable[Photo], by: Any, stored: list[EventPhoto]) -> None:
    """Store cleaned photos with `step`; what was stored is appended to `stored`, so that the
    caller can delete the files if its transaction does not commit."""
    for photo in photos:
        record = EventPhoto(event=event, step=step, original_name=photo.name, uploaded_by=by)
        stored.append(record)
        save_into(record, photo)
        record.save()


def _notify(kind: str, event: Event, user_ids: Iterable[int], text: str = "", *, skip: Any = None) -> None:
    skip_id = getattr(skip, "pk", None)
    Notification.objects.bulk_create(
        [
            Notification(user_id=uid, kind=kind, event=event, text=text[:200])
            for uid in sorted(set(user_ids))
            if uid != skip_id
        ]
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise EventError(_("You cannot do this at the level where the event is now."))


def _required_text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise EventError(_("Please give %(what)s.") % {"what": what})
    return text


# --- transitions --------------------------------------------------------------------


def report_event(
    *,
    by: Any,
    grid_id: int,
    category_id: int,
    description: str,
    address: str,
    latitude: Any = None,
    longitude: Any = None,
    urgency: str = Event.Urgency.NORMAL,
    source: str = Event.Source.GRID,
    solved_on_spot: bool = False,
    result: str = "",
    resident_ids: Iterable[int] = (),
    photos: Iterable[Photo] = (),
    merge_into_id: int | None = None,
    visit_id: int | None = None,
) -> Event:
    """A report from the grid: it goes to the community to be accepted (受理), or, solved on
    the spot (就地解决), straight to verification; or, if the reporter recognised it as a
    duplicate, it is merged into that open event at once."""
    grid = access.get_object(by, Grid, grid_id, access.CHANGE)
    category = EventCategory.objects.filter(pk=category_id, is_active=True).first()
    if category is None:
        raise EventError(_("Choose one of the categories in use."))
    wanted = set(resident_ids)
    visit = None
    if visit_id is not None:
        visit = access.get_object(by, Visit, visit_id, access.CHANGE)
        if visit.grid_id != grid.pk:
            raise EventError(_("The event must be reported in the grid of the visit."))
        source = Event.Source.VISIT
        if visit.resident_id:
            wanted.add(visit.resident_id)
    residents = list(access.scoped(by, Resident.objects.filter(pk__in=wanted, grid=grid)))
    if len(residents) != len(wanted):
        raise EventError(_("Only residents of this grid can be linked to the event."))
    event = Event(
        grid=grid,
        category=category,
        description=_required_text(description, _("a description")),
        address=_required_text(address, _("the address or place")),
        latitude=latitude,
        longitude=longitude,
        urgency=urgency,
        source=source,
        solved_on_spot=solved_on_spot,
        visit=visit,
        reported_by=by,
        level=Level.GRID if solved_on_spot else Level.COMMUNITY,
        status=S.RESOLVED if solved_on_spot else S.REPORTED,
        result=_required_text(result, _("what was done")) if solved_on_spot else "",
    )
    now = timezone.now()
    if solved_on_spot:
        event.stage_started_at = now
    else:
        _await_response(event, now)
    stored: list[EventPhoto] = []
    try:
        with transaction.atomic():
            event.save()
            event.residents.set(residents)
            step = EventStep.objects.create(
                event=event, action=A.REPORT, by=by, to_status=S.REPORTED, level=Level.GRID, note=event.description
            )
            _attach(event, step, photos, by, stored)
            community = level_users(event, Level.COMMUNITY)
            if solved_on_spot:
                EventStep.objects.create(
                    event=event,
                    action=A.SOLVE_ON_SPOT,
                    by=by,
                    from_status=S.REPORTED,
                    to_status=S.RESOLVED,
                    level=Level.GRID,
                    note=event.result,
                )
                _notify(Notification.Kind.VERIFY, event, community, skip=by)
            elif merge_into_id is not None:
                event = merge_event(by=by, event_id=event.pk, into_id=merge_into_id)
            else:
                kind = Notification.Kind.URGENT if urgency == Event.Urgency.URGENT else Notification.Kind.ESCALATED
                _notify(kind, event, community, skip=by)
    except BaseException:
        delete_files(stored)
        raise
    return event


def accept_event(*, by: Any, event_id: int, version: int | None = None, note: str = "") -> Event:
    with transaction.atomic():
        event = _locked(event_id, version, by)
        if event.status != S.REPORTED:
            raise EventError(_("Only a reported event can be accepted."))
        _require(can_act(by, event))
        before = event.status
        event.status = S.ACCEPTED
        _start_handling(event, timezone.now())
        _save(event, by, A.ACCEPT, note, from_status=before)
    return event


def whistle_event(
    *,
    by: Any,
    event_id: int,
    to_level: str,
    reason: str,
    department_ids: Iterable[int] = (),
    version: int | None = None,
) -> Event:
    """吹哨: hand the event to the next level up, or to one or more of the street's
    departments (the first one named leads)."""
    reason = _required_text(reason, _("the reason for whistling"))
    with transaction.atomic():
        event = _locked(event_id, version, by)
        if event.status != S.ACCEPTED:
            raise EventError(_("Accept the event before whistling it up."))
        _require(can_act(by, event))
        if to_level not in WHISTLE_TARGETS.get(event.level, ()):
            raise EventError(_("The event cannot be whistled from here to that level."))
        departments: list[Department] = []
        if to_level == Level.DEPARTMENT:
            wanted = list(dict.fromkeys(int(pk) for pk in department_ids))
            found = {d.pk: d for d in Department.objects.filter(pk__in=wanted, street=event.grid.community.street)}
            if not wanted or len(found) != len(wanted):
                raise EventError(_("Choose one or more departments of this street."))
            departments = [found[pk] for pk in wanted]
        before, from_level = event.status, event.level
        event.previous_level = from_level
        event.level = to_level
        event.status = S.ESCALATED
        _await_response(event, timezone.now())
        EventAssignment.objects.filter(event=event, active=True).update(active=False)
        EventAssignment.objects.bulk_create(
            [EventAssignment(event=event, department=d, lead=i == 0) for i, d in enumerate(departments)]
        )
        names = "、".join(d.name for d in departments)
        _save(event, by, A.WHISTLE, reason, from_status=before, from_level=from_level, departments=names)
        receivers = set(level_users(event, to_level, departments))
        # The lead department is given the event to resolve; the others are called to assist.
        lead = set(level_users(event, to_level, departments[:1])) if departments else set()
        _notify(Notification.Kind.ASSIGNED, event, lead, reason, skip=by)
        _notify(Notification.Kind.ESCALATED, event, receivers - lead, reason, skip=by)
        if event.urgency == Event.Urgency.URGENT:
            _notify(Notification.Kind.URGENT, event, receivers, reason, skip=by)
    return event


def acknowledge_event(*, by: Any, event_id: int, version: int | None = None, note: str = "") -> Event:
    """报到: the receiving level (or department) takes the event on."""
    with transaction.atomic():
        event = _locked(event_id, version, by)
        if event.level == Level.DEPARTMENT:
            mine = acknowledgeable(by, event)
            if not mine:
                raise EventError(_("There is nothing for you to report in for on this event."))
            now = timezone.now()
            EventAssignment.objects.filter(pk__in=[a.pk for a in mine]).update(acknowledged_at=now, acknowledged_by=by)
            names = "、".join(a.department.name for a in mine)
        else:
            if event.status != S.ESCALATED:
                raise EventError(_("Only an escalated event can be reported in for."))
            _require(can_act(by, event))
            names = ""
        before = event.status
        if event.status == S.ESCALATED:
            event.status = S.ACCEPTED
            _start_handling(event, timezone.now())
        _save(event, by, A.ACKNOWLEDGE, note, from_status=before, departments=names)
    return event


def return_event(*, by: Any, event_id: int, reason: str, version: int | None = None) -> Event:
    """退回: the level that received a whistled event sends it back to the one that sent it."""
    reason = _required_text(reason, _("the reason for returning it"))
    with transaction.atomic():
        event = _locked(event_id, version, by)
        if event.status not in (S.ESCALATED, S.ACCEPTED) or not event.previous_level:
            raise EventError(_("Only an event whistled to this level can be returned."))
        _require(can_act(by, event))
        before, back_to, leaving = event.status, event.previous_level, event.level
        event.level = back_to
        event.previous_level = _whistled_from(event, back_to)
        event.status = S.ACCEPTED
        _start_handling(event, timezone.now())
        EventAssignment.objects.filter(event=event, active=True).update(active=False)
        _save(event, by, A.RETURN, reason, from_status=before, from_level=leaving)
        _notify(Notification.Kind.RETURNED, event, level_users(event, back_to), reason, skip=by)
    return event


def _whistled_from(event: Event, level: str) -> str:
    """The level that most recently whistled `event` to `level` ("" if it started there)."""
    step = event.steps.filter(action=A.WHISTLE, level=level).order_by("-at", "-id").first()
    return step.from_level if step else ""


def resolve_event(
    *, by: Any, event_id: int, result: str, version: int | None = None, photos: Iterable[Photo] = ()
) -> Event:
    result = _required_text(result, _("the result"))
    stored: list[EventPhoto] = []
    try:
        with transaction.atomic():
            event = _locked(event_id, version, by)
            if event.status != S.ACCEPTED:
                raise EventError(_("Only an event being handled can be resolved."))
            if event.level == Level.DEPARTMENT and not can_resolve(by, event) and can_act(by, event):
                raise EventError(_("The lead department resolves this event."))
            _require(can_resolve(by, event))
            before = event.status
            event.status = S.RESOLVED
            event.result = result
            event.respond_due = event.resolve_due = None
            step = _save(event, by, A.RESOLVE, result, from_status=before)
            _attach(event, step, photos, by, stored)
            _notify(Notification.Kind.VERIFY, event, _verifiers(event), skip=by)
    except BaseException:
        delete_files(stored)
        raise
    return event


def _verifiers(event: Event) -> list[int]:
    if event.solved_on_spot:
        return level_users(event, Level.COMMUNITY)
    return [event.reported_by_id]


def verify_event(*, by: Any, event_id: int, passed: bool, note: str = "", version: int | None = None) -> Event:
    """核查: pass closes the event; fail sends it back to whoever handled it."""
    with transaction.atomic():
        event = _locked(event_id, version, by)
        if event.status != S.RESOLVED:
            raise EventError(_("Only a resolved event can be verified."))
        if not can_verify(by, event):
            raise EventError(_("The person who reported the event verifies it."))
        before = event.status
        now = timezone.now()
        if passed:
            _end(event, S.CLOSED, now)
            _save(event, by, A.VERIFY_PASS, note, from_status=before)
            return event
        note = _required_text(note, _("what is still wrong"))
        event.status = S.ACCEPTED
        event.failed_verifications += 1
        if event.solved_on_spot and event.level == Level.GRID:
            # Not fixed after all: it becomes an ordinary report at the community.
            event.level = Level.COMMUNITY
            event.solved_on_spot = False
        _start_handling(event, now)
        supervise = event.failed_verifications >= SUPERVISE_AFTER_FAILURES and not event.supervised
        if supervise:
            event.supervised = True
        _save(event, by, A.VERIFY_FAIL, note, from_status=before)
        departments = [a.department for a in event.assignments.all() if a.active]
        _notify(Notification.Kind.RETURNED, event, level_users(event, event.level, departments), note, skip=by)
        if supervise:
            EventStep.objects.create(
                event=event,
                action=A.SUPERVISE,
                by=None,
                from_status=event.status,
                to_status=event.status,
                level=event.level,
                note=_("Verification failed %(count)d times.") % {"count": event.failed_verifications},
            )
            above = LEVEL_ABOVE.get(event.level, Level.STREET)
            _notify(Notification.Kind.SUPERVISION, event, level_users(event, above))
    return event


def cancel_event(*, by: Any, event_id: int, reason: str, version: int | None = None) -> Event:
    """Cancel a duplicate or invalid report, with the reason."""
    reason = _required_text(reason, _("the reason for cancelling"))
    with transaction.atomic():
        event = _locked(event_id, version, by)
        if event.status not in Event.UNRESOLVED:
            raise EventError(_("Only an open event that is not yet resolved can be cancelled."))
        _require(can_act(by, event))
        before = event.status
        _end(event, S.CANCELLED, timezone.now())
        _save(event, by, A.CANCEL, reason, from_status=before)
        _notify(Notification.Kind.RETURNED, event, [event.reported_by_id], reason, skip=by)
    return event


def reopen_event(*, by: Any, event_id: int, reason: str, version: int | None = None) -> Event:
    """Reopen a closed or cancelled event: it goes back to the community to be accepted again."""
    reason = _required_text(reason, _("the reason for reopening"))
    with transaction.atomic():
        event = _locked(event_id, version, by)
        if event.status not in (S.CLOSED, S.CANCELLED):
            raise EventError(_("Only a closed or cancelled event can be reopened."))
        if not can_reopen(by, event):
            raise EventError(_("The community or the street reopens events."))
        before = event.status
        event.status = S.REPORTED
        event.level = Level.COMMUNITY
        event.previous_level = ""
        event.closed_at = None
        _await_response(event, timezone.now())
        _save(event, by, A.REOPEN, reason, from_status=before)
        _notify(Notification.Kind.ESCALATED, event, level_users(event, Level.COMMUNITY), reason, skip=by)
    return event


def merge_event(*, by: Any, event_id: int, into_id: int, version: int | None = None) -> Event:
    """Merge a duplicate report into an open event of the same grid and category: the other
    event carries the handling for both, and lists this one's report and photos."""
    with transaction.atomic():
        if into_id == event_id:
            raise EventError(_("Choose another event to merge into."))
        # Lock both rows in id order, so that two merges of the same pair cannot deadlock.
        rows: dict[int, Event] = {}
        for pk in sorted((event_id, into_id)):
            try:
                rows[pk] = _locked(pk, version if pk == event_id else None, by)
            except Http404:
                if pk == event_id:
                    raise
                raise EventError(_("Choose another event to merge into.")) from None
        event, target = rows[event_id], rows[into_id]
        if event.status not in Event.UNRESOLVED:
            raise EventError(_("Only an open event that is not yet resolved can be merged."))
        if target.status not in Event.UNRESOLVED:
            raise EventError(_("The event to merge into is no longer open."))
        if (target.grid_id, target.category_id) != (event.grid_id, event.category_id):
            raise EventError(_("Only events of the same grid and category can be merged."))
        if event.reported_by_id != by.pk:
            _require(can_act(by, event))
        before = event.status
        _end(event, S.MERGED, timezone.now())
        event.merged_into = target
        _save(event, by, A.MERGE, f"#{target.pk}", from_status=before)
        _save(target, by, A.MERGED_IN, f"#{event.pk}", from_status=target.status)
    return event


def mark_notifications_read(*, by: Any) -> int:
    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())

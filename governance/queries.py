"""Reads of events for pages: the to-do inbox, the filtered list, the timeline, deadlines."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from governance import calendar
from governance.models import Event, EventAssignment, Level, Notification
from grids import access

S = Event.Status


def visible_events(user: Any) -> QuerySet[Event]:
    return access.scoped(user, Event.objects.all())


def inbox_condition(user: Any) -> Q:
    """Events waiting on `user`: at the level of one of their posts, or their own reports to verify.

    The inbox is about a person's own level, so a street official's lists everything the
    street holds but not each community's reports (those wait on the community).
    """
    scope = access.scope_for(user)
    communities = scope.ids(access.CHANGE, "community")
    streets = scope.ids(access.CHANGE, "street")
    departments = scope.ids(access.CHANGE, "department")
    condition = Q(status=S.RESOLVED, solved_on_spot=False, reported_by=user.pk)
    if communities:
        condition |= Q(level=Level.COMMUNITY, status__in=[S.REPORTED, S.ACCEPTED], grid__community_id__in=communities)
        condition |= Q(level=Level.GRID, status=S.RESOLVED, solved_on_spot=True, grid__community_id__in=communities)
    if streets:
        condition |= Q(level=Level.STREET, status__in=[S.ESCALATED, S.ACCEPTED], grid__community__street_id__in=streets)
    if departments:
        mine = EventAssignment.objects.filter(event=OuterRef("pk"), active=True, department_id__in=departments)
        condition |= Q(Exists(mine), level=Level.DEPARTMENT, status__in=[S.ESCALATED, S.ACCEPTED])
    return condition


def inbox(user: Any) -> QuerySet[Event]:
    return visible_events(user).filter(inbox_condition(user))


def inbox_count(user: Any) -> int:
    return inbox(user).count()


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@dataclass
class EventFilter:
    status: str = ""
    category_id: int | None = None
    grid_id: int | None = None
    source: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    overdue: bool = False
    mine: bool = False


def search_events(user: Any, flt: EventFilter) -> QuerySet[Event]:
    events = inbox(user) if flt.mine else visible_events(user)
    if flt.status:
        events = events.filter(status=flt.status)
    if flt.category_id:
        events = events.filter(category_id=flt.category_id)
    if flt.grid_id:
        events = events.filter(grid_id=flt.grid_id)
    if flt.source:
        events = events.filter(source=flt.source)
    if flt.date_from:
        events = events.filter(reported_at__gte=_day_start(flt.date_from))
    if flt.date_to:
        events = events.filter(reported_at__lt=_day_start(flt.date_to + datetime.timedelta(days=1)))
    if flt.overdue:
        now = timezone.now()
        events = events.filter(Q(respond_due__lt=now) | Q(resolve_due__lt=now), status__in=Event.OPEN)
    return events


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def event_rows(events: QuerySet[Event]) -> QuerySet[Event]:
    """What a list row shows, in a fixed number of queries."""
    return events.select_related("grid__community", "category").order_by("-reported_at", "-id")


def deadline_of(event: Event) -> tuple[datetime.datetime, bool] | None:
    """The deadline that applies now and whether it counts working days."""
    if event.status in (S.REPORTED, S.ESCALATED) and event.respond_due:
        return event.respond_due, False
    if event.status == S.ACCEPTED and event.resolve_due:
        return event.resolve_due, True
    return None


def light_of(event: Event, now: datetime.datetime | None = None) -> str | None:
    found = deadline_of(event)
    if found is None:
        return None
    due, working = found
    return calendar.light(event.stage_started_at, due, now or timezone.now(), working=working)

"""Reads of events for pages: the to-do inbox, the filtered list, the timeline, deadlines."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from governance.calendar import workdays
from governance.events.models import Event, EventAssignment, Level, Notification
from grids import access
from grids.shared.pagination import IdPaginator as IdPaginator  # the event list pages with it
from grids.tree.models import Grid

S = Event.Status


def visible_events(user: Any) -> QuerySet[Event]:
    return access.scoped(user, Event.objects.all())


def inbox_branches(user: Any) -> list[Q]:
    """Events waiting on `user`: at the level of one of their posts, or their own reports to verify.

    The inbox is about a person's own level, so a street official's lists everything the
    street holds but not each community's reports (those wait on the community). Every
    branch names the user's own nodes, so the inbox needs no further scope filter, and the
    branches never overlap (they differ in level or status), so their counts add up.
    """
    scope = access.scope_for(user)
    communities = scope.ids(access.CHANGE, "community")
    streets = scope.ids(access.CHANGE, "street")
    departments = scope.ids(access.CHANGE, "department")
    # A reporter verifies while they may still act on the grid (see actions.can_verify).
    branches = [
        Q(
            status=S.RESOLVED,
            solved_on_spot=False,
            reported_by=user.pk,
            grid_id__in=access.visible_grids(user, access.CHANGE).values("pk"),
        )
    ]
    # Grid ids as literals, so that each branch is one range of the (level, status, grid) index.
    if communities or streets:
        by_community, by_street = _grids_of(user, communities, streets)
        if by_community:
            branches.append(Q(level=Level.COMMUNITY, status__in=[S.REPORTED, S.ACCEPTED], grid_id__in=by_community))
            branches.append(Q(level=Level.GRID, status=S.RESOLVED, solved_on_spot=True, grid_id__in=by_community))
        if by_street:
            branches.append(Q(level=Level.STREET, status__in=[S.ESCALATED, S.ACCEPTED], grid_id__in=by_street))
    if departments:
        mine = EventAssignment.objects.filter(active=True, department_id__in=departments).values("event_id")
        branches.append(Q(pk__in=mine, level=Level.DEPARTMENT, status__in=[S.ESCALATED, S.ACCEPTED]))
    return branches


def inbox_condition(user: Any) -> Q:
    condition = Q()
    for branch in inbox_branches(user):
        condition |= branch
    return condition


def _grids_of(user: Any, communities: frozenset[int], streets: frozenset[int]) -> tuple[list[int], list[int]]:
    """Ids of the grids in the user's communities and in their streets; one query, kept for the request."""
    cached = getattr(user, "_inbox_grids", None)
    if cached is None:
        rows = Grid.objects.filter(Q(community_id__in=communities) | Q(community__street_id__in=streets)).values_list(
            "pk", "community_id", "community__street_id"
        )
        rows = list(rows)
        cached = (
            sorted(pk for pk, community, _street in rows if community in communities),
            sorted(pk for pk, _community, street in rows if street in streets),
        )
        user._inbox_grids = cached
    return cached


def inbox(user: Any) -> QuerySet[Event]:
    return Event.objects.filter(inbox_condition(user))


def inbox_count(user: Any) -> int:
    """One query of UNION ALL: each branch can then be counted from its index alone, which
    one OR-ed condition does not allow."""
    parts = [Event.objects.filter(branch).order_by().values("pk") for branch in inbox_branches(user)]
    return parts[0].union(*parts[1:], all=True).count() if len(parts) > 1 else parts[0].count()


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
        # due_at is set only while an event waits on someone (see Event.save).
        events = events.filter(due_at__lt=now)
    return events


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


ROW_RELATED = ("grid__community", "category")


def event_rows(events: QuerySet[Event]) -> QuerySet[Event]:
    """Newest first; a page of them is loaded with ROW_RELATED (see grids.shared.pagination.IdPaginator)."""
    return events.order_by("-reported_at", "-id")


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
    return workdays.light(event.stage_started_at, due, now or timezone.now(), working=working)


DUPLICATE_METRES = 100
DUPLICATE_LIMIT = 5


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) in metres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _same_place(text: str) -> str:
    return "".join(text.split()).casefold()


def duplicate_candidates(
    user: Any, *, grid_id: int, category_id: int, address: str = "", latitude: Any = None, longitude: Any = None
) -> list[Event]:
    """Open events of the same category in the same grid, at the same address or within
    DUPLICATE_METRES of the map point: offered for merging while a report is written."""
    if not (address.strip() or latitude is not None):
        return []
    open_events = visible_events(user).filter(
        grid_id=grid_id,
        category_id=category_id,
        status__in=Event.UNRESOLVED,
    )
    place = _same_place(address)
    found = []
    # One grid's open events of one category: a handful, compared here rather than in SQL.
    for event in open_events.select_related("category").order_by("-reported_at")[:200]:
        near = (
            latitude is not None
            and longitude is not None
            and event.latitude is not None
            and _metres((float(latitude), float(longitude)), (float(event.latitude), float(event.longitude)))
            <= DUPLICATE_METRES
        )
        if near or (place and _same_place(event.address) == place):
            found.append(event)
        if len(found) >= DUPLICATE_LIMIT:
            break
    return found

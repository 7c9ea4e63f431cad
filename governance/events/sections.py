"""What events add to the grid and department pages of grids, which does not import them:
registered with grids' page sections from governance's AppConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from governance.events import queries, views
from governance.events.models import Event, EventAssignment, EventStep
from grids.shared.sections import Activity
from grids.tree.models import Department, Grid

# How many open events a grid's page lists (the count covers them all, the list page has the rest).
GRID_PAGE_EVENTS = 10
# A department's open whistles are its work in hand: all of them, up to a page's worth.
DEPARTMENT_PAGE_EVENTS = 50


def grid_page_section(user: Any, grid: Grid) -> dict[str, Any]:
    """The grid's open events (not yet closed, cancelled or merged), newest first."""
    events = queries.visible_events(user).filter(grid_id=grid.pk, status__in=Event.OPEN)
    newest = events.select_related(*queries.ROW_RELATED).order_by("-reported_at", "-id")[:GRID_PAGE_EVENTS]
    return {
        "rows": views._rows(list(newest)),
        "count": events.count(),
        "url": f"{reverse('events:list')}?grid={grid.pk}",
    }


def department_page_section(user: Any, department: Department) -> dict[str, Any]:
    """Open whistles: events currently assigned to the department and not yet closed."""
    assigned = EventAssignment.objects.filter(department_id=department.pk, active=True)
    events = queries.visible_events(user).filter(pk__in=assigned.values("event_id"), status__in=Event.OPEN)
    newest = (
        events.select_related(*queries.ROW_RELATED)
        .prefetch_related(Prefetch("assignments", queryset=assigned, to_attr="here"))
        .order_by("-reported_at", "-id")[:DEPARTMENT_PAGE_EVENTS]
    )
    rows = views._rows(list(newest))
    for row in rows:
        row["assignment"] = row["event"].here[0] if row["event"].here else None
    return {"rows": rows, "count": events.count()}


def grid_activity(user: Any, grid: Grid, limit: int) -> list[Activity]:
    """The latest steps of the grid's events: reported, accepted, whistled up, resolved …"""
    events = queries.visible_events(user).filter(grid_id=grid.pk)
    steps = (
        EventStep.objects.filter(event__in=events.values("pk"))
        .select_related("event__category", "by")
        .order_by("-at", "-id")[:limit]
    )
    detail = reverse("events:detail", args=[0])[: -len("0/")]
    return [
        Activity(
            at=step.at,
            kind=_("Event"),
            text=f"#{step.event_id} {step.event.category.name} · {step.get_action_display()}",
            url=f"{detail}{step.event_id}/",
            by=(step.by.first_name or step.by.username) if step.by else "",
        )
        for step in steps
    ]

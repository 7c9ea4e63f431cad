"""Sections that later features add to the pages of earlier ones (the resident, grid and
department pages), so that a page's feature imports none of the features built on it.

A feature registers its sections from its app's `ready()`. A page shows its sections by
`order`, then in the order they were registered, each from its own template given `data`.
A feature may also add entries to a page's recent activity, which the page shows as one
list, newest first.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The pages that take sections, and the object each is about.
RESIDENT = "resident"
GRID = "grid"
DEPARTMENT = "department"


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    # (user, obj) -> what the template shows, as `data`; the user has been allowed to see obj.
    data: Callable[[Any, Any], dict[str, Any]]
    order: int = 100


@dataclass(frozen=True)
class Activity:
    """One line of a page's recent activity."""

    at: datetime.datetime
    kind: str
    text: str
    url: str = ""
    by: str = ""
    # A visit is recorded by its day, not its hour.
    day_only: bool = False


# (user, obj, limit) -> the newest `limit` entries of one feature, already scoped to the user.
ActivitySource = Callable[[Any, Any, int], list[Activity]]

_SECTIONS: dict[str, dict[str, Section]] = {}
_ACTIVITY: dict[str, dict[str, ActivitySource]] = {}


def register(page: str, section: Section) -> None:
    _SECTIONS.setdefault(page, {}).setdefault(section.key, section)


def register_activity(page: str, key: str, source: ActivitySource) -> None:
    _ACTIVITY.setdefault(page, {}).setdefault(key, source)


def for_page(page: str, user: Any, obj: Any) -> list[dict[str, Any]]:
    sections = sorted(_SECTIONS.get(page, {}).values(), key=lambda s: s.order)
    return [{"key": s.key, "template": s.template, "data": s.data(user, obj)} for s in sections]


def recent_activity(page: str, user: Any, obj: Any, *, limit: int = 15) -> list[Activity]:
    """The newest `limit` entries from every feature, newest first."""
    entries = [entry for source in _ACTIVITY.get(page, {}).values() for entry in source(user, obj, limit)]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]

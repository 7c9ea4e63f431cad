"""Sections that other features add to the resident page (visits now; events and dispute
cases as they come), so that residents imports none of the features built on it.

A feature registers its section from its app's `ready()`; the page shows the sections in
the order they were registered, each from its own template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grids.residents.models import Resident


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    # (user, resident) -> what the template shows, as `data`; the user has been allowed to see the resident.
    data: Callable[[Any, Resident], dict[str, Any]]


_SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    _SECTIONS.setdefault(section.key, section)


def for_page(user: Any, resident: Resident) -> list[dict[str, Any]]:
    return [{"template": s.template, "data": s.data(user, resident)} for s in _SECTIONS.values()]

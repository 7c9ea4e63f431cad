"""Sections that other features add to the resident page (visits now; events and dispute
cases as they come), so that residents imports none of the features built on it.

The resident page's share of the page-section registry in grids/shared/sections.py: a
feature registers its section from its app's `ready()`; the page shows the sections in
order, each from its own template.
"""

from __future__ import annotations

from typing import Any

from grids.residents.models import Resident
from grids.shared import sections
from grids.shared.sections import Section

__all__ = ["Section", "for_page", "register"]


def register(section: Section) -> None:
    sections.register(sections.RESIDENT, section)


def for_page(user: Any, resident: Resident) -> list[dict[str, Any]]:
    return sections.for_page(sections.RESIDENT, user, resident)

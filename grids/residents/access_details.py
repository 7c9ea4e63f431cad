"""What each access-log entry looked at, in words.

Entries store the resident list's query string as it was asked (an export adds
" unmasked=<n>"), so the log keeps what was asked even when filters change later; it is put
into words when the log is read, with the list's own labels. Grids are named only when the
reader may see them; others keep their number.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from django.utils.translation import gettext as _

from grids import access
from grids.residents.models import PersonalDataAccess, PopulationTag, Resident

_MAX_ID = 2**63 - 1


def _split(detail: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The list's query and the notes appended after a space (a query string has none)."""
    query, _sep, notes = detail.partition(" ")
    pairs = parse_qsl(query, keep_blank_values=False, errors="replace")
    extra = dict(parse_qsl(notes.replace(" ", "&"), errors="replace"))
    return pairs, extra


def _id(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= _MAX_ID else None


def _names(user: Any, entries: list[PersonalDataAccess]) -> tuple[dict[int, str], dict[int, str]]:
    """Names of the grids and tags the page's entries mention: two queries for the whole page."""
    ids: dict[str, set[int]] = {"grid": set(), "tag": set()}
    for entry in entries:
        for key, value in _split(entry.detail)[0]:
            number = _id(value)
            if key in ids and number is not None:
                ids[key].add(number)
    grid_ids, tag_ids = ids["grid"], ids["tag"]
    grids = {}
    if grid_ids:
        visible = access.visible_grids(user).filter(pk__in=grid_ids).select_related("community")
        grids = {g.pk: f"{g.community.name} · {g.name}" for g in visible}
    tags = dict(PopulationTag.objects.filter(pk__in=tag_ids).values_list("pk", "name")) if tag_ids else {}
    return grids, tags


def _age(low: str | None, high: str | None) -> str:
    if low and high:
        return _("aged %(low)s to %(high)s") % {"low": low, "high": high}
    if low:
        return _("aged %(low)s or over") % {"low": low}
    return _("aged %(high)s or under") % {"high": high}


def describe(detail: str, *, grids: dict[int, str], tags: dict[int, str]) -> list[str]:
    """One phrase per thing asked: 搜索“张”, 网格：东风社区 · 第1网格, 第 2 页 …"""
    pairs, extra = _split(detail)
    residence = dict(Resident.ResidenceType.choices)
    moved_out = {"yes": _("moved out only"), "all": _("including moved out")}
    labels = {"building": _("Building"), "grid": _("Grid"), "tag": _("Tag"), "residence_type": _("Residence type")}
    parts: list[str] = []
    ages: dict[str, str] = {}
    for key, value in pairs:
        value = value.strip()
        if not value:
            continue
        number = _id(value)
        if key == "q":
            parts.append(_("search “%(q)s”") % {"q": value})
        elif key == "page":
            parts.append(_("page %(n)s") % {"n": value})
        elif key in ("age_min", "age_max"):
            ages[key] = value
        elif key == "moved_out":
            if value != "no":
                parts.append(moved_out.get(value, value))
        elif key in labels:
            if key in ("grid", "tag"):
                name = (grids if key == "grid" else tags).get(number) if number else None
                shown = name or _("no. %(id)s") % {"id": value}
            else:
                shown = residence.get(value, value) if key == "residence_type" else value
            parts.append(_("%(label)s: %(value)s") % {"label": labels[key], "value": shown})
        else:
            # Something the list does not read: kept as asked, so the log hides nothing.
            parts.append(f"{key}={value}")
    if ages:
        parts.append(_age(ages.get("age_min"), ages.get("age_max")))
    if "unmasked" in extra:
        parts.append(_("%(n)s unmasked") % {"n": extra["unmasked"]})
    return parts


def describe_entries(user: Any, entries: Iterable[PersonalDataAccess]) -> list[PersonalDataAccess]:
    """The page's entries, each with `described`: its phrases, or "whole list" for a list or export."""
    entries = list(entries)
    grids, tags = _names(user, entries)
    for entry in entries:
        entry.described = describe(entry.detail, grids=grids, tags=tags)
        if not entry.described and entry.action != PersonalDataAccess.Action.VIEW:
            entry.described = [_("whole list")]
    return entries

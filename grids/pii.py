"""Personal data: masking, who may see it unmasked, and the access log."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# Names are converted character by character, so pypinyin's phrase dictionary (and its
# defensive copy of the character one) would only cost ~45 MB in every process.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "true")

from pypinyin import lazy_pinyin  # noqa: E402 - after the switches above

from grids import access
from grids.models import PersonalDataAccess, Resident


def mask_id(value: str) -> str:
    """110105********1234: region and last four digits stay, birth date is hidden."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def can_see(user: Any, resident: Resident) -> bool:
    return access.has_perm(user, access.VIEW_PII, resident)


def visible_ids(user: Any, residents: Iterable[Resident]) -> set[int]:
    """Of `residents`, the ids whose personal data `user` may see unmasked (one query)."""
    return access.permitted(user, access.VIEW_PII, residents)


def log_access(
    *,
    user: Any,
    action: str,
    resident: Resident | None = None,
    street_id: int | None = None,
    count: int = 1,
    detail: str = "",
    reason: str = "",
) -> None:
    if resident is not None and street_id is None:
        street_id = resident.grid.community.street_id
    PersonalDataAccess.objects.create(
        user=user,
        action=action,
        resident=resident,
        street_id=street_id,
        count=count,
        detail=detail[:500],
        reason=reason[:200],
    )


def log_lookups(*, user: Any, resident_ids: list[int], detail: str) -> None:
    """An ID number typed by `user` matched residents they may not see: log each match.

    The user is told only that the number is registered elsewhere; the street admin sees
    who looked up whom.
    """
    streets = dict(
        Resident.objects.filter(pk__in=resident_ids).values_list("pk", "grid__community__street_id")
    )
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            user=user,
            action=PersonalDataAccess.Action.LOOKUP,
            resident_id=pk,
            street_id=streets.get(pk),
            detail=detail[:500],
        )
        for pk in resident_ids
    )


@lru_cache(maxsize=50_000)
def _syllables(chunk: str) -> tuple[str, ...]:
    return tuple(s.lower() for s in lazy_pinyin(chunk, errors=lambda chars: chars.split()) if s.strip())


def name_pinyin(name: str) -> tuple[str, str]:
    """Full pinyin and initials of a name: 张三 → ("zhangsan", "zs").

    Character by character, cached: names are made of a few thousand characters, so
    a 100,000-row roster converts each of them once.
    """
    syllables: list[str] = []
    for chunk in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]|[^\u3400-\u9fff\uf900-\ufaff]+", name):
        syllables.extend(_syllables(chunk))
    return "".join(syllables)[:255], "".join(s[0] for s in syllables if s)[:64]

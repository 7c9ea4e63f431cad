"""Working days by the official Chinese calendar, and the deadlines counted in them.

The chinesecalendar package knows the State Council's holiday arrangements, make-up
working days (调休) included, for the years of its release. CalendarDay rows, edited in
the admin, override it and cover later years; a year known to neither falls back to
Monday to Friday, and the admin says so.
"""

from __future__ import annotations

import datetime
import time
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from governance.calendar.models import CalendarDay

PACKAGE_YEARS = range(min(constants.holidays).year, max(constants.holidays).year + 1)
# Overrides are re-read at most this often, so an admin's change reaches every process soon.
_OVERRIDES_TTL = 60.0
_overrides_cache: tuple[float, dict[datetime.date, bool]] | None = None

GREEN, AMBER, RED = "green", "amber", "red"
AMBER_FROM = 0.8


def _overrides() -> dict[datetime.date, bool]:
    global _overrides_cache
    now = time.monotonic()
    if _overrides_cache is None or now - _overrides_cache[0] > _OVERRIDES_TTL:
        days = {d: kind == CalendarDay.Kind.WORKDAY for d, kind in CalendarDay.objects.values_list("date", "kind")}
        _overrides_cache = (now, days)
    return _overrides_cache[1]


def forget_overrides(**_kwargs: object) -> None:
    global _overrides_cache
    _overrides_cache = None


post_save.connect(forget_overrides, sender=CalendarDay)
post_delete.connect(forget_overrides, sender=CalendarDay)


@lru_cache(maxsize=8192)
def _package_workday(day: datetime.date) -> bool:
    if day.year in PACKAGE_YEARS:
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def is_workday(day: datetime.date) -> bool:
    override = _overrides().get(day)
    if override is not None:
        return override
    return _package_workday(day)


def year_is_known(year: int) -> bool:
    """Whether holidays of `year` are known (package or overrides), rather than weekends only."""
    return year in PACKAGE_YEARS or any(day.year == year for day in _overrides())


def _end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """The end (23:59:59 local) of the `days`-th working day after the day of `start`.

    The day something arrives does not count, as in "办结时限 N 个工作日".
    """
    day = timezone.localtime(start).date()
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_workday(day):
            counted += 1
    return _end_of_day(day)


def working_seconds(start: datetime.datetime, end: datetime.datetime) -> float:
    """Seconds between `start` and `end` that fall on working days."""
    if end <= start:
        return 0.0
    start, end = timezone.localtime(start), timezone.localtime(end)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if is_workday(day):
            day_start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
            day_end = day_start + datetime.timedelta(days=1)
            total += (min(end, day_end) - max(start, day_start)).total_seconds()
        day += datetime.timedelta(days=1)
    return max(total, 0.0)


def light(start: datetime.datetime, due: datetime.datetime, now: datetime.datetime, *, working: bool) -> str:
    """green, amber (≥ 80 % of the time allowed is used) or red (overdue)."""
    if now > due:
        return RED
    if working:
        allowed, used = working_seconds(start, due), working_seconds(start, now)
    else:
        allowed, used = (due - start).total_seconds(), (now - start).total_seconds()
    if allowed <= 0 or used / allowed >= AMBER_FROM:
        return AMBER
    return GREEN

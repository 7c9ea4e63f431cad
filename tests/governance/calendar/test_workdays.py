"""Working days by the official calendar: holidays, make-up working days, overrides, fallback."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from governance.calendar import workdays
from governance.models import CalendarDay


def at(text: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


@pytest.fixture(autouse=True)
def _fresh_overrides(db):
    workdays.forget_overrides()
    yield
    workdays.forget_overrides()


def test_spring_festival_2026_and_its_make_up_saturday():
    # 2026: 春节 holiday Sunday 15 Feb – Monday 23 Feb; Saturday 14 Feb is a working day.
    assert workdays.is_workday(datetime.date(2026, 2, 14))
    assert not workdays.is_workday(datetime.date(2026, 2, 16))
    assert not workdays.is_workday(datetime.date(2026, 2, 23))
    assert workdays.is_workday(datetime.date(2026, 2, 24))


def test_deadline_across_the_spring_festival():
    # Accepted on Thursday 12 Feb: Friday 13 and the make-up Saturday 14 count, the holiday
    # does not, then Tuesday 24 and Wednesday 25.
    assert workdays.add_working_days(at("2026-02-12 10:00"), 4) == at("2026-02-25 23:59:59")
    # The same four days in an ordinary week end on the following Wednesday.
    assert workdays.add_working_days(at("2026-03-12 10:00"), 4) == at("2026-03-18 23:59:59")


def test_a_report_on_a_holiday_counts_from_the_next_working_day():
    assert workdays.add_working_days(at("2026-02-18 09:00"), 1) == at("2026-02-24 23:59:59")


def test_admin_overrides_win_over_the_package():
    CalendarDay.objects.create(date=datetime.date(2026, 3, 13), kind=CalendarDay.Kind.HOLIDAY, note="测试")
    CalendarDay.objects.create(date=datetime.date(2026, 3, 14), kind=CalendarDay.Kind.WORKDAY, note="测试调休")
    assert not workdays.is_workday(datetime.date(2026, 3, 13))
    assert workdays.is_workday(datetime.date(2026, 3, 14))


def test_a_year_the_package_does_not_know_falls_back_to_weekends_until_entered():
    new_year = datetime.date(2027, 1, 1)  # a Friday
    assert not workdays.year_is_known(2027)
    assert workdays.is_workday(new_year)
    CalendarDay.objects.create(date=new_year, kind=CalendarDay.Kind.HOLIDAY, note="元旦")
    assert workdays.year_is_known(2027)
    assert not workdays.is_workday(new_year)
    assert workdays.add_working_days(at("2026-12-31 10:00"), 1) == at("2027-01-04 23:59:59")


def test_working_seconds_skip_holidays():
    # From Friday 13 Feb noon to Tuesday 24 Feb noon: half of Friday, the Saturday, half of Tuesday.
    assert workdays.working_seconds(at("2026-02-13 12:00"), at("2026-02-24 12:00")) == 2 * 86400


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-03-16 10:00", workdays.GREEN),  # one of four working days used
        ("2026-03-18 06:00", workdays.AMBER),  # more than 80 % used
        ("2026-03-19 00:00", workdays.RED),  # past the deadline
    ],
)
def test_traffic_light_counts_working_time(now, expected):
    start = at("2026-03-12 23:59:59")
    due = workdays.add_working_days(at("2026-03-12 10:00"), 4)
    assert workdays.light(start, due, at(now), working=True) == expected


def test_traffic_light_for_clock_hours():
    start = at("2026-03-12 10:00")
    due = at("2026-03-12 20:00")
    assert workdays.light(start, due, at("2026-03-12 17:59"), working=False) == workdays.GREEN
    assert workdays.light(start, due, at("2026-03-12 18:00"), working=False) == workdays.AMBER
    assert workdays.light(start, due, at("2026-03-12 20:01"), working=False) == workdays.RED


def test_admin_says_which_years_count_weekends_only(admin_client, settings):
    page = admin_client.get("/admin/governance/calendarday/", follow=True).content.decode()
    this_year = timezone.localdate().year
    unknown = [y for y in (this_year, this_year + 1) if y not in workdays.PACKAGE_YEARS]
    for year in unknown:
        assert str(year) in page
    if unknown:
        assert "只按周一至周五计算" in page

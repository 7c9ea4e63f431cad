"""The admin answers tampered list filters and form values with its own messages, not a
server error."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from governance.models import CalendarDay
from grids.models import Household


@pytest.fixture
def admin_client(root):
    client = Client(raise_request_exception=True)
    client.force_login(root)
    return client


@pytest.mark.parametrize("year", ["99999999999999999999999", "-99999999999999999999999", "9999", "0"])
def test_a_date_hierarchy_year_out_of_range_shows_the_list_without_it(admin_client, year):
    CalendarDay.objects.create(date=datetime.date(2026, 10, 1), kind=CalendarDay.Kind.HOLIDAY, note="国庆")
    lists = ("/admin/governance/calendarday/?date__year=", "/admin/axes/accesslog/?attempt_time__year=")
    for url in (f"{page}{year}" for page in lists):
        response = admin_client.get(url)
        assert response.status_code == 302 and response["Location"].endswith("?e=1"), url
    assert admin_client.get("/admin/governance/calendarday/?date__year=2026&date__month=12").status_code == 200


def test_a_grid_form_with_a_community_that_is_no_id_is_shown_again_with_its_error(admin_client, tree):
    data = {"name": "新网格", "code": "G99", "kind": "comprehensive", "household_target": "300", "boundary": "null"}
    for community in ("2024-02-30", "99999999999999999999999"):
        response = admin_client.post("/admin/grids/grid/add/", {**data, "community": community})
        assert response.status_code == 200
        assert "errorlist" in response.content.decode()


def test_the_lists_of_visits_name_a_household_without_an_address(admin_client, tree, root):
    household = Household.objects.create(grid=tree.g11)
    assert str(household) == "（无地址）"
    assert admin_client.get(f"/admin/grids/grid/{tree.g11.pk}/delete/").status_code == 200

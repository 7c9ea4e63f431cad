"""The resident list counts up to a cap, as the event list does, and says so past it."""

from __future__ import annotations

from grids.shared.pagination import IdPaginator
from tests.grids.residents.test_household_page import household_of


def test_a_long_roster_is_counted_up_to_a_cap_and_says_so(client, personas, tree, monkeypatch):
    household_of(tree.g11, 5, first_serial=1)
    household_of(tree.g12, 2, first_serial=100)
    original = IdPaginator.__init__

    def small_cap(self, *args, **kwargs):
        original(self, *args, **{**kwargs, "cap": 3})

    monkeypatch.setattr(IdPaginator, "__init__", small_cap)
    client.force_login(personas["street_admin"])
    body = client.get("/residents/").content.decode()
    assert "超过 3 名居民，请用筛选条件缩小范围" in body
    narrowed = client.get(f"/residents/?grid={tree.g12.pk}").content.decode()
    assert "超过" not in narrowed
    assert "2 名居民" in narrowed


def test_pages_keep_the_roster_order(client, personas, tree):
    members = household_of(tree.g11, 60, first_serial=1)
    client.force_login(personas["street_admin"])
    first = client.get("/residents/")
    second = client.get("/residents/?page=2")
    shown = [row["resident"].pk for page in (first, second) for row in page.context["rows"]]
    assert shown == sorted(m.pk for m in members)
    assert "60 名居民" in first.content.decode()
    assert all(row["unmasked"] for row in first.context["rows"])

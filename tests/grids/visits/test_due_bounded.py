"""Who is due a visit, selected in the database: the same residents in the same order as a
plain reading of the rules, and a cost that does not grow with the number of tagged residents."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grids.models import Household, PopulationTag, Resident, Visit
from grids.residents.demo import synthetic_id
from grids.visits.queries import GRID_PAGE_DUE, visits_due
from tests.conftest import fresh


def tag(name: str, every: int | None, *, active: bool = True) -> PopulationTag:
    obj, _ = PopulationTag.objects.update_or_create(
        name=name, defaults={"visit_interval_days": every, "is_active": active}
    )
    return obj


def populate(grid, count: int, *, first: int = 0, by=None) -> None:
    """Residents with a spread of rules, visits and ages on the roster, some not due at all."""
    today = timezone.localdate()
    rules = [tag("测试七天", 7), tag("测试十四天", 14), tag("测试同为七天", 7), tag("测试停用", 1, active=False)]
    no_rule = tag("测试无规则", None)
    household = None
    for n in range(first, first + count):
        if n % 3 == 0:
            household = Household.objects.create(grid=grid, estate="测试小区", building="1", unit="1", room=str(n))
        resident = Resident.objects.create(
            name=f"测试居民{n}",
            name_pinyin="x",
            name_initials="x",
            id_number=synthetic_id(datetime.date(1940, 1, 1) + datetime.timedelta(days=n // 400), n % 400, "M"),
            birth_date=datetime.date(1940, 1, 1),
            sex="M",
            grid=grid,
            household=household,
            moved_out_on=today if n % 11 == 5 else None,
        )
        picked = [rules[n % 4]] + ([rules[(n + 1) % 4]] if n % 2 else []) + ([no_rule] if n % 5 == 0 else [])
        resident.tags.set(picked)
        Resident.objects.filter(pk=resident.pk).update(created_at=timezone.now() - datetime.timedelta(days=n % 40))
        if n % 4 == 1:
            visited_on = today - datetime.timedelta(days=n % 23)
            Visit.objects.create(grid=grid, resident=resident, household=household, by=by, visited_on=visited_on)
        if n % 6 == 2:
            visited_on = today - datetime.timedelta(days=n % 17)
            Visit.objects.create(grid=grid, household=household, by=by, visited_on=visited_on)


def expected_due(grid) -> list[tuple[int, str, int, datetime.date | None, int]]:
    """The rules read plainly, resident by resident, as the list was first worked out."""
    today = timezone.localdate()
    rows = []
    for resident in Resident.objects.filter(grid=grid, moved_out_on__isnull=True).prefetch_related("tags"):
        tags = resident.tags.all()
        rules = sorted((t.visit_interval_days, t.name) for t in tags if t.is_active and t.visit_interval_days)
        if not rules:
            continue
        every, name = rules[0]
        visits = Visit.objects.filter(resident=resident) | Visit.objects.filter(household_id=resident.household_id)
        last = max((v.visited_on for v in visits), default=None)
        since = last or timezone.localtime(resident.created_at).date()
        overdue = (today - since).days - every
        if overdue >= 0:
            rows.append((resident.pk, name, every, last, overdue))
    rows.sort(key=lambda row: (-row[4], row[0]))
    return rows


def test_due_list_is_the_rules_read_plainly(personas, tree):
    populate(tree.g11, 90, by=personas["grid_worker"])
    expected = expected_due(tree.g11)
    assert len(expected) > 20
    due = visits_due(fresh(personas["grid_worker"]), limit=None)
    assert [(d.resident.pk, d.tag, d.every_days, d.last_visit, d.days_overdue) for d in due] == expected
    first = visits_due(fresh(personas["grid_worker"]), limit=10)
    assert [d.resident.pk for d in first] == [row[0] for row in expected[:10]]


def test_grid_page_counts_all_due_and_lists_the_most_overdue(client, personas, tree):
    populate(tree.g11, 60, by=personas["grid_worker"])
    expected = expected_due(tree.g11)
    client.force_login(personas["street_official"])
    response = client.get(f"/grids/{tree.g11.pk}/")
    section = next(s for s in response.context["sections"] if s["key"] == "visits_due")["data"]
    assert section["count"] == len(expected)
    assert [d.resident.pk for d in section["due"]] == [row[0] for row in expected[:GRID_PAGE_DUE]]


def test_home_and_grid_page_cost_the_same_for_few_and_many_due(client, personas, tree):
    def cost(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(personas["grid_worker"])
    populate(tree.g11, 6)
    small = (cost("/"), cost(f"/grids/{tree.g11.pk}/"), len(visits_due(fresh(personas["grid_worker"]))))
    populate(tree.g11, 300, first=6)
    large = (cost("/"), cost(f"/grids/{tree.g11.pk}/"), len(visits_due(fresh(personas["grid_worker"]))))
    assert small[:2] == large[:2]
    assert small[2] < large[2] == 50


def test_due_list_costs_two_queries(personas, tree, django_assert_num_queries):
    populate(tree.g11, 120)
    worker = fresh(personas["grid_worker"])
    # The user's grants, then the residents shown.
    with django_assert_num_queries(2):
        assert len(visits_due(worker)) == 50

"""A grid's page: its workers, residents by tag, open events, visits due and recent activity,
each scoped to the grid and to what the user may see, in a fixed number of queries."""

from __future__ import annotations

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.events import actions
from grids.models import Household, PopulationTag, Resident, ResidentChange, Visit
from grids.residents.demo import synthetic_id
from tests.conftest import default_category, fresh

_serial = iter(range(1, 10_000))
# Visit rules (days) of the tags used here, as the migration adds them.
RULES = {"低保": 30, "独居老人": 7, "残疾人": 30, "空巢老人": 14, "退役军人": None}


def make_resident(
    grid, name: str, *, tags=(), room: str = "101", moved_out: bool = False, age: int = 50, on_roster_days: int = 30
):
    household, _ = Household.objects.get_or_create(grid=grid, estate="东风小区", building="1", unit="1", room=room)
    birth = datetime.date(2026 - age, 3, 1)
    resident = Resident.objects.create(
        name=name,
        name_pinyin="x",
        name_initials="x",
        id_number=synthetic_id(birth, next(_serial), "F"),
        birth_date=birth,
        sex="F",
        grid=grid,
        household=household,
        moved_out_on=timezone.localdate() if moved_out else None,
    )
    resident.tags.set(
        [PopulationTag.objects.get_or_create(name=t, defaults={"visit_interval_days": RULES[t]})[0] for t in tags]
    )
    # Tag visit rules count from the day a resident was added.
    added = timezone.now() - datetime.timedelta(days=on_roster_days)
    Resident.objects.filter(pk=resident.pk).update(created_at=added)
    return resident


def report(user, grid, text: str):
    return actions.report_event(
        by=fresh(user), grid_id=grid.pk, category_id=default_category("环境卫生").pk, description=text, address="3栋"
    )


def _tag_link(page: str, grid, tag_name: str) -> str | None:
    tag = PopulationTag.objects.filter(name=tag_name).first()
    if tag is None:
        return None
    found = re.search(
        rf'href="/residents/\?grid={grid.pk}&amp;tag={tag.pk}">{tag_name} <span class="badge[^"]*">(\d+)</span>', page
    )
    return found.group(1) if found else None


def test_grid_page_shows_workers_residents_by_tag_open_events_visits_due_and_recent_activity(client, personas, tree):
    for n in range(3):
        make_resident(tree.g11, f"低保户{n}", tags=["低保"], room=f"10{n}", on_roster_days=10)
    make_resident(tree.g11, "独居李奶奶", tags=["独居老人", "低保"], room="201", age=80)
    make_resident(tree.g11, "已迁出者", tags=["低保"], room="202", moved_out=True)
    make_resident(tree.g12, "隔壁网格低保户", tags=["低保"], room="301")
    changed = make_resident(tree.g11, "改过地址的人", room="203")
    ResidentChange.objects.create(resident=changed, kind=ResidentChange.Kind.UPDATED, by=personas["grid_worker"])
    visited = make_resident(tree.g11, "刚走访过的人", room="204")
    Visit.objects.create(
        grid=tree.g11,
        household=visited.household,
        resident=visited,
        visited_on=timezone.localdate(),
        kind=Visit.Kind.CARE,
        by=personas["grid_worker"],
    )
    open_event = report(personas["grid_worker"], tree.g11, "垃圾桶满溢无人清运")
    actions.accept_event(by=fresh(personas["community_leader"]), event_id=open_event.pk)
    cancelled = report(personas["grid_worker"], tree.g11, "已作废的上报")
    actions.cancel_event(by=fresh(personas["community_leader"]), event_id=cancelled.pk, reason="重复上报")
    report(personas["community_leader"], tree.g12, "隔壁网格的事件")

    client.force_login(personas["grid_worker"])
    page = client.get(f"/grids/{tree.g11.pk}/").content.decode()

    staff = page[page.index('data-testid="grid-staff"') :]
    assert "grid_worker" in staff[:2000] and "grid_leader" in staff[:2000]
    # Living residents of this grid only: not the one who moved out, not the next grid's.
    assert "6 名居民，6 户" in page
    assert _tag_link(page, tree.g11, "低保") == "4"
    assert _tag_link(page, tree.g11, "独居老人") == "1"
    assert _tag_link(page, tree.g11, "残疾人") is None
    # The link leads to the list filtered the same way.
    tag = PopulationTag.objects.get(name="低保")
    listed = client.get(f"/residents/?grid={tree.g11.pk}&tag={tag.pk}").content.decode()
    assert "4 名居民" in listed

    events = page[page.index('data-testid="grid-events"') :]
    events = events[: events.index("</section>")]
    assert "垃圾桶满溢无人清运" in events and f'href="/events/{open_event.pk}/"' in events
    assert "已作废的上报" not in events and "隔壁网格的事件" not in events

    due = page[page.index('data-testid="grid-visits-due"') :]
    due = due[: due.index("</section>")]
    # 独居老人 are visited every 7 days, 低保 every 30: added 10 days ago, they are not due yet.
    assert "独居李奶奶" in due and "低保户0" not in due

    activity = page[page.index('data-testid="grid-activity"') :]
    assert "刚走访过的人 · 关爱走访" in activity
    assert f"#{open_event.pk} 环境卫生 · 已受理" in activity and f"#{open_event.pk} 环境卫生 · 已上报" in activity
    assert "改过地址的人 · 修改" in activity
    assert "隔壁网格" not in activity


def test_grid_page_sections_follow_the_users_scope(client, personas, tree):
    make_resident(tree.g21, "农林居民", tags=["低保"])
    report(personas["community_staff"], tree.g21, "农林的事件")
    client.force_login(personas["community_staff"])
    page = client.get(f"/grids/{tree.g21.pk}/").content.decode()
    assert "农林的事件" in page and _tag_link(page, tree.g21, "低保") == "1"
    # Nothing of another community's grid, and no page for it either.
    client.force_login(personas["community_staff"])
    assert client.get(f"/grids/{tree.g11.pk}/").status_code == 404
    client.force_login(personas["department_staff"])
    assert client.get(f"/grids/{tree.g21.pk}/").status_code == 404


def _grid_page_queries(client, user, grid) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/grids/{grid.pk}/").status_code == 200
    return len(ctx.captured_queries)


def test_grid_page_costs_the_same_queries_for_few_and_many_rows(client, personas, tree, django_assert_max_num_queries):
    worker = personas["grid_worker"]
    make_resident(tree.g11, "第一位", tags=["低保"])
    report(worker, tree.g11, "第一件")
    few = _grid_page_queries(client, worker, tree.g11)

    tags = ["低保", "独居老人", "残疾人", "空巢老人", "退役军人"]
    for n in range(40):
        resident = make_resident(tree.g11, f"居民{n}", tags=tags[: n % 5 + 1], room=f"{n + 300}")
        ResidentChange.objects.create(resident=resident, kind=ResidentChange.Kind.UPDATED, by=worker)
        Visit.objects.create(
            grid=tree.g11,
            household=resident.household,
            resident=resident if n % 2 else None,
            visited_on=timezone.localdate() - datetime.timedelta(days=n),
            by=worker,
        )
    for n in range(30):
        event = report(worker, tree.g11, f"事件{n}")
        if n % 2:
            actions.accept_event(by=fresh(personas["community_leader"]), event_id=event.pk)

    many = _grid_page_queries(client, worker, tree.g11)
    assert many == few, (few, many)
    client.force_login(worker)
    with django_assert_max_num_queries(22):
        page = client.get(f"/grids/{tree.g11.pk}/").content.decode()
    assert page.count('href="/events/') >= 10 and "41 名居民" in page

"""A department's page lists its open whistles: the events currently assigned to it and
not yet closed, scoped to what the user may see, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.events import actions
from governance.models import Event
from grids.models import Role
from tests.conftest import default_category, fresh, give_post, make_user


@pytest.fixture
def category(db):
    return default_category("违章搭建")


def whistled(personas, tree, category, text: str, departments):
    event = actions.report_event(
        by=fresh(personas["grid_worker"]), grid_id=tree.g11.pk, category_id=category.pk, description=text, address="3栋"
    )
    actions.accept_event(by=fresh(personas["community_leader"]), event_id=event.pk)
    actions.whistle_event(
        by=fresh(personas["community_leader"]),
        event_id=event.pk,
        to_level="department",
        reason="需部门执法",
        department_ids=[d.pk for d in departments],
    )
    return event


def _section(page: str) -> str:
    part = page[page.index('data-testid="department-events"') :]
    return part[: part.index("</section>")]


def test_department_page_lists_the_events_assigned_to_it_and_not_closed(client, personas, tree, category):
    lead = whistled(personas, tree, category, "天台新建铁皮房", [tree.d1])
    assisting = whistled(personas, tree, category, "一楼私自扩建院墙", [tree.d2, tree.d1])
    whistled(personas, tree, category, "只给司法所的事件", [tree.d2])
    returned = whistled(personas, tree, category, "退回社区的事件", [tree.d1])
    actions.return_event(by=fresh(personas["department_staff"]), event_id=returned.pk, reason="不属本部门职责")
    closed = whistled(personas, tree, category, "已归档的事件", [tree.d1])
    actions.acknowledge_event(by=fresh(personas["department_staff"]), event_id=closed.pk)
    actions.resolve_event(by=fresh(personas["department_staff"]), event_id=closed.pk, result="已拆除")
    actions.verify_event(by=fresh(personas["grid_worker"]), event_id=closed.pk, passed=True)
    assert Event.objects.get(pk=closed.pk).status == Event.Status.CLOSED

    for persona in ("department_staff", "street_official"):
        client.force_login(personas[persona])
        section = _section(client.get(f"/departments/{tree.d1.pk}/").content.decode())
        assert f'href="/events/{lead.pk}/"' in section and f'href="/events/{assisting.pk}/"' in section
        for absent in ("只给司法所的事件", "退回社区的事件", "已归档的事件"):
            assert absent not in section, (persona, absent)
        assert "牵头" in section and "协办" in section and "待报到" in section


def test_department_staff_see_only_their_own_department(client, personas, tree, category):
    whistled(personas, tree, category, "只给司法所的事件", [tree.d2])
    client.force_login(personas["department_staff"])
    assert client.get(f"/departments/{tree.d2.pk}/").status_code == 404
    client.force_login(personas["community_leader"])
    assert client.get(f"/departments/{tree.d1.pk}/").status_code == 404
    client.force_login(personas["street_official"])
    assert "只给司法所的事件" in _section(client.get(f"/departments/{tree.d2.pk}/").content.decode())


def test_department_page_costs_the_same_queries_for_few_and_many_events(
    client, personas, tree, category, django_assert_max_num_queries
):
    member = make_user("second_member")
    give_post(fresh(personas["street_admin"]), member, Role.DEPARTMENT_STAFF, tree.d1)
    whistled(personas, tree, category, "第一件", [tree.d1])

    def queries() -> int:
        client.force_login(member)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/departments/{tree.d1.pk}/").status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for n in range(30):
        event = whistled(personas, tree, category, f"事件{n}", [tree.d1, tree.d2] if n % 2 else [tree.d2, tree.d1])
        if n % 3 == 0:
            actions.acknowledge_event(by=fresh(personas["department_staff"]), event_id=event.pk)
    assert queries() == few
    with django_assert_max_num_queries(14):
        page = client.get(f"/departments/{tree.d1.pk}/").content.decode()
    assert _section(page).count('href="/events/') == 31

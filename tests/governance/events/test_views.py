"""Event pages: report from a phone form, inbox, list scope and filters, transitions by POST."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from governance.events import actions
from governance.models import Event, Notification
from grids.models import Role
from tests.conftest import default_category, fresh, give_post, make_user

S = Event.Status


@pytest.fixture
def category(db):
    return default_category("环境卫生")


def report(user, grid, category, text="楼道堆放杂物"):
    return actions.report_event(
        by=fresh(user), grid_id=grid.pk, category_id=category.pk, description=text, address="3栋"
    )


def test_grid_worker_reports_an_event_from_the_form(client, personas, tree, category):
    client.force_login(personas["grid_worker"])
    page = client.get("/events/new/").content.decode()
    assert "东风第一网格" in page and "农林第一网格" not in page
    response = client.post(
        "/events/new/",
        {
            "grid": tree.g11.pk,
            "category": category.pk,
            "description": "路灯不亮",
            "address": "东风路12号",
            "urgency": "normal",
        },
    )
    event = Event.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    assert (event.status, event.reported_by_id) == (S.REPORTED, personas["grid_worker"].pk)
    detail = client.get(response["Location"]).content.decode()
    assert "路灯不亮" in detail and "已上报" in detail


def test_report_form_errors_are_shown_and_nothing_is_saved(client, personas, tree, category):
    client.force_login(personas["grid_worker"])
    response = client.post(
        "/events/new/",
        {"grid": tree.g21.pk, "category": category.pk, "description": "", "address": "x", "solved_on_spot": "on"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "选择一个有效的选项" in page  # another community's grid
    assert "说明当场做了什么" in page
    assert not Event.objects.exists()


def test_people_without_a_grid_to_report_in_cannot_open_the_form(client, personas):
    client.force_login(personas["department_staff"])
    assert client.get("/events/new/").status_code == 403


def test_transitions_are_post_only(client, personas, tree, category):
    event = report(personas["grid_worker"], tree.g11, category)
    client.force_login(personas["community_leader"])
    assert client.get(f"/events/{event.pk}/accept/").status_code == 405
    assert client.post(f"/events/{event.pk}/fly/", {}).status_code == 404


def test_accept_by_post_and_a_stale_page_gets_a_clear_message(client, personas, tree, category):
    event = report(personas["grid_worker"], tree.g11, category)
    client.force_login(personas["community_leader"])
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "受理" in page
    response = client.post(f"/events/{event.pk}/accept/", {"accept-version": event.version, "accept-note": ""})
    assert response.status_code == 302
    assert Event.objects.get(pk=event.pk).status == S.ACCEPTED
    # The same page posted again (the other person's click) changes nothing and says why.
    response = client.post(
        f"/events/{event.pk}/cancel/", {"cancel-version": event.version, "cancel-reason": "重复"}, follow=True
    )
    assert "刚刚有人处理了这个事件" in response.content.decode()
    assert Event.objects.get(pk=event.pk).status == S.ACCEPTED


def test_whistle_to_departments_from_the_page(client, personas, tree, category):
    event = report(personas["grid_worker"], tree.g11, category)
    event = actions.accept_event(by=fresh(personas["community_leader"]), event_id=event.pk)
    client.force_login(personas["community_leader"])
    response = client.post(
        f"/events/{event.pk}/whistle/",
        {
            "whistle-version": event.version,
            "whistle-to_level": "department",
            "whistle-departments": [tree.d1.pk, tree.d2.pk],
            "whistle-lead": tree.d2.pk,
            "whistle-reason": "需要执法",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.level == "department"
    assert event.assignments.get(lead=True).department == tree.d2
    # The department now has it waiting; its list shows only what was given to it.
    client.force_login(personas["department_staff"])
    page = client.get("/events/?mine=1").content.decode()
    assert f"#{event.pk}" in page
    assert 'data-testid="todo-count">1<' in page


def test_whistle_form_errors_are_shown(client, personas, tree, category):
    event = report(personas["grid_worker"], tree.g11, category)
    event = actions.accept_event(by=fresh(personas["community_leader"]), event_id=event.pk)
    client.force_login(personas["community_leader"])
    response = client.post(
        f"/events/{event.pk}/whistle/",
        {"whistle-version": event.version, "whistle-to_level": "department", "whistle-reason": "x"},
    )
    assert response.status_code == 400
    assert "请选择一个或多个部门" in response.content.decode()
    assert Event.objects.get(pk=event.pk).level == "community"


def test_scope_of_lists_and_pages(client, personas, tree, category, root):
    mine = report(personas["grid_worker"], tree.g11, category, "本网格事件")
    other_worker = make_user("g12_worker")
    give_post(root, other_worker, Role.GRID_WORKER, tree.g12)
    other = report(other_worker, tree.g12, category, "隔壁网格事件")

    client.force_login(personas["grid_worker"])
    page = client.get("/events/").content.decode()
    assert "本网格事件" in page and "隔壁网格事件" not in page
    assert client.get(f"/events/{other.pk}/").status_code == 404

    client.force_login(personas["department_staff"])
    assert "本网格事件" not in client.get("/events/").content.decode()
    assert client.get(f"/events/{mine.pk}/").status_code == 404
    leader = fresh(personas["community_leader"])
    actions.accept_event(by=leader, event_id=mine.pk)
    actions.whistle_event(
        by=leader, event_id=mine.pk, to_level="department", reason="转派", department_ids=[tree.d1.pk]
    )
    assert client.get(f"/events/{mine.pk}/").status_code == 200
    assert "隔壁网格事件" not in client.get("/events/").content.decode()

    client.force_login(personas["outsider"])
    assert "本网格事件" not in client.get("/events/").content.decode()


def test_filters_and_tampered_parameters(client, personas, tree, category):
    report(personas["grid_worker"], tree.g11, category, "第一件")
    client.force_login(personas["community_leader"])
    assert (
        "第一件" in client.get(f"/events/?status=reported&category={category.pk}&grid={tree.g11.pk}").content.decode()
    )
    assert "第一件" not in client.get("/events/?status=closed").content.decode()
    today = timezone.localdate().isoformat()
    assert "第一件" in client.get(f"/events/?date_from={today}&date_to={today}&source=grid").content.decode()
    for tampered in ("status=nope", "category=abc", "grid=-1", "date_from=2026-13-40", "page=zzz"):
        assert client.get(f"/events/?{tampered}").status_code == 200


def test_list_and_inbox_cost_a_bounded_number_of_queries(
    client, personas, tree, category, django_assert_max_num_queries
):
    for n in range(40):
        report(personas["community_leader"], tree.g11 if n % 2 else tree.g12, category, f"事件{n}")
    client.force_login(personas["street_official"])
    for url in ("/events/", "/events/?mine=1", "/events/?overdue=1", "/events/?page=2"):
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200


def test_notifications_page_and_unread_count(client, personas, tree, category):
    report(personas["grid_worker"], tree.g11, category)
    client.force_login(personas["community_leader"])
    page = client.get("/notifications/").content.decode()
    with translation.override("zh-hans"):
        escalated = str(Notification.Kind.ESCALATED.label)
    # The kind in the catalogue's words, then the event after a Chinese colon.
    assert f"{escalated}：#" in page and escalated != "Escalated to your level"
    assert 'data-testid="unread-count">1<' in page
    assert client.get("/notifications/read/").status_code == 405
    client.post("/notifications/read/")
    assert not Notification.objects.filter(user=personas["community_leader"], read_at__isnull=True).exists()


def test_a_long_list_is_counted_up_to_a_cap_and_says_so(client, personas, tree, category, monkeypatch):
    from governance.events import queries

    for n in range(5):
        report(personas["community_leader"], tree.g11, category, f"事件{n}")
    original = queries.IdPaginator.__init__

    def small_cap(self, *args, **kwargs):
        original(self, *args, **{**kwargs, "cap": 3})

    monkeypatch.setattr(queries.IdPaginator, "__init__", small_cap)
    client.force_login(personas["community_leader"])
    page = client.get("/events/").content.decode()
    assert "超过 3 个事件，请用筛选条件缩小范围" in page
    assert "超过" not in client.get(f"/events/?grid={tree.g12.pk}").content.decode()


def test_to_do_count_adds_up_its_branches_without_overlap(personas, tree, category, root):
    """The navigation count sums the inbox's branches; it must equal the inbox list."""
    from governance.events import queries

    leader, street = fresh(personas["community_leader"]), fresh(personas["street_admin"])
    events = [report(personas["grid_worker"], tree.g11, category, f"事件{n}") for n in range(6)]
    actions.accept_event(by=leader, event_id=events[1].pk)
    for event in events[2:5]:
        actions.accept_event(by=leader, event_id=event.pk)
        actions.whistle_event(by=leader, event_id=event.pk, to_level="street", reason="上报")
    actions.acknowledge_event(by=street, event_id=events[3].pk)
    actions.acknowledge_event(by=street, event_id=events[4].pk)
    actions.whistle_event(
        by=street, event_id=events[4].pk, to_level="department", reason="转派", department_ids=[tree.d1.pk]
    )
    actions.resolve_event(by=street, event_id=events[3].pk, result="完成")
    actions.report_event(
        by=fresh(personas["grid_worker"]),
        grid_id=tree.g11.pk,
        category_id=category.pk,
        description="就地",
        address="x",
        solved_on_spot=True,
        result="已处理",
    )
    counts = {}
    for name in ("grid_worker", "community_leader", "street_admin", "street_official", "department_staff"):
        user = fresh(personas[name])
        counts[name] = queries.inbox_count(user)
        assert counts[name] == queries.inbox(user).count(), name
    assert counts == {
        "grid_worker": 1,  # its resolved report to verify
        "community_leader": 4,  # two to accept, one to handle, one solved on the spot to verify
        "street_admin": 1,
        "street_official": 1,
        "department_staff": 1,
    }

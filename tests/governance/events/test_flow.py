"""The event state machine: every transition, the forbidden ones, escalation paths, verification."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.utils import translation

from governance.events import actions
from governance.events.actions import EventError
from governance.models import Event, EventStep, Level, Notification
from grids.models import Role
from tests.conftest import default_category, fresh, give_post, make_user

S = Event.Status


@pytest.fixture
def category(db):
    return default_category("环境卫生")


@pytest.fixture
def people(personas, tree, root):
    d2_staff = make_user("d2_staff")
    give_post(root, d2_staff, Role.DEPARTMENT_STAFF, tree.d2)
    return {**{k: fresh(v) for k, v in personas.items()}, "d2_staff": fresh(d2_staff)}


def report(people, tree, category, **extra):
    return actions.report_event(
        by=people["grid_worker"],
        grid_id=tree.g11.pk,
        category_id=category.pk,
        description="楼道堆放杂物",
        address="东风小区3栋",
        **extra,
    )


def steps(event):
    return list(EventStep.objects.filter(event=event).values_list("action", flat=True))


def test_report_accept_resolve_verify_closes(people, tree, category):
    event = report(people, tree, category)
    assert (event.status, event.level) == (S.REPORTED, Level.COMMUNITY)
    assert event.respond_due is not None
    assert Notification.objects.filter(user=people["community_leader"], event=event, kind="escalated").exists()

    event = actions.accept_event(by=people["community_leader"], event_id=event.pk, version=event.version)
    assert event.status == S.ACCEPTED and event.resolve_due is not None and event.respond_due is None
    event = actions.resolve_event(by=people["community_leader"], event_id=event.pk, result="已清理")
    assert event.status == S.RESOLVED
    assert Notification.objects.filter(user=people["grid_worker"], event=event, kind="verify").exists()
    event = actions.verify_event(by=people["grid_worker"], event_id=event.pk, passed=True)
    assert event.status == S.CLOSED and event.closed_at is not None
    assert steps(event) == ["report", "accept", "resolve", "verify_pass"]


def test_whistle_through_every_level_to_two_departments(people, tree, category):
    event = report(people, tree, category)
    actions.accept_event(by=people["community_leader"], event_id=event.pk)
    event = actions.whistle_event(
        by=people["community_leader"], event_id=event.pk, to_level="street", reason="需街道协调"
    )
    assert (event.status, event.level, event.previous_level) == (S.ESCALATED, Level.STREET, Level.COMMUNITY)
    assert Notification.objects.filter(user=people["street_official"], event=event, kind="escalated").exists()
    # The community cannot report in for the street.
    with pytest.raises(EventError):
        actions.acknowledge_event(by=people["grid_worker"], event_id=event.pk)
    event = actions.acknowledge_event(by=people["street_official"], event_id=event.pk)
    assert (event.status, event.level) == (S.ACCEPTED, Level.STREET)
    event = actions.whistle_event(
        by=people["street_official"],
        event_id=event.pk,
        to_level="department",
        reason="联合执法",
        department_ids=[tree.d2.pk, tree.d1.pk],
    )
    assert (event.status, event.level) == (S.ESCALATED, Level.DEPARTMENT)
    lead = event.assignments.get(lead=True)
    assert lead.department == tree.d2
    assert Notification.objects.filter(user=people["d2_staff"], event=event, kind="assigned").exists()
    assert Notification.objects.filter(user=people["department_staff"], event=event, kind="escalated").exists()

    event = actions.acknowledge_event(by=people["department_staff"], event_id=event.pk)
    assert event.status == S.ACCEPTED
    # Only the lead department resolves.
    with translation.override("zh-hans"), pytest.raises(EventError, match="由牵头部门办结"):
        actions.resolve_event(by=people["department_staff"], event_id=event.pk, result="完成")
    actions.acknowledge_event(by=people["d2_staff"], event_id=event.pk)
    event = actions.resolve_event(by=people["d2_staff"], event_id=event.pk, result="完成")
    event = actions.verify_event(by=people["grid_worker"], event_id=event.pk, passed=True)
    assert event.status == S.CLOSED
    assert not event.assignments.filter(active=True).exists()


def test_community_can_whistle_straight_to_a_department(people, tree, category):
    event = report(people, tree, category)
    actions.accept_event(by=people["community_leader"], event_id=event.pk)
    event = actions.whistle_event(
        by=people["community_leader"],
        event_id=event.pk,
        to_level="department",
        reason="派出所处理",
        department_ids=[tree.d1.pk],
    )
    assert event.level == Level.DEPARTMENT and event.previous_level == Level.COMMUNITY


def test_return_goes_back_down_the_path_it_came(people, tree, category):
    event = report(people, tree, category)
    actions.accept_event(by=people["community_leader"], event_id=event.pk)
    actions.whistle_event(by=people["community_leader"], event_id=event.pk, to_level="street", reason="上报")
    actions.acknowledge_event(by=people["street_official"], event_id=event.pk)
    actions.whistle_event(
        by=people["street_official"],
        event_id=event.pk,
        to_level="department",
        reason="转派",
        department_ids=[tree.d1.pk],
    )
    event = actions.return_event(by=people["department_staff"], event_id=event.pk, reason="不属于本部门职责")
    assert (event.status, event.level, event.previous_level) == (S.ACCEPTED, Level.STREET, Level.COMMUNITY)
    assert not event.assignments.filter(active=True).exists()
    assert Notification.objects.filter(user=people["street_official"], event=event, kind="returned").exists()
    event = actions.return_event(by=people["street_official"], event_id=event.pk, reason="社区自行处理")
    assert (event.level, event.previous_level) == (Level.COMMUNITY, "")
    with pytest.raises(EventError):
        actions.return_event(by=people["community_leader"], event_id=event.pk, reason="再退")


def test_three_failed_verifications_put_it_under_supervision(people, tree, category):
    event = report(people, tree, category)
    actions.accept_event(by=people["community_leader"], event_id=event.pk)
    for attempt in range(1, 4):
        actions.resolve_event(by=people["community_leader"], event_id=event.pk, result=f"第{attempt}次处理")
        event = actions.verify_event(by=people["grid_worker"], event_id=event.pk, passed=False, note="仍未清理")
        assert event.status == S.ACCEPTED and event.failed_verifications == attempt
        assert event.supervised == (attempt == 3)
    assert steps(event).count("supervise") == 1
    assert Notification.objects.filter(user=people["street_official"], event=event, kind="supervision").exists()
    assert Notification.objects.filter(user=people["community_leader"], event=event, kind="returned").count() == 3


def test_failed_verification_needs_a_reason(people, tree, category):
    event = report(people, tree, category)
    actions.accept_event(by=people["community_leader"], event_id=event.pk)
    actions.resolve_event(by=people["community_leader"], event_id=event.pk, result="已处理")
    with pytest.raises(EventError):
        actions.verify_event(by=people["grid_worker"], event_id=event.pk, passed=False, note=" ")
    assert Event.objects.get(pk=event.pk).status == S.RESOLVED


def test_solved_on_the_spot_is_verified_by_the_community(people, tree, category):
    event = report(people, tree, category, solved_on_spot=True, result="当场劝离")
    assert (event.status, event.level) == (S.RESOLVED, Level.GRID)
    assert steps(event) == ["report", "solve_on_spot"]
    with pytest.raises(EventError):
        actions.verify_event(by=people["grid_worker"], event_id=event.pk, passed=True)
    event = actions.verify_event(by=people["community_leader"], event_id=event.pk, passed=True)
    assert event.status == S.CLOSED


def test_cancel_and_reopen(people, tree, category):
    event = report(people, tree, category)
    with pytest.raises(EventError):
        actions.cancel_event(by=people["community_leader"], event_id=event.pk, reason="")
    event = actions.cancel_event(by=people["community_leader"], event_id=event.pk, reason="重复上报")
    assert event.status == S.CANCELLED
    with pytest.raises(EventError):
        actions.reopen_event(by=people["grid_worker"], event_id=event.pk, reason="仍存在")
    event = actions.reopen_event(by=people["community_leader"], event_id=event.pk, reason="仍存在")
    assert (event.status, event.level) == (S.REPORTED, Level.COMMUNITY)


# Every (status, action) pair that is not allowed, tried on a real event in that status.
FORBIDDEN = {
    S.REPORTED: ["resolve", "whistle", "acknowledge", "return", "verify", "reopen"],
    S.ACCEPTED: ["accept", "acknowledge", "verify", "reopen", "return"],
    S.ESCALATED: ["accept", "resolve", "whistle", "verify", "reopen"],
    S.RESOLVED: ["accept", "resolve", "whistle", "acknowledge", "return", "cancel", "reopen"],
    S.CLOSED: ["accept", "resolve", "whistle", "acknowledge", "return", "verify", "cancel"],
    S.CANCELLED: ["accept", "resolve", "whistle", "acknowledge", "return", "verify", "cancel"],
}


def _event_in(status, people, tree, category):
    leader = people["community_leader"]
    event = report(people, tree, category)
    if status == S.REPORTED:
        return event
    if status == S.CANCELLED:
        return actions.cancel_event(by=leader, event_id=event.pk, reason="无效")
    actions.accept_event(by=leader, event_id=event.pk)
    if status == S.ESCALATED:
        return actions.whistle_event(by=leader, event_id=event.pk, to_level="street", reason="上报")
    if status == S.ACCEPTED:
        return Event.objects.get(pk=event.pk)
    event = actions.resolve_event(by=leader, event_id=event.pk, result="完成")
    if status == S.CLOSED:
        return actions.verify_event(by=people["grid_worker"], event_id=event.pk, passed=True)
    return event


def _attempt(action, event, people, tree):
    # The street admin may act at every level, so only the state can forbid these.
    by = people["street_admin"]
    calls = {
        "accept": lambda: actions.accept_event(by=by, event_id=event.pk),
        "resolve": lambda: actions.resolve_event(by=by, event_id=event.pk, result="完成"),
        "whistle": lambda: actions.whistle_event(
            by=by, event_id=event.pk, to_level="department", reason="转派", department_ids=[tree.d1.pk]
        ),
        "acknowledge": lambda: actions.acknowledge_event(by=by, event_id=event.pk),
        "return": lambda: actions.return_event(by=by, event_id=event.pk, reason="退回"),
        "verify": lambda: actions.verify_event(by=people["grid_worker"], event_id=event.pk, passed=True),
        "cancel": lambda: actions.cancel_event(by=by, event_id=event.pk, reason="无效"),
        "reopen": lambda: actions.reopen_event(by=by, event_id=event.pk, reason="重开"),
    }
    calls[action]()


@pytest.mark.parametrize(
    ("status", "action"), [(status, action) for status, forbidden in FORBIDDEN.items() for action in forbidden]
)
def test_forbidden_transition_changes_nothing(status, action, people, tree, category):
    event = _event_in(status, people, tree, category)
    before = (event.status, event.level, Event.objects.get(pk=event.pk).version, EventStep.objects.count())
    with pytest.raises(EventError):
        _attempt(action, event, people, tree)
    after = Event.objects.get(pk=event.pk)
    assert (after.status, after.level, after.version, EventStep.objects.count()) == before


def test_stale_version_is_refused_with_a_clear_message(people, tree, category):
    event = report(people, tree, category)
    seen = event.version
    actions.accept_event(by=people["community_leader"], event_id=event.pk, version=seen)
    with translation.override("zh-hans"), pytest.raises(EventError, match="刚刚有人处理了这个事件"):
        actions.cancel_event(by=people["street_admin"], event_id=event.pk, reason="重复", version=seen)


def test_outsiders_and_other_communities_cannot_act(people, tree, category):
    event = report(people, tree, category)
    with pytest.raises(Http404):
        actions.accept_event(by=people["outsider"], event_id=event.pk)
    with pytest.raises(Http404):
        actions.accept_event(by=people["community_staff"], event_id=event.pk)  # staff of C2
    with pytest.raises(Http404):
        actions.accept_event(by=people["department_staff"], event_id=event.pk)  # not given to D1
    with pytest.raises(EventError):
        actions.accept_event(by=people["grid_worker"], event_id=event.pk)  # sees it, but acts at the grid


def test_urgent_report_notifies_the_community_at_once(people, tree, category):
    event = report(people, tree, category, urgency=Event.Urgency.URGENT)
    assert Notification.objects.filter(user=people["community_leader"], event=event, kind="urgent").exists()

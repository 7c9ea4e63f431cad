"""Demo events for seed_demo: a few hundred, through the real transitions, in every state."""

from __future__ import annotations

import datetime
import importlib
import random
from typing import Any
from unittest import mock

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from governance.events import actions
from governance.events.models import Event, EventAssignment, EventCategory, EventStep, Level, Notification
from grids.tree.models import Department, Grid, Post, Role

PROBLEMS = {
    "安全隐患": ["楼道电动车充电，飞线拉到窗外", "小区围墙开裂有倒塌风险", "井盖缺失，夜间有人险些踩空"],
    "消防": ["消防通道被私家车长期占用", "楼道堆放纸箱杂物，堵塞安全出口", "灭火器过期未更换"],
    "治安": ["夜间有陌生人在车棚徘徊", "出租屋人员频繁更换，未登记"],
    "矛盾纠纷线索": ["楼上楼下因漏水发生争吵", "邻里因停车位多次冲突", "租户与房东押金纠纷"],
    "环境卫生": ["垃圾桶满溢无人清运", "小巷污水外溢有异味", "绿化带内堆放建筑垃圾"],
    "违章搭建": ["天台新建铁皮房", "一楼住户私自扩建院墙"],
    "市容": ["商铺占道经营", "墙面大面积小广告", "共享单车乱停堵塞人行道"],
    "民生诉求": ["独居老人反映热水器损坏无人维修", "居民反映路灯不亮", "小区电梯频繁故障"],
    "其他": ["流浪犬在小区出没", "居民咨询医保办理"],
}
PLACES = ["3栋楼下", "东门入口", "菜市场旁巷子", "12号楼道", "幼儿园门口", "停车场东侧", "篮球场边", "2单元天台"]
RESULTS = ["已现场处置，恢复正常", "已联系物业整改完毕", "已约谈当事人并签订承诺书", "已协调相关部门清理完毕"]

# Where each demo event stops, with its weight.
ENDINGS = [
    ("reported", 10),
    ("accepted", 14),
    ("escalated_street", 5),
    ("escalated_department", 9),
    ("department", 10),
    ("resolved", 10),
    ("closed", 30),
    ("cancelled", 5),
    ("on_spot", 7),
]


def _people() -> dict[str, Any]:
    today = timezone.localdate()
    posts = Post.objects.active_on(today).select_related("user")
    people: dict[str, Any] = {"grid": {}, "community": {}, "street": None, "department": {}}
    for post in posts:
        if post.role == Role.GRID_WORKER:
            people["grid"].setdefault(post.grid_id, post.user)
        elif post.role in (Role.COMMUNITY_LEADER, Role.COMMUNITY_STAFF):
            people["community"].setdefault(post.community_id, post.user)
        elif post.role == Role.STREET_ADMIN:
            people["street"] = post.user
        elif post.role == Role.DEPARTMENT_STAFF:
            people["department"].setdefault(post.department_id, post.user)
    return people


# Minutes before each step, as a street works: a community accepts within hours, a
# department reports in the same day, the work itself takes days, the reporter checks soon after.
GAPS = {
    "accept": (15, 6 * 60),
    "cancel": (15, 6 * 60),
    "whistle": (30, 24 * 60),
    "acknowledge": (20, 5 * 60),
    "resolve": (20 * 60, 5 * 24 * 60),
    "verify": (60, 2 * 24 * 60),
}
# Staff act between these hours; a step that would fall outside waits for the next morning.
DAY_STARTS, DAY_ENDS = 8, 19


class _Clock:
    """The demo's own time: each transition runs at the hour it pretends to, so its
    timeline step, deadlines and notifications carry that hour (not all the same minute)."""

    def __init__(self, rng: random.Random, start: datetime.datetime) -> None:
        self.rng = rng
        self.at = start

    def __call__(self) -> datetime.datetime:
        return self.at

    def advance(self, step: str) -> None:
        low, high = GAPS[step]
        at = timezone.localtime(self.at + datetime.timedelta(minutes=self.rng.randint(low, high)))
        if at.hour >= DAY_ENDS:
            at += datetime.timedelta(days=1)
        if at.hour >= DAY_ENDS or at.hour < DAY_STARTS:
            at = at.replace(hour=DAY_STARTS, minute=0) + datetime.timedelta(minutes=self.rng.randint(0, 90))
        self.at = at.replace(second=self.rng.randint(0, 59))


def _start(rng: random.Random, ending: str, now: datetime.datetime) -> datetime.datetime:
    """When the report was made: open events mostly in the last day or so, the rest over two months."""
    if ending in ("reported", "accepted", "escalated_street", "escalated_department") and rng.random() < 0.6:
        start = now - datetime.timedelta(minutes=rng.randint(20, 30 * 60))
    else:
        start = now - datetime.timedelta(days=rng.randint(1, 60))
    start = timezone.localtime(start)
    if not DAY_STARTS <= start.hour < DAY_ENDS:
        start = start.replace(hour=rng.randint(DAY_STARTS, DAY_ENDS - 1))
    start = start.replace(minute=rng.randint(0, 59))
    return start if start <= now else start - datetime.timedelta(days=1)


def seed_events(*, scale: float = 1.0, count: int = 300, seed: int = 11) -> int:
    count = max(len(ENDINGS), round(count * scale))
    rng = random.Random(seed)
    people = _people()
    if not EventCategory.objects.exists():
        # The categories come with a migration; a test database emptied by a transactional test lacks them.
        importlib.import_module("governance.migrations.0002_default_categories").add(django_apps, None)
    categories = list(EventCategory.objects.filter(is_active=True))
    grids = list(Grid.objects.select_related("community").order_by("code"))
    departments = list(Department.objects.order_by("code"))
    street_user = people["street"] or get_user_model().objects.filter(is_superuser=True).first()
    endings, weights = zip(*ENDINGS, strict=True)
    now = timezone.now()
    made = 0
    for _i in range(count):
        grid = rng.choice(grids)
        community_user = people["community"].get(grid.community_id, street_user)
        reporter = people["grid"].get(grid.pk, community_user)
        category = rng.choice(categories)
        ending = rng.choices(endings, weights)[0]
        source = (
            Event.Source.GRID
            if reporter != community_user
            else rng.choice([Event.Source.RESIDENT, Event.Source.HOTLINE])
        )
        clock = _Clock(rng, _start(rng, ending, now))
        # Django reads the time through timezone.now (fields' auto_now too): the clock stands in for it.
        with mock.patch("django.utils.timezone.now", clock):
            event = actions.report_event(
                by=reporter,
                grid_id=grid.pk,
                category_id=category.pk,
                description=rng.choice(PROBLEMS.get(category.name, PROBLEMS["其他"])),
                address=rng.choice(PLACES),
                urgency=Event.Urgency.URGENT if rng.random() < 0.08 else Event.Urgency.NORMAL,
                source=source,
                solved_on_spot=ending == "on_spot",
                result=rng.choice(RESULTS) if ending == "on_spot" else "",
            )
            _advance(event, ending, rng, clock, reporter, community_user, street_user, departments, people)
        _settle(event, clock.at, now)
        made += 1
    return made


def _advance(event, ending, rng, clock, reporter, community_user, street_user, departments, people) -> None:
    if ending in ("reported", "on_spot"):
        return
    if ending == "cancelled":
        clock.advance("cancel")
        actions.cancel_event(by=community_user, event_id=event.pk, reason="重复上报，已合并处理")
        return
    clock.advance("accept")
    actions.accept_event(by=community_user, event_id=event.pk)
    if ending == "accepted":
        return
    handler = community_user
    if ending in ("escalated_street", "escalated_department", "department") or (
        ending in ("resolved", "closed") and rng.random() < 0.3
    ):
        clock.advance("whistle")
        actions.whistle_event(by=community_user, event_id=event.pk, to_level=Level.STREET, reason="需街道统筹协调")
        if ending == "escalated_street":
            return
        clock.advance("acknowledge")
        actions.acknowledge_event(by=street_user, event_id=event.pk)
        handler = street_user
        if ending in ("escalated_department", "department") or rng.random() < 0.5:
            chosen = rng.sample(departments, k=1 if rng.random() < 0.7 else 2)
            clock.advance("whistle")
            actions.whistle_event(
                by=street_user,
                event_id=event.pk,
                to_level=Level.DEPARTMENT,
                reason="请职能部门报到处置",
                department_ids=[d.pk for d in chosen],
            )
            if ending == "escalated_department":
                return
            lead = chosen[0]
            handler = people["department"].get(lead.pk, street_user)
            clock.advance("acknowledge")
            actions.acknowledge_event(by=handler, event_id=event.pk)
            if ending == "department":
                return
    clock.advance("resolve")
    actions.resolve_event(by=handler, event_id=event.pk, result=rng.choice(RESULTS))
    if ending == "closed":
        clock.advance("verify")
        actions.verify_event(by=reporter, event_id=event.pk, passed=True, note="现场核查已整改")


def _settle(event: Event, last: datetime.datetime, now: datetime.datetime) -> None:
    """Move an event whose last step would lie in the future back by whole weeks (which keep
    working-day deadlines on working days), and mark the notifications of finished ones read."""
    if last > now:
        weeks = (last - now) // datetime.timedelta(weeks=1) + 1
        shift = datetime.timedelta(weeks=weeks)
        Event.objects.filter(pk=event.pk).update(
            reported_at=F("reported_at") - shift,
            stage_started_at=F("stage_started_at") - shift,
            respond_due=F("respond_due") - shift,
            resolve_due=F("resolve_due") - shift,
            due_at=F("due_at") - shift,
            closed_at=F("closed_at") - shift,
        )
        EventStep.objects.filter(event=event).update(at=F("at") - shift)
        EventAssignment.objects.filter(event=event).update(
            assigned_at=F("assigned_at") - shift, acknowledged_at=F("acknowledged_at") - shift
        )
        Notification.objects.filter(event=event).update(created_at=F("created_at") - shift)
    event.refresh_from_db()
    if last > now and event.resolve_due is not None:
        # Holidays differ between weeks: count the working days again from the shifted start.
        event.resolve_due = actions.resolve_deadline(event, event.stage_started_at)
        event.save(update_fields=["resolve_due"])
    if event.status in (Event.Status.CLOSED, Event.Status.CANCELLED, Event.Status.MERGED):
        Notification.objects.filter(event=event).update(read_at=F("created_at"))  # dealt with long ago

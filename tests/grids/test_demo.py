"""The demo street (seed_demo --scale small) looks like a real one: households in their own
community's estates, population tags and political status that fit people's ages, and event
timelines spread over working hours and days, in order."""

from __future__ import annotations

import datetime
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.utils import timezone

from governance.models import Event, EventStep, Notification
from grids.models import Household, Resident, ResidentChange

# Tag → (youngest, oldest) age it may be given at.
TAG_AGES = {
    "独居老人": (60, 150),
    "空巢老人": (60, 150),
    "留守儿童": (0, 15),
    "退役军人": (18, 150),
    "党员": (18, 150),
}
POLITICAL_AGES = {"cyl": (14, 28), "cpc": (18, 150), "cpc_probationary": (18, 150)}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One small demo street for the module's tests (they only read it)."""
    with django_db_blocker.unblock():
        call_command("seed_demo", "--scale", "small", verbosity=0)
        yield
        call_command("flush", "--no-input", verbosity=0)


def _age(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@pytest.mark.django_db
def test_households_are_in_estates_of_their_own_community(demo):
    communities_of_estate = defaultdict(set)
    for estate, community in Household.objects.values_list("estate", "grid__community__name"):
        communities_of_estate[estate].add(community)
    assert len(communities_of_estate) >= 4
    shared = {estate: names for estate, names in communities_of_estate.items() if len(names) > 1}
    assert shared == {}
    # An estate carries its community's name where it has one (东风小区 in 东风社区).
    for estate, (community,) in communities_of_estate.items():
        if estate.startswith(("东风", "农林", "执信", "白云")):
            assert community.startswith(estate[:2]), (estate, community)
    # Two grids never share an address.
    addresses = Household.objects.values_list("estate", "building", "unit", "room")
    assert len(set(addresses)) == len(addresses)


@pytest.mark.django_db
def test_tags_and_political_status_fit_peoples_ages(demo):
    today = timezone.localdate()
    seen = defaultdict(int)
    wrong = []
    for resident in Resident.objects.prefetch_related("tags"):
        age = _age(resident.birth_date, today)
        for tag in resident.tags.all():
            low, high = TAG_AGES.get(tag.name, (0, 150))
            seen[tag.name] += 1
            if not low <= age <= high:
                wrong.append((resident.name, age, tag.name))
        if resident.political_status in POLITICAL_AGES:
            low, high = POLITICAL_AGES[resident.political_status]
            seen[resident.political_status] += 1
            if not low <= age <= high:
                wrong.append((resident.name, age, resident.political_status))
    assert wrong == []
    # The demo does use them, so the check above is not empty.
    assert {"独居老人", "党员", "cyl", "cpc"} <= set(seen)


@pytest.mark.django_db
def test_elderly_tags_follow_the_household(demo):
    for resident in Resident.objects.filter(tags__name="独居老人").select_related("household"):
        assert resident.household.members.count() == 1, resident.name
    for resident in Resident.objects.filter(tags__name="空巢老人").select_related("household"):
        relations = set(resident.household.members.values_list("relation", flat=True))
        assert relations <= {"head", "spouse"}, (resident.name, relations)
    # Party members carry the tag that matches their political status.
    for resident in Resident.objects.filter(tags__name="党员"):
        assert resident.political_status in ("cpc", "cpc_probationary"), resident.name


@pytest.mark.django_db
def test_event_timelines_are_spread_over_working_hours_and_days_in_order(demo):
    now = timezone.now()
    steps = defaultdict(list)
    for event_id, action, at in EventStep.objects.order_by("event_id", "id").values_list("event_id", "action", "at"):
        steps[event_id].append((action, at))
    assert len(steps) >= 30
    gaps = []
    for event_id, timeline in steps.items():
        times = [at for _action, at in timeline]
        assert times == sorted(times), f"event {event_id}'s steps are out of order"
        assert times[-1] <= now, f"event {event_id} has a step in the future"
        for action, at in timeline:
            hour = timezone.localtime(at).hour
            assert 7 <= hour < 22, f"event {event_id}: {action} at {timezone.localtime(at):%H:%M}"
        gaps += [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    long_timelines = [t for t in steps.values() if len(t) >= 3]
    assert long_timelines
    # Steps are minutes, hours or days apart, not all in the same minute.
    assert all(
        len({timezone.localtime(at).strftime("%Y-%m-%d %H:%M") for _a, at in t}) >= len(t) - 1 for t in long_timelines
    )
    assert sum(gap >= datetime.timedelta(hours=1) for gap in gaps) > len(gaps) / 2
    assert any(gap >= datetime.timedelta(days=1) for gap in gaps)
    # The event's own dates agree with its timeline.
    for event in Event.objects.all():
        first, last = steps[event.pk][0][1], steps[event.pk][-1][1]
        assert event.reported_at == first
        if event.closed_at:
            assert event.closed_at == last
    # Notifications are dated with the step that sent them, never before the report.
    for event_id, created in Notification.objects.values_list("event_id", "created_at"):
        assert steps[event_id][0][1] <= created <= steps[event_id][-1][1]


@pytest.mark.django_db
def test_demo_roster_has_a_history(demo):
    moved = Resident.objects.filter(moved_out_on__isnull=False)
    assert moved.exists()
    for resident in moved:
        change = resident.changes.get(kind=ResidentChange.Kind.MOVED_OUT)
        assert timezone.localtime(change.at).date() == resident.moved_out_on
    assert ResidentChange.objects.filter(kind=ResidentChange.Kind.UPDATED).exists()
    assert not ResidentChange.objects.filter(at__gt=timezone.now()).exists()

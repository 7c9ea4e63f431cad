"""Duplicate suggestion while reporting, and merging a duplicate into the event being handled."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from governance.events import actions, queries
from governance.events.actions import EventError
from governance.models import Event, EventStep
from tests.conftest import default_category

S = Event.Status


@pytest.fixture
def category(db):
    return default_category("市容")


def report(user, tree, category, address="东风路8号", lat=None, lng=None, grid=None, **extra):
    return actions.report_event(
        by=user,
        grid_id=(grid or tree.g11).pk,
        category_id=category.pk,
        description="占道经营",
        address=address,
        latitude=lat,
        longitude=lng,
        **extra,
    )


def test_same_address_or_a_nearby_point_is_suggested(personas, tree, category):
    worker = personas["grid_worker"]
    by_address = report(worker, tree, category, address="东风路 8号")
    by_point = report(worker, tree, category, address="菜市场", lat=Decimal("23.130000"), lng=Decimal("113.260000"))
    far = report(worker, tree, category, address="公园", lat=Decimal("23.140000"), lng=Decimal("113.260000"))
    other_category = report(worker, tree, default_category("消防"), address="东风路8号")
    found = queries.duplicate_candidates(
        worker,
        grid_id=tree.g11.pk,
        category_id=category.pk,
        address="东风路8号",
        latitude=Decimal("23.130500"),  # about 55 m north of by_point
        longitude=Decimal("113.260000"),
    )
    assert {e.pk for e in found} == {by_address.pk, by_point.pk}
    assert far.pk not in {e.pk for e in found} and other_category.pk not in {e.pk for e in found}


def test_closed_events_and_other_grids_are_not_suggested(personas, tree, category):
    leader = personas["community_leader"]
    done = report(personas["grid_worker"], tree, category)
    actions.cancel_event(by=leader, event_id=done.pk, reason="无效")
    report(leader, tree, category, grid=tree.g12)
    assert queries.duplicate_candidates(leader, grid_id=tree.g11.pk, category_id=category.pk, address="东风路8号") == []


def test_report_merged_into_an_open_event_shares_its_handling(client, personas, tree, category):
    first = report(personas["grid_worker"], tree, category)
    actions.accept_event(by=personas["community_leader"], event_id=first.pk)
    client.force_login(personas["grid_worker"])
    hint = client.get(
        "/events/duplicates/", {"grid": tree.g11.pk, "category": category.pk, "address": "东风路8号"}
    ).content.decode()
    assert f'value="{first.pk}"' in hint
    response = client.post(
        "/events/new/",
        {
            "grid": tree.g11.pk,
            "category": category.pk,
            "description": "又见占道",
            "address": "东风路8号",
            "urgency": "normal",
            "merge_into": first.pk,
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/events/{first.pk}/"
    duplicate = Event.objects.get(description="又见占道")
    assert (duplicate.status, duplicate.merged_into_id) == (S.MERGED, first.pk)
    assert list(EventStep.objects.filter(event=first).values_list("action", flat=True)) == [
        "report",
        "accept",
        "merged_in",
    ]
    page = client.get(f"/events/{first.pk}/").content.decode()
    assert f"#{duplicate.pk}" in page
    assert duplicate.pk not in set(queries.inbox(personas["community_leader"]).values_list("pk", flat=True))


def test_merge_from_the_event_page_and_its_refusals(client, personas, tree, category):
    leader = personas["community_leader"]
    first = report(personas["grid_worker"], tree, category)
    second = report(personas["grid_worker"], tree, category, address="别处")
    elsewhere = report(leader, tree, category, grid=tree.g12)
    with translation.override("zh-hans"):
        with pytest.raises(EventError, match="同一网格、同一类别"):
            actions.merge_event(by=leader, event_id=second.pk, into_id=elsewhere.pk)
        with pytest.raises(EventError, match="选择另一个事件"):
            actions.merge_event(by=leader, event_id=second.pk, into_id=second.pk)
        with pytest.raises(EventError, match="选择另一个事件"):
            actions.merge_event(by=leader, event_id=second.pk, into_id=999_999)
    client.force_login(leader)
    response = client.post(f"/events/{second.pk}/merge/", {"merge-version": second.version, "merge-into": first.pk})
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.status, second.merged_into_id) == (S.MERGED, first.pk)
    with pytest.raises(EventError):
        actions.merge_event(by=leader, event_id=second.pk, into_id=first.pk)

"""Household visits (走访): logging them, the visit rules' due list, and a finding reported as an event."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.utils import timezone

from governance.models import Event
from grids.models import Household, PopulationTag, Resident, Visit
from grids.residents.demo import synthetic_id
from grids.visits.queries import visits_due
from tests.conftest import default_category, fresh

# The tags' visit rules as the migrations add them: a transactional test run before these in
# the same process empties the table, and the tags are then made again with these rules.
DEFAULT_RULES = dict(importlib.import_module("grids.migrations.0003_default_tags").DEFAULT_TAGS)


def make_resident(grid, name="王大爷", serial=1, tags=(), room="101"):
    household, _ = Household.objects.get_or_create(grid=grid, estate="东风小区", building="1", unit="1", room=room)
    resident = Resident.objects.create(
        name=name,
        name_pinyin="x",
        name_initials="x",
        id_number=synthetic_id(datetime.date(1940, 1, 1), serial, "M"),
        birth_date=datetime.date(1940, 1, 1),
        sex="M",
        grid=grid,
        household=household,
    )
    tag_objects = []
    for tag in tags:
        rule = DEFAULT_RULES.get(tag, 7)
        tag_object, _ = PopulationTag.objects.get_or_create(name=tag, defaults={"visit_interval_days": rule})
        tag_objects.append(tag_object)
    resident.tags.set(tag_objects)
    # Added to the roster a month ago.
    Resident.objects.filter(pk=resident.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    return Resident.objects.get(pk=resident.pk)


def test_grid_worker_logs_a_visit_and_it_shows_on_the_resident(client, personas, tree):
    resident = make_resident(tree.g11)
    client.force_login(personas["grid_worker"])
    assert client.get(f"/visits/new/?resident={resident.pk}").status_code == 200
    response = client.post(
        f"/visits/new/?resident={resident.pk}",
        {"visited_on": timezone.localdate().isoformat(), "kind": "care", "findings": "热水器坏了"},
    )
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/visits/{visit.pk}/"
    assert (visit.resident, visit.household, visit.grid, visit.by) == (
        resident,
        resident.household,
        tree.g11,
        personas["grid_worker"],
    )
    assert "热水器坏了" in client.get(f"/residents/{resident.pk}/").content.decode()


def test_visit_in_the_future_is_refused(client, personas, tree):
    resident = make_resident(tree.g11)
    client.force_login(personas["grid_worker"])
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(f"/visits/new/?resident={resident.pk}", {"visited_on": tomorrow.isoformat(), "kind": "care"})
    assert response.status_code == 200
    assert "走访日期不能晚于今天" in response.content.decode()
    assert not Visit.objects.exists()


def test_visits_stay_within_scope(client, personas, tree):
    other = make_resident(tree.g12, serial=2)
    client.force_login(personas["grid_worker"])
    assert client.get(f"/visits/new/?resident={other.pk}").status_code == 404
    assert client.get(f"/visits/new/?household={other.household_id}").status_code == 404
    assert client.get("/visits/new/?resident=abc").status_code == 404
    client.force_login(personas["community_leader"])
    client.post(f"/visits/new/?resident={other.pk}", {"visited_on": timezone.localdate().isoformat(), "kind": "care"})
    visit = Visit.objects.get()
    client.force_login(personas["grid_worker"])
    assert client.get(f"/visits/{visit.pk}/").status_code == 404


def test_visit_rules_put_residents_on_the_grid_workers_home(client, personas, tree):
    lonely = make_resident(tree.g11, "独居李奶奶", serial=3, tags=["独居老人"])
    neighbour = make_resident(tree.g11, "空巢张伯", serial=4, tags=["空巢老人"], room="102")
    make_resident(tree.g11, "普通居民", serial=5, room="103")
    worker = fresh(personas["grid_worker"])
    due = {d.resident.pk: d for d in visits_due(worker)}
    assert set(due) == {lonely.pk, neighbour.pk}
    assert due[lonely.pk].every_days == 7 and due[lonely.pk].last_visit is None
    client.force_login(personas["grid_worker"])
    assert "独居李奶奶" in client.get("/").content.decode()

    today = timezone.localdate()
    # A visit to the household counts for its members; an old one does not.
    Visit.objects.create(grid=tree.g11, household=lonely.household, visited_on=today, by=personas["grid_worker"])
    Visit.objects.create(
        grid=tree.g11,
        resident=neighbour,
        household=neighbour.household,
        visited_on=today - datetime.timedelta(days=20),
        by=personas["grid_worker"],
    )
    due = {d.resident.pk: d for d in visits_due(fresh(personas["grid_worker"]))}
    assert set(due) == {neighbour.pk}
    assert due[neighbour.pk].days_overdue == 20 - 14
    assert "独居李奶奶" not in client.get("/").content.decode()


def test_visit_rules_cost_a_fixed_number_of_queries(personas, tree, django_assert_max_num_queries):
    for n in range(30):
        make_resident(tree.g11, f"居民{n}", serial=100 + n, tags=["独居老人"], room=str(200 + n))
    worker = fresh(personas["grid_worker"])
    with django_assert_max_num_queries(6):
        assert len(visits_due(worker)) == 30


def test_a_visit_finding_becomes_an_event_in_one_step(client, personas, tree):
    resident = make_resident(tree.g11, serial=6)
    visit = Visit.objects.create(
        grid=tree.g11,
        household=resident.household,
        resident=resident,
        visited_on=timezone.localdate(),
        findings="楼道灯坏了",
        by=personas["grid_worker"],
    )
    client.force_login(personas["grid_worker"])
    assert "上报为事件" in client.get(f"/visits/{visit.pk}/").content.decode()
    page = client.get(f"/events/new/?visit={visit.pk}").content.decode()
    assert "楼道灯坏了" in page and 'name="visit"' in page
    response = client.post(
        "/events/new/",
        {
            "visit": visit.pk,
            "grid": tree.g11.pk,
            "category": default_category("民生诉求").pk,
            "description": "楼道灯坏了",
            "address": resident.household.address,
            "urgency": "normal",
        },
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.source, event.visit_id) == (Event.Source.VISIT, visit.pk)
    assert list(event.residents.all()) == [resident]
    other = make_resident(tree.g12, serial=7)
    foreign = Visit.objects.create(grid=tree.g12, household=other.household, visited_on=timezone.localdate())
    assert client.get(f"/events/new/?visit={foreign.pk}").status_code == 404


@pytest.mark.parametrize("tag", ["退役军人"])
def test_tags_without_a_rule_are_never_due(personas, tree, tag):
    make_resident(tree.g11, serial=8, tags=[tag])
    PopulationTag.objects.filter(name=tag).update(visit_interval_days=None)
    assert visits_due(fresh(personas["grid_worker"])) == []


def test_report_links_residents_found_by_search(client, personas, tree):
    mine = make_resident(tree.g11, "欧阳芳", serial=9)
    other = make_resident(tree.g12, "欧阳华", serial=10)
    client.force_login(personas["grid_worker"])
    found = client.get("/events/residents/", {"grid": tree.g11.pk, "resident_q": "欧阳"}).content.decode()
    assert "欧阳芳" in found and "欧阳华" not in found
    # A new search keeps what is ticked (and only residents of the grid).
    again = client.get(
        "/events/residents/", {"grid": tree.g11.pk, "resident_q": "张", "residents": [mine.pk, other.pk]}
    ).content.decode()
    assert f'value="{mine.pk}" id="res-{mine.pk}" checked' in again and "欧阳华" not in again
    base = {
        "grid": tree.g11.pk,
        "category": default_category("民生诉求").pk,
        "description": "邻里纠纷",
        "address": "1栋",
        "urgency": "normal",
    }
    refused = client.post("/events/new/", {**base, "residents": [other.pk]})
    assert "只能关联本网格的居民" in refused.content.decode()
    tampered = client.post("/events/new/", {**base, "residents": ["x1"]})
    assert "请从搜索结果中选择居民" in tampered.content.decode()
    assert not Event.objects.exists()
    assert client.post("/events/new/", {**base, "residents": [mine.pk]}).status_code == 302
    assert list(Event.objects.get().residents.all()) == [mine]

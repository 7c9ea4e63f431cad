"""Move requests (迁移申请): asked from the resident form or a roster preview, decided by the
staff of the person's grid or the street, with the history on both sides."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from grids.models import MoveRequest, PersonalDataAccess, Resident
from grids.moves import actions
from tests.conftest import make_user, need_service
from tests.grids.residents.test_residents import add


@pytest.fixture
def zhao(tree):
    return add(tree.g21, "赵六", "19700707", "444")  # in 农林第一网格, outside the grid worker's area


def _ask(client, resident, grid, **extra):
    data = {"id_number": resident.id_number, "to_grid": grid.pk, "estate": "东风小区", "building": "8", "room": "301"}
    data.update(extra)
    return client.post("/moves/new/", data)


def test_grid_worker_asks_and_learns_nothing_of_the_current_grid(client, personas, tree, zhao):
    client.force_login(personas["grid_worker"])
    response = _ask(client, zhao, tree.g11, reason="已入住3月")
    assert response.status_code == 302
    move = MoveRequest.objects.get()
    assert move.from_grid == tree.g21 and move.to_grid == tree.g11 and move.status == "pending"
    body = client.get("/moves/").content.decode()
    assert "农林" not in body and "赵六" not in body and zhao.id_number not in body
    assert "440104********4440"[:6] in body
    assert PersonalDataAccess.objects.get().action == PersonalDataAccess.Action.LOOKUP


def test_asking_again_changes_nothing(client, personas, tree, zhao):
    client.force_login(personas["grid_worker"])
    _ask(client, zhao, tree.g11)
    response = _ask(client, zhao, tree.g11)
    assert response.status_code == 200 and "已在等待" in response.content.decode()
    assert MoveRequest.objects.count() == 1


def test_one_cannot_ask_into_a_grid_outside_ones_area(client, personas, tree, zhao):
    client.force_login(personas["grid_worker"])
    assert _ask(client, zhao, tree.g12).status_code == 200
    assert not MoveRequest.objects.exists()


def test_current_grid_staff_accept_and_the_person_moves_with_history(client, personas, tree, zhao):
    client.force_login(personas["grid_worker"])
    _ask(client, zhao, tree.g11)
    move = MoveRequest.objects.get()
    client.force_login(personas["community_staff"])  # staff of 农林社区, above the person's grid
    listing = client.get("/moves/").content.decode()
    assert "赵六" in listing and "东风第一网格" in listing
    assert client.get(f"/moves/{move.pk}/accept/").status_code == 200
    assert MoveRequest.objects.get().status == "pending"  # a GET only shows what will happen
    assert client.post(f"/moves/{move.pk}/accept/", {"note": ""}).status_code == 302
    zhao.refresh_from_db()
    assert zhao.grid == tree.g11 and zhao.household.grid == tree.g11 and zhao.household.building == "8"
    change = zhao.changes.get()
    assert change.kind == "moved_in" and change.changes["grid"] == ["农林第一网格", "东风第一网格"]
    # The asking side now sees the person and the move in their history; the old side keeps the record.
    client.force_login(personas["grid_worker"])
    page = client.get(f"/residents/{zhao.pk}/").content.decode()
    assert "赵六" in page and "农林第一网格 → 东风第一网格" in page
    client.force_login(personas["community_staff"])
    assert client.get(f"/residents/{zhao.pk}/").status_code == 404
    assert "已同意" in client.get("/moves/").content.decode()


def test_refusal_needs_a_reason_and_the_asker_reads_it(client, personas, tree, zhao):
    client.force_login(personas["grid_worker"])
    _ask(client, zhao, tree.g11)
    move = MoveRequest.objects.get()
    client.force_login(personas["street_official"])
    assert client.post(f"/moves/{move.pk}/refuse/", {"note": ""}).status_code == 200
    assert MoveRequest.objects.get().status == "pending"
    assert client.post(f"/moves/{move.pk}/refuse/", {"note": "此人仍在本网格居住"}).status_code == 302
    assert MoveRequest.objects.get().status == "refused"
    assert Resident.objects.get(pk=zhao.pk).grid == tree.g21
    client.force_login(personas["grid_worker"])
    assert "此人仍在本网格居住" in client.get("/moves/").content.decode()


@pytest.mark.parametrize("persona", ["grid_worker", "department_staff", "mediator", "outsider"])
def test_only_the_current_grids_staff_or_street_may_decide(client, personas, tree, zhao, persona):
    move = actions.request_move(by=personas["grid_worker"], id_number=zhao.id_number, to_grid_id=tree.g11.pk)
    client.force_login(personas[persona])
    for action in ("accept", "refuse"):
        assert client.get(f"/moves/{move.pk}/{action}/").status_code in (403, 404)
        assert client.post(f"/moves/{move.pk}/{action}/", {"note": "x"}).status_code in (403, 404)
    assert MoveRequest.objects.get().status == "pending"


def test_the_asker_may_withdraw_and_nobody_else(client, personas, tree, zhao):
    move = actions.request_move(by=personas["grid_worker"], id_number=zhao.id_number, to_grid_id=tree.g11.pk)
    client.force_login(personas["grid_leader"])
    assert client.post(f"/moves/{move.pk}/withdraw/").status_code == 404
    client.force_login(personas["grid_worker"])
    assert client.post(f"/moves/{move.pk}/withdraw/").status_code == 302
    assert MoveRequest.objects.get().status == "cancelled"


def test_a_person_already_in_ones_area_is_not_asked_for(client, personas, tree):
    own = add(tree.g11, "张三", seq="111")
    client.force_login(personas["grid_worker"])
    response = _ask(client, own, tree.g11)
    assert response.status_code == 200 and not MoveRequest.objects.exists()


def test_resident_form_offer_sends_a_request(client, personas, tree, zhao):
    from tests.grids.residents.test_residents import _form

    client.force_login(personas["grid_worker"])
    body = client.post("/residents/new/", _form(tree.g11, id_number=zhao.id_number)).content.decode()
    assert 'action="/moves/new/"' in body
    response = client.post(
        "/moves/new/", {"id_number": zhao.id_number, "to_grid": tree.g11.pk, "source": "resident form"}
    )
    assert response.status_code == 302 and MoveRequest.objects.get().to_grid == tree.g11


def test_home_page_tells_deciders_a_request_waits(client, personas, tree, zhao):
    actions.request_move(by=personas["grid_worker"], id_number=zhao.id_number, to_grid_id=tree.g11.pk)
    client.force_login(personas["community_staff"])
    assert "迁移申请" in client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_deciders_at_once_move_the_person_once(personas, tree, zhao):
    need_service("PostgreSQL", connection.vendor == "postgresql")
    move = actions.request_move(by=personas["grid_worker"], id_number=zhao.id_number, to_grid_id=tree.g11.pk)
    deciders = [personas["community_staff"], personas["street_admin"]]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def decide(user):
        barrier.wait()
        try:
            actions.accept_move(by=user, request_id=move.pk)
            outcomes.append("accepted")
        except actions.MoveError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(u,)) for u in deciders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["accepted", "refused"]
    assert Resident.objects.get(pk=zhao.pk).changes.filter(kind="moved_in").count() == 1


def test_outsider_without_grids_cannot_open_move_pages(client, tree):
    client.force_login(make_user("nobody"))
    assert client.get("/moves/").status_code == 403
    assert client.get("/moves/new/").status_code == 403


def test_move_list_costs_the_same_for_few_and_many_requests(client, personas, tree):
    from django.test.utils import CaptureQueriesContext

    def ask_for(first: int, count: int) -> list[Resident]:
        people = [add(tree.g21, f"迁{n}", "19700707", f"{n:03d}") for n in range(first, first + count)]
        for person in people:
            actions.request_move(by=personas["grid_worker"], id_number=person.id_number, to_grid_id=tree.g11.pk)
        return people

    def cost(persona: str) -> tuple[int, str]:
        client.force_login(personas[persona])
        with CaptureQueriesContext(connection) as ctx:
            body = client.get("/moves/").content.decode()
        return len(ctx.captured_queries), body

    few = ask_for(500, 2)
    small = {persona: cost(persona)[0] for persona in ("street_admin", "community_staff")}
    many = few + ask_for(600, 40)
    for persona in ("street_admin", "community_staff"):
        queries, body = cost(persona)
        assert queries == small[persona], persona
        # Only the street admin holds the right to see ID numbers unmasked.
        assert all((person.id_number in body) == (persona == "street_admin") for person in many), persona

"""The resident page: its cost does not grow with the household, and masking stays per member."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Household, PersonalDataAccess, Resident
from grids.pii import mask_id
from grids.residents.demo import synthetic_id


def household_of(grid, size: int, *, first_serial: int = 1) -> list[Resident]:
    # A birth date per household keeps the synthetic ID numbers apart.
    born = datetime.date(1940, 1, 1) + datetime.timedelta(days=first_serial)
    household = Household.objects.create(grid=grid, estate="敬老院", building="1", unit="1", room=f"{first_serial}")
    return Resident.objects.bulk_create(
        Resident(
            name=f"住户{n}",
            name_pinyin="zhuhu",
            name_initials="zh",
            id_number=synthetic_id(born, n, "M"),
            birth_date=datetime.date(1940, 1, 1),
            sex="M",
            phone=f"139{n:08d}",
            grid=grid,
            household=household,
        )
        for n in range(first_serial, first_serial + size)
    )


def page_queries(client, user, resident) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/residents/{resident.pk}/").status_code == 200
    return len(ctx.captured_queries)


def test_resident_page_costs_the_same_for_a_family_and_a_collective_household(client, personas, tree):
    family = household_of(tree.g11, 4, first_serial=1)
    collective = household_of(tree.g11, 400, first_serial=1000)
    for persona in ("community_leader", "street_official", "grid_worker"):
        user = personas[persona]
        assert page_queries(client, user, family[0]) == page_queries(client, user, collective[0]), persona


def test_members_are_masked_by_each_members_own_grid(client, personas, tree):
    ours = household_of(tree.g11, 3, first_serial=1)
    # A member recorded under another community's grid: the leader of c1 may not see their number.
    elsewhere = ours[2]
    Resident.objects.filter(pk=elsewhere.pk).update(grid=tree.g21)
    client.force_login(personas["community_leader"])
    response = client.get(f"/residents/{ours[0].pk}/")
    assert ours[0].id_number in response.content.decode()
    members = {row["resident"].pk: row for row in response.context["members"]}
    assert members[ours[1].pk]["unmasked"] and members[ours[1].pk]["id_number"] == ours[1].id_number
    assert not members[elsewhere.pk]["unmasked"]
    assert members[elsewhere.pk]["id_number"] == mask_id(elsewhere.id_number)
    # The page's own resident is the one unmasked view logged, as before.
    logged = PersonalDataAccess.objects.filter(user=personas["community_leader"])
    assert list(logged.values_list("action", "resident_id")) == [(PersonalDataAccess.Action.VIEW, ours[0].pk)]


def test_personas_without_the_right_see_the_page_masked_and_unlogged(client, personas, tree):
    members = household_of(tree.g11, 3, first_serial=1)
    client.force_login(personas["street_official"])
    body = client.get(f"/residents/{members[0].pk}/").content.decode()
    assert members[0].id_number not in body
    assert mask_id(members[0].id_number) in body
    assert not PersonalDataAccess.objects.filter(user=personas["street_official"]).exists()

"""The resident forms show nothing beyond what the user may see: masked values stay masked in
the edit form, an ID number registered elsewhere is not located, and pages with personal
data are never cached."""

from __future__ import annotations

import pytest

from grids.models import PersonalDataAccess, Resident
from grids.pii import mask_id, mask_phone
from tests.grids.residents.test_residents import _form, add, make_id


@pytest.fixture
def resident(tree):
    return add(tree.g11, "张三", seq="111", phone="13800138000")


def _edit_data(resident, tree, **extra):
    data = _form(tree.g11, name="张三", id_number=mask_id(resident.id_number), phone=mask_phone(resident.phone))
    data.update(extra)
    return data


@pytest.mark.parametrize("persona", ["grid_worker", "grid_leader", "street_official"])
def test_edit_form_shows_masked_values_to_those_who_may_not_see_them(client, personas, resident, persona):
    client.force_login(personas[persona])
    body = client.get(f"/residents/{resident.pk}/edit/").content.decode()
    assert resident.id_number not in body and resident.phone not in body
    assert f'value="{mask_id(resident.id_number)}"' in body
    assert f'value="{mask_phone(resident.phone)}"' in body
    assert not PersonalDataAccess.objects.exists()


def test_masked_values_sent_back_unchanged_keep_the_stored_ones(client, personas, resident, tree):
    client.force_login(personas["grid_worker"])
    response = client.post(f"/residents/{resident.pk}/edit/", _edit_data(resident, tree, building="9"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    stored = Resident.objects.get(pk=resident.pk)
    assert stored.id_number == resident.id_number and stored.phone == resident.phone
    assert stored.household.building == "9"


def test_a_new_full_value_replaces_the_masked_one(client, personas, resident, tree):
    client.force_login(personas["grid_worker"])
    new_id = make_id("19800512", "131")
    response = client.post(
        f"/residents/{resident.pk}/edit/", _edit_data(resident, tree, id_number=new_id, phone="13911112222")
    )
    assert response.status_code == 302
    stored = Resident.objects.get(pk=resident.pk)
    assert stored.id_number == new_id and stored.phone == "13911112222"


def test_a_mangled_masked_value_is_refused_not_stored(client, personas, resident, tree):
    client.force_login(personas["grid_worker"])
    bad = mask_id(resident.id_number).replace("*", "0", 1)
    response = client.post(f"/residents/{resident.pk}/edit/", _edit_data(resident, tree, id_number=bad))
    assert response.status_code == 200
    assert Resident.objects.get(pk=resident.pk).id_number == resident.id_number


@pytest.mark.parametrize("persona", ["community_leader", "street_admin"])
def test_edit_form_shows_full_values_to_those_who_may_and_logs_it(client, personas, resident, persona):
    client.force_login(personas[persona])
    body = client.get(f"/residents/{resident.pk}/edit/").content.decode()
    assert f'value="{resident.id_number}"' in body and f'value="{resident.phone}"' in body
    entry = PersonalDataAccess.objects.get()
    assert entry.user == personas[persona] and entry.resident == resident
    assert entry.action == PersonalDataAccess.Action.EDIT


@pytest.mark.parametrize("persona", ["grid_worker", "community_staff", "street_official"])
def test_resident_form_does_not_locate_a_number_registered_outside_scope(client, personas, tree, persona):
    # community_staff works in 农林社区 (g21); the others' areas include g11 or the whole street.
    grid = {"community_staff": tree.g21}.get(persona, tree.g11)
    elsewhere = add(tree.g31, "钱七", "19900909", "555")  # another street: outside every persona's area
    client.force_login(personas[persona])
    response = client.post("/residents/new/", _form(grid, id_number=elsewhere.id_number))
    body = response.content.decode()
    assert response.status_code == 200
    assert "其他网格" in body and "迁移申请" in body
    for place in ("白云", "钱七", elsewhere.grid.code):
        assert place not in body
    entry = PersonalDataAccess.objects.get()
    assert entry.action == PersonalDataAccess.Action.LOOKUP and entry.resident == elsewhere
    assert entry.user == personas[persona]
    assert Resident.objects.filter(id_number=elsewhere.id_number).count() == 1


def test_changing_an_id_number_to_one_registered_elsewhere_is_refused_without_naming_it(
    client, personas, resident, tree
):
    elsewhere = add(tree.g21, "赵六", "19700707", "444")
    client.force_login(personas["grid_worker"])
    response = client.post(f"/residents/{resident.pk}/edit/", _edit_data(resident, tree, id_number=elsewhere.id_number))
    body = response.content.decode()
    assert response.status_code == 200 and "其他网格" in body
    assert "农林" not in body and "赵六" not in body
    assert PersonalDataAccess.objects.get().action == PersonalDataAccess.Action.LOOKUP


@pytest.mark.parametrize(
    "path",
    ["/residents/", "/residents/{pk}/", "/residents/{pk}/edit/", "/residents/export.xlsx", "/residents/access-log/"],
)
def test_pages_with_personal_data_are_never_cached(client, personas, resident, path):
    client.force_login(personas["street_admin"])
    response = client.get(path.format(pk=resident.pk))
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control

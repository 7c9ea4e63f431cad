"""Residents: scope, masking and the access log, pinyin search, filters, add/edit/move out, history."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from stdnum.cn.ric import calc_check_digit

from grids.models import Household, PersonalDataAccess, PopulationTag, Resident
from grids.pii import mask_id, mask_phone, name_pinyin
from grids.residents import actions as resident_actions


def make_id(birth: str, seq: str = "123") -> str:
    first17 = "440104" + birth + seq
    return first17 + calc_check_digit(first17 + "0")


def add(grid, name, birth="19800512", seq="123", *, phone="13800138000", building="1", tags=(), **extra):
    pinyin, initials = name_pinyin(name)
    household, _ = Household.objects.get_or_create(
        grid=grid, estate="东风小区", building=building, unit="1", room="101"
    )
    number = make_id(birth, seq)
    resident = Resident.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        id_number=number,
        birth_date=datetime.datetime.strptime(birth, "%Y%m%d").date(),
        sex="M" if int(seq[-1]) % 2 else "F",
        phone=phone,
        grid=grid,
        household=household,
        **extra,
    )
    resident.tags.set(tags)
    return resident


@pytest.fixture
def people(tree):
    return {
        "zhangsan": add(tree.g11, "张三", seq="111"),
        "lisi": add(tree.g11, "李四", "19500101", "222", tags=[PopulationTag.objects.get(name="独居老人")]),
        "wangwu": add(tree.g12, "王五", "20100301", "333", building="2", residence_type="migrant"),
        "zhaoliu": add(tree.g21, "赵六", "19700707", "444"),
        "foreign": add(tree.g31, "钱七", "19900909", "555"),
    }


def test_masks():
    assert mask_id("110105198005121234") == "110105********1234"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("") == ""


def test_grid_worker_lists_only_their_grid_masked(client, personas, people):
    client.force_login(personas["grid_worker"])
    body = client.get("/residents/").content.decode()
    assert "张三" in body and "李四" in body
    assert "王五" not in body and "赵六" not in body and "钱七" not in body
    number = people["zhangsan"].id_number
    assert number not in body and mask_id(number) in body
    assert "13800138000" not in body and "138****8000" in body
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize("other", ["wangwu", "zhaoliu", "foreign"])
def test_grid_worker_cannot_open_edit_or_move_out_other_grid_residents(client, personas, people, other):
    client.force_login(personas["grid_worker"])
    pk = people[other].pk
    assert client.get(f"/residents/{pk}/").status_code == 404
    assert client.get(f"/residents/{pk}/edit/").status_code == 404
    assert client.post(f"/residents/{pk}/move-out/", {"moved_out_on": "2026-01-01"}).status_code == 404
    assert Resident.objects.get(pk=pk).moved_out_on is None


def test_street_admin_sees_unmasked_and_each_view_is_logged(client, personas, people, tree):
    admin = personas["street_admin"]
    client.force_login(admin)
    body = client.get("/residents/?q=zs").content.decode()
    assert people["zhangsan"].id_number in body
    entry = PersonalDataAccess.objects.get()
    assert (entry.user, entry.action, entry.count, entry.street_id) == (admin, "list", 1, tree.s1.pk)
    body = client.get(f"/residents/{people['lisi'].pk}/").content.decode()
    assert people["lisi"].id_number in body
    assert PersonalDataAccess.objects.filter(action="view", resident=people["lisi"]).count() == 1
    log = client.get("/residents/access-log/").content.decode()
    assert "李四" in log


def test_community_leader_sees_unmasked_in_own_community_only(client, personas, people):
    client.force_login(personas["community_leader"])
    body = client.get(f"/residents/{people['zhangsan'].pk}/").content.decode()
    assert people["zhangsan"].id_number in body
    assert client.get(f"/residents/{people['zhaoliu'].pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["street_official", "community_leader", "grid_worker", "outsider"])
def test_access_log_is_for_street_admins_only(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get("/residents/access-log/").status_code == 403


@pytest.mark.parametrize(
    "query,expected",
    [
        ("zs", {"张三"}),
        ("zhangsan", {"张三"}),
        ("ZS", {"张三"}),
        ("张", {"张三"}),
        ("l", {"李四"}),
        ("ls", {"李四"}),
        ("xyz", set()),
    ],
)
def test_name_search_matches_pinyin(client, personas, people, query, expected):
    client.force_login(personas["street_official"])
    body = client.get("/residents/", {"q": query}).content.decode()
    names = {"张三", "李四", "王五", "赵六"}
    assert {n for n in names if n in body} == expected


def test_search_by_full_id_number(client, personas, people):
    client.force_login(personas["street_official"])
    body = client.get("/residents/", {"q": people["zhaoliu"].id_number}).content.decode()
    assert "赵六" in body and "张三" not in body


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"grid": "{g12}"}, {"王五"}),
        ({"building": "2"}, {"王五"}),
        ({"tag": "{lonely}"}, {"李四"}),
        ({"residence_type": "migrant"}, {"王五"}),
        ({"age_min": "60"}, {"李四"}),
        ({"age_max": "20"}, {"王五"}),
        ({"age_min": "40", "age_max": "60"}, {"张三", "赵六"}),
        ({"grid": "abc", "age_min": "-5", "tag": "zz", "moved_out": "bogus"}, {"张三", "李四", "王五", "赵六"}),
    ],
)
def test_filters(client, personas, people, tree, params, expected):
    lonely = PopulationTag.objects.get(name="独居老人").pk
    params = {k: v.format(g12=tree.g12.pk, lonely=lonely) for k, v in params.items()}
    client.force_login(personas["street_official"])
    response = client.get("/residents/", params)
    assert response.status_code == 200
    body = response.content.decode()
    assert {n for n in ("张三", "李四", "王五", "赵六") if n in body} == expected


def _form(grid, **extra):
    data = {
        "name": "孙八",
        "id_number": make_id("19850615", "771"),
        "phone": "139 1234 5678",
        "grid": grid.pk,
        "estate": "东风小区",
        "building": "3",
        "unit": "2",
        "room": "502",
        "relation": "head",
        "residence_type": "registered",
        "ethnicity": "汉族",
        "political_status": "masses",
    }
    data.update(extra)
    return data


def test_grid_worker_adds_a_resident_and_birth_date_and_sex_are_derived(client, personas, tree):
    client.force_login(personas["grid_worker"])
    response = client.post("/residents/new/", _form(tree.g11, id_number=" " + make_id("19850615", "771").lower()))
    assert response.status_code == 302
    resident = Resident.objects.get(name="孙八")
    assert resident.birth_date == datetime.date(1985, 6, 15)
    assert resident.sex == "M"
    assert resident.phone == "13912345678"
    assert resident.household.building == "3"
    assert resident.name_initials == "sb"
    assert resident.created_by == personas["grid_worker"] and not resident.imported
    assert "手工录入" in client.get(f"/residents/{resident.pk}/").content.decode()


@pytest.mark.parametrize(
    "override,message",
    [
        ({"id_number": "440104198506157710"}, "校验"),
        ({"id_number": "4401041985"}, "18"),
        ({"id_number": "1.10105E+17"}, "文本"),
        ({"phone": "12345"}, "电话"),
        ({"name": ""}, "必填"),
    ],
)
def test_bad_resident_input_is_refused_with_a_message(client, personas, tree, override, message):
    client.force_login(personas["grid_worker"])
    response = client.post("/residents/new/", _form(tree.g11, **override))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Resident.objects.filter(name="孙八").exists()


@pytest.mark.parametrize("name", ["<b>加粗</b>", "<img src=x onerror=alert()>"])
def test_markup_in_a_name_is_refused_by_the_resident_form(client, personas, tree, name):
    client.force_login(personas["grid_worker"])
    response = client.post("/residents/new/", _form(tree.g11, name=name))
    assert response.status_code == 200
    assert "不属于姓名的字符" in response.content.decode()
    assert not Resident.objects.exists()


def test_grid_worker_cannot_add_into_another_grid(client, personas, tree):
    client.force_login(personas["grid_worker"])
    response = client.post("/residents/new/", _form(tree.g21))
    assert response.status_code == 200
    assert not Resident.objects.exists()


def test_duplicate_id_number_is_refused(client, personas, people, tree):
    client.force_login(personas["grid_worker"])
    response = client.post("/residents/new/", _form(tree.g11, id_number=people["zhaoliu"].id_number))
    assert response.status_code == 200
    assert "已" in response.content.decode()
    assert Resident.objects.filter(id_number=people["zhaoliu"].id_number).count() == 1


def test_edit_records_history_with_masked_values(client, personas, people, tree):
    resident = people["zhangsan"]
    client.force_login(personas["community_leader"])
    data = _form(tree.g12, name="张三", id_number=resident.id_number, phone="13700001111")
    assert client.post(f"/residents/{resident.pk}/edit/", data).status_code == 302
    resident.refresh_from_db()
    assert resident.grid == tree.g12 and resident.phone == "13700001111"
    change = resident.changes.get(kind="updated")
    assert change.changes["phone"] == ["138****8000", "137****1111"]
    assert "grid_id" in change.changes
    page = client.get(f"/residents/{resident.pk}/").content.decode()
    assert "联系电话" in page and "138****8000 → 137****1111" in page


def test_move_out_keeps_the_record(client, personas, people):
    resident = people["zhangsan"]
    client.force_login(personas["grid_worker"])
    assert client.get(f"/residents/{resident.pk}/move-out/").status_code == 200
    assert Resident.objects.get(pk=resident.pk).moved_out_on is None
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    assert client.post(f"/residents/{resident.pk}/move-out/", {"moved_out_on": future}).status_code == 200
    response = client.post(f"/residents/{resident.pk}/move-out/", {"moved_out_on": "2026-10-01"})
    assert response.status_code == 302
    assert "已标记为迁出" in client.get(response["Location"]).content.decode()
    resident.refresh_from_db()
    assert resident.moved_out_on == datetime.date(2026, 10, 1)
    assert "张三" not in client.get("/residents/").content.decode()
    assert "张三" in client.get("/residents/?moved_out=yes").content.decode()
    with pytest.raises(resident_actions.ResidentError):
        resident_actions.move_out_resident(
            by=personas["grid_worker"], resident_id=resident.pk, on=datetime.date(2026, 10, 2)
        )


def test_department_staff_and_mediator_see_no_residents(client, personas, people):
    for persona in ("department_staff", "mediator"):
        client.force_login(personas[persona])
        body = client.get("/residents/").content.decode()
        assert "张三" not in body
        assert client.get(f"/residents/{people['zhangsan'].pk}/").status_code == 404


def test_list_query_count_does_not_grow_with_rows(client, personas, tree):
    client.force_login(personas["street_admin"])
    lonely = PopulationTag.objects.get(name="独居老人")
    for i in range(5):
        add(tree.g11, f"甲{i}", seq=f"{i:03d}", tags=[lonely])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/residents/").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(5, 120):
        add(tree.g12 if i % 2 else tree.g21, f"乙{i}", seq=f"{i:03d}", building=str(i % 7), tags=[lonely])
    assert count() == small

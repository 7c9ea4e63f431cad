"""Street admins create and end posts in the portal; everyone else is refused."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from grids import access
from grids.models import Post, Role
from tests.conftest import fresh, give_post, make_user

TODAY = timezone.localdate()


def _form(node, username="newbie", role=Role.GRID_WORKER, **extra):
    kind = type(node).__name__.lower()
    data = {"username": username, "role": role, "node": f"{kind}:{node.pk}", "start_date": TODAY.isoformat()}
    data.update(extra)
    return data


def test_street_admin_creates_a_post_and_it_takes_effect(client, personas, tree):
    newbie = make_user("newbie")
    client.force_login(personas["street_admin"])
    response = client.post("/posts/new/", _form(tree.g12))
    assert response.status_code == 302
    post = Post.objects.get(user=newbie)
    assert (post.grid, post.role, post.created_by) == (tree.g12, Role.GRID_WORKER, personas["street_admin"])
    assert access.has_perm(fresh(newbie), access.VIEW, tree.g12)
    assert "岗位已分配" in client.get(response["Location"]).content.decode()


def test_post_form_offers_only_units_in_the_admins_street(client, personas, tree):
    client.force_login(personas["street_admin"])
    body = client.get("/posts/new/").content.decode()
    assert f'value="grid:{tree.g21.pk}"' in body
    assert f'value="grid:{tree.g31.pk}"' not in body
    assert f'value="street:{tree.s2.pk}"' not in body


@pytest.mark.parametrize(
    "node_value",
    ["grid:{g31}", "street:{s2}", "department:{d3}", "grid:abc", "planet:1", "", "grid:", "grid:99999999"],
)
def test_forged_or_malformed_unit_is_refused_with_a_message(client, personas, tree, node_value):
    make_user("newbie")
    client.force_login(personas["street_admin"])
    value = node_value.format(g31=tree.g31.pk, s2=tree.s2.pk, d3=tree.d3.pk)
    response = client.post("/posts/new/", _form(tree.g11) | {"node": value})
    assert response.status_code == 200
    body = response.content.decode()
    assert "不在您的管辖范围内" in body or "请从列表中选择" in body or "这个字段是必填项" in body
    assert not Post.objects.filter(user__username="newbie").exists()


def test_role_at_wrong_kind_of_unit_is_refused(client, personas, tree):
    make_user("newbie")
    client.force_login(personas["street_admin"])
    response = client.post("/posts/new/", _form(tree.c1, role=Role.GRID_WORKER))
    assert response.status_code == 200
    assert "不能设在" in response.content.decode()
    assert not Post.objects.filter(user__username="newbie").exists()


def test_unknown_user_and_bad_dates_are_refused(client, personas, tree):
    make_user("newbie")
    client.force_login(personas["street_admin"])
    body = client.post("/posts/new/", _form(tree.g11, username="nobody")).content.decode()
    assert "用户名不存在" in body
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    body = client.post("/posts/new/", _form(tree.g11, end_date=yesterday)).content.decode()
    assert "结束日期不能早于开始日期" in body
    body = client.post("/posts/new/", _form(tree.g11, start_date="2026-13-45")).content.decode()
    assert "有效的日期" in body
    assert not Post.objects.filter(user__username="newbie").exists()


@pytest.mark.parametrize("persona", ["street_official", "community_leader", "grid_worker", "outsider", "mediator"])
def test_non_admins_cannot_open_or_post_the_post_pages(client, personas, tree, persona):
    make_user("newbie")
    client.force_login(personas[persona])
    assert client.get("/posts/").status_code == 403
    assert client.get("/posts/new/").status_code == 403
    assert client.post("/posts/new/", _form(tree.g11)).status_code == 403
    assert (
        client.post("/accounts/new/", {"username": "x123", "full_name": "某", "password": "Zx9!long-pass"}).status_code
        == 403
    )
    assert not Post.objects.filter(user__username="newbie").exists()


def test_ending_a_post_get_confirms_and_post_ends(client, personas, tree, root):
    worker = personas["grid_worker"]
    post = Post.objects.get(user=worker)
    client.force_login(personas["street_admin"])
    confirm = client.get(f"/posts/{post.pk}/end/")
    assert confirm.status_code == 200
    assert "结束岗位" in confirm.content.decode()
    assert Post.objects.get(pk=post.pk).end_date is None  # GET changes nothing

    response = client.post(f"/posts/{post.pk}/end/", {"end_date": TODAY.isoformat()})
    assert response.status_code == 302
    assert Post.objects.get(pk=post.pk).end_date == TODAY
    assert not access.has_perm(fresh(worker), access.VIEW, tree.g11)

    client.force_login(worker)
    assert client.get(f"/grids/{tree.g11.pk}/").status_code == 404


def test_end_post_outside_scope_or_tampered_id_is_404(client, personas, tree, root):
    other = make_user("other")
    foreign = give_post(root, other, Role.GRID_WORKER, tree.g31)
    client.force_login(personas["street_admin"])
    assert client.post(f"/posts/{foreign.pk}/end/", {"end_date": TODAY.isoformat()}).status_code == 404
    assert client.post("/posts/99999999/end/", {"end_date": TODAY.isoformat()}).status_code == 404
    assert client.get("/posts/abc/end/").status_code == 404
    assert Post.objects.get(pk=foreign.pk).end_date is None


def test_grid_worker_sees_colleague_post_but_cannot_end_it(client, personas, tree):
    post = Post.objects.get(user=personas["grid_leader"])
    client.force_login(personas["grid_worker"])
    assert client.post(f"/posts/{post.pk}/end/", {"end_date": TODAY.isoformat()}).status_code == 403
    assert Post.objects.get(pk=post.pk).end_date is None


def test_post_list_filters_by_state(client, personas, tree, root):
    future = make_user("weilai7")
    give_post(root, future, Role.GRID_WORKER, tree.g12, start=TODAY + datetime.timedelta(days=7))
    client.force_login(personas["street_admin"])
    assert "weilai7" not in client.get("/posts/").content.decode()
    assert "weilai7" in client.get("/posts/?state=future").content.decode()
    assert client.get("/posts/?state=bogus&page=zzz").status_code == 200


def test_admin_creates_an_account_then_assigns_it(client, personas, tree):
    client.force_login(personas["street_admin"])
    response = client.post(
        "/accounts/new/", {"username": "wangge9", "full_name": "新网格员", "password": "Grid-worker-2026!"}
    )
    assert response.status_code == 302
    assert "username=wangge9" in response["Location"]
    assert 'value="wangge9"' in client.get(response["Location"]).content.decode()
    weak = client.post("/accounts/new/", {"username": "wangge8", "full_name": "某", "password": "123"})
    assert weak.status_code == 200
    dup = client.post("/accounts/new/", {"username": "WANGGE9", "full_name": "某", "password": "Grid-worker-2026!"})
    assert "已存在" in dup.content.decode()


def test_mutating_views_refuse_get_side_effects_and_other_methods(client, personas, tree):
    client.force_login(personas["street_admin"])
    post = Post.objects.get(user=personas["grid_worker"])
    assert client.put(f"/posts/{post.pk}/end/").status_code == 405
    assert client.delete("/posts/new/").status_code == 405
    assert Post.objects.get(pk=post.pk).end_date is None


def test_csrf_is_enforced_with_a_chinese_message(personas, tree):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["street_admin"])
    post = Post.objects.get(user=personas["grid_worker"])
    response = client.post(f"/posts/{post.pk}/end/", {"end_date": TODAY.isoformat()})
    assert response.status_code == 403
    assert "表单已过期" in response.content.decode()
    assert Post.objects.get(pk=post.pk).end_date is None


def test_grid_edit_saves_and_rejects_bad_input(client, personas, tree):
    client.force_login(personas["community_leader"])
    url = f"/grids/{tree.g11.pk}/edit/"
    ok = client.post(url, {"name": "东风一网格", "kind": "dedicated", "household_target": 260, "boundary": ""})
    assert ok.status_code == 302
    tree.g11.refresh_from_db()
    assert (tree.g11.name, tree.g11.kind, tree.g11.household_target) == ("东风一网格", "dedicated", 260)
    for bad in (
        {"name": "   ", "kind": "comprehensive", "household_target": 100},
        {"name": "x", "kind": "nonsense", "household_target": 100},
        {"name": "x", "kind": "comprehensive", "household_target": -3},
        {"name": "x", "kind": "comprehensive", "household_target": 100, "boundary": "{not json"},
        {
            "name": "x",
            "kind": "comprehensive",
            "household_target": 100,
            "boundary": '{"type": "Point", "coordinates": [1, 2]}',
        },
        {"name": "东风第二网格", "kind": "comprehensive", "household_target": 100},
    ):
        response = client.post(url, bad)
        assert response.status_code == 200, bad
        assert "invalid-feedback" in response.content.decode() or "alert-danger" in response.content.decode()
    tree.g11.refresh_from_db()
    assert tree.g11.name == "东风一网格"


def test_grid_edit_accepts_a_geojson_polygon(client, personas, tree):
    client.force_login(personas["street_admin"])
    polygon = (
        '{"type": "Polygon", "coordinates": [[[113.26, 23.13], [113.27, 23.13], [113.27, 23.14], [113.26, 23.13]]]}'
    )
    response = client.post(
        f"/grids/{tree.g11.pk}/edit/",
        {"name": "东风第一网格", "kind": "comprehensive", "household_target": 300, "boundary": polygon},
    )
    assert response.status_code == 302
    tree.g11.refresh_from_db()
    assert tree.g11.boundary["type"] == "Polygon"

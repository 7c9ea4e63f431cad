"""Every role × node inside and outside its scope × view / change, through
grids/access.py and through the views (404 when unseen, 403 when seen but not changeable)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from grids import access
from tests.conftest import PERSONAS, fresh

S1_TREE = {"s1", "c1", "c2", "g11", "g12", "g21", "d1", "d2"}
ALL_NODES = S1_TREE | {"s2", "c3", "g31", "d3"}

# Written out by hand from DESIGN §1 and §3, not derived from the code under test.
CAN_VIEW = {
    "street_admin": S1_TREE,
    "street_official": S1_TREE,
    "community_leader": {"c1", "g11", "g12"},
    "community_staff": {"c2", "g21"},
    "grid_leader": {"g11"},
    "grid_worker": {"g11"},
    "department_staff": {"d1"},
    "mediator": set(),
    "outsider": set(),
}
CAN_MANAGE = {
    "street_admin": S1_TREE,
    "community_leader": {"c1", "g11", "g12"},
}
CAN_MANAGE_POSTS = {"street_admin": S1_TREE}
CAN_VIEW_PII = {"street_admin": S1_TREE, "community_leader": {"c1", "g11", "g12"}}

DETAIL_URL = {"s": "/streets/{}/", "c": "/communities/{}/", "g": "/grids/{}/", "d": "/departments/{}/"}

CASES = [(persona, node) for persona in PERSONAS for node in sorted(ALL_NODES)]


def _expected_status(persona: str, node: str) -> int:
    return 200 if node in CAN_VIEW[persona] else 404


@pytest.mark.parametrize("persona,node", CASES)
def test_access_gate_matches_matrix(personas, tree, persona, node):
    user = fresh(personas[persona])
    obj = tree.nodes()[node]
    assert access.has_perm(user, access.VIEW, obj) == (node in CAN_VIEW[persona])
    assert access.has_perm(user, access.MANAGE, obj) == (node in CAN_MANAGE.get(persona, set()))
    assert access.has_perm(user, access.MANAGE_POSTS, obj) == (node in CAN_MANAGE_POSTS.get(persona, set()))
    assert access.has_perm(user, access.VIEW_PII, obj) == (node in CAN_VIEW_PII.get(persona, set()))

    if node in CAN_MANAGE.get(persona, set()):
        access.require(user, access.MANAGE, obj)
    elif node in CAN_VIEW[persona]:
        with pytest.raises(PermissionDenied):
            access.require(user, access.MANAGE, obj)
    else:
        with pytest.raises(Http404):
            access.require(user, access.MANAGE, obj)


@pytest.mark.parametrize("persona,node", CASES)
def test_views_match_matrix(client, personas, tree, persona, node):
    client.force_login(personas[persona])
    obj = tree.nodes()[node]
    response = client.get(DETAIL_URL[node[0]].format(obj.pk))
    assert response.status_code == _expected_status(persona, node)
    if node[0] == "g":
        edit = client.get(f"/grids/{obj.pk}/edit/")
        if node in CAN_MANAGE.get(persona, set()):
            assert edit.status_code == 200
        elif node in CAN_VIEW[persona]:
            assert edit.status_code == 403
            assert "没有权限" in edit.content.decode()
        else:
            assert edit.status_code == 404
            assert "页面不存在" in edit.content.decode()


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_grid_list_shows_exactly_the_visible_grids(client, personas, tree, persona):
    client.force_login(personas[persona])
    body = client.get("/grids/").content.decode()
    for name in ("g11", "g12", "g21", "g31"):
        grid = tree.nodes()[name]
        assert (f'href="/grids/{grid.pk}/"' in body) == (name in CAN_VIEW[persona]), name


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_scoped_querysets_match_matrix(personas, tree, persona):
    user = fresh(personas[persona])
    nodes = tree.nodes()
    expected = {n for n in CAN_VIEW[persona]}
    seen = set()
    for qs in (
        access.visible_streets(user),
        access.visible_communities(user),
        access.visible_grids(user),
        access.visible_departments(user),
    ):
        seen |= {name for name, obj in nodes.items() if type(obj) is qs.model and qs.filter(pk=obj.pk).exists()}
    assert seen == expected


def test_anonymous_is_sent_to_login(client, tree):
    response = client.get(f"/grids/{tree.g11.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_grid_leader_can_see_but_not_edit_grid(client, personas, tree):
    client.force_login(personas["grid_leader"])
    response = client.post(
        f"/grids/{tree.g11.pk}/edit/", {"name": "改名", "kind": "comprehensive", "household_target": 10}
    )
    assert response.status_code == 403
    tree.g11.refresh_from_db()
    assert tree.g11.name == "东风第一网格"


def test_posts_link_is_shown_only_to_post_managers(client, personas):
    client.force_login(personas["street_admin"])
    assert 'href="/posts/"' in client.get("/").content.decode()
    client.force_login(personas["grid_worker"])
    assert 'href="/posts/"' not in client.get("/").content.decode()


def test_breadcrumb_links_only_what_the_user_may_open(client, personas, tree):
    client.force_login(personas["grid_worker"])
    body = client.get(f"/grids/{tree.g11.pk}/").content.decode()
    assert "东风社区" in body and "越秀路街道" in body
    assert f'href="/communities/{tree.c1.pk}/"' not in body
    assert f'href="/streets/{tree.s1.pk}/"' not in body
    client.force_login(personas["street_official"])
    body = client.get(f"/grids/{tree.g11.pk}/").content.decode()
    assert f'href="/communities/{tree.c1.pk}/"' in body
    assert f'href="/streets/{tree.s1.pk}/"' in body


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_bulk_check_matches_matrix_in_one_query(personas, tree, persona, django_assert_max_num_queries):
    user = fresh(personas[persona])
    access.scope_for(user)
    by_model: dict[type, list] = {}
    for obj in tree.nodes().values():
        by_model.setdefault(type(obj), []).append(obj)
    expected = {
        access.VIEW: CAN_VIEW[persona],
        access.VIEW_PII: CAN_VIEW_PII.get(persona, set()),
        access.MANAGE: CAN_MANAGE.get(persona, set()),
    }
    names = {(type(obj), obj.pk): name for name, obj in tree.nodes().items()}
    for perm, allowed in expected.items():
        for model, objs in by_model.items():
            with django_assert_max_num_queries(1):
                permitted = access.permitted(user, perm, objs)
            of_model = {name for name in allowed if type(tree.nodes()[name]) is model}
            assert {names[(model, pk)] for pk in permitted} == of_model, (perm, model)

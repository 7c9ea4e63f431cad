"""Posts grant and revoke guardian object permissions on their node, by date."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from grids import access
from grids.models import GridUserObjectPermission, Post, Role, StreetUserObjectPermission
from grids.tree import actions
from grids.tree.tasks import sync_post_permissions
from tests.conftest import fresh, give_post, make_user

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def grants(user, grid) -> set[str]:
    return set(
        GridUserObjectPermission.objects.filter(user=user, content_object=grid).values_list(
            "permission__codename", flat=True
        )
    )


def test_creating_a_post_grants_role_permissions_on_its_node(tree, root):
    user = make_user("w")
    post = give_post(root, user, Role.GRID_WORKER, tree.g11)
    assert post.granted
    assert grants(user, tree.g11) == {"view_node", "change_node"}
    assert access.has_perm(fresh(user), access.VIEW, tree.g11)
    assert not access.has_perm(fresh(user), access.VIEW, tree.g12)


def test_street_admin_post_grants_on_the_street_and_covers_everything_below(tree, root):
    user = make_user("a")
    give_post(root, user, Role.STREET_ADMIN, tree.s1)
    codenames = set(StreetUserObjectPermission.objects.filter(user=user).values_list("permission__codename", flat=True))
    assert codenames == {"view_node", "change_node", "manage_node", "manage_posts", "view_pii"}
    user = fresh(user)
    assert all(access.has_perm(user, access.VIEW_PII, n) for n in (tree.c2, tree.g21, tree.d2))
    assert not access.has_perm(user, access.VIEW, tree.g31)


def test_future_post_grants_nothing_until_its_start_date(tree, root):
    user = make_user("w")
    post = give_post(root, user, Role.GRID_WORKER, tree.g11, start=TODAY + 3 * DAY)
    assert not post.granted
    assert grants(user, tree.g11) == set()
    assert not access.has_perm(fresh(user), access.VIEW, tree.g11)

    assert actions.sync_post_permissions(today=TODAY + 2 * DAY) == 0
    assert grants(user, tree.g11) == set()
    assert actions.sync_post_permissions(today=TODAY + 3 * DAY) == 1
    assert grants(user, tree.g11) == {"view_node", "change_node"}
    post.refresh_from_db()
    assert post.granted


def test_expired_post_grants_nothing(tree, root):
    user = make_user("w")
    post = give_post(root, user, Role.GRID_WORKER, tree.g11, start=TODAY - 30 * DAY, end=TODAY - DAY)
    assert not post.granted
    assert grants(user, tree.g11) == set()


def test_post_ending_in_future_is_revoked_by_sync_on_its_end_date(tree, root):
    user = make_user("w")
    post = give_post(root, user, Role.GRID_WORKER, tree.g11, end=TODAY + 5 * DAY)
    assert grants(user, tree.g11) == {"view_node", "change_node"}
    assert actions.sync_post_permissions(today=TODAY + 4 * DAY) == 0
    assert grants(user, tree.g11) == {"view_node", "change_node"}
    assert actions.sync_post_permissions(today=TODAY + 5 * DAY) == 1
    assert grants(user, tree.g11) == set()
    post.refresh_from_db()
    assert not post.granted


def test_ending_a_post_today_revokes_at_once(tree, root):
    user = make_user("w")
    post = give_post(root, user, Role.GRID_WORKER, tree.g11, start=TODAY - 10 * DAY)
    ended = actions.end_post(by=root, post_id=post.pk)
    assert ended.end_date == TODAY
    assert grants(user, tree.g11) == set()
    assert not access.has_perm(fresh(user), access.VIEW, tree.g11)


def test_ending_one_of_two_posts_on_a_node_keeps_the_other_posts_grants(tree, root):
    user = make_user("w")
    leader = give_post(root, user, Role.GRID_LEADER, tree.g11, start=TODAY - 10 * DAY)
    give_post(root, user, Role.GRID_WORKER, tree.g11, start=TODAY - 10 * DAY)
    actions.end_post(by=root, post_id=leader.pk)
    assert grants(user, tree.g11) == {"view_node", "change_node"}


def test_ending_a_post_keeps_posts_at_other_nodes(tree, root):
    user = make_user("w")
    first = give_post(root, user, Role.GRID_WORKER, tree.g11)
    give_post(root, user, Role.GRID_WORKER, tree.g12)
    actions.end_post(by=root, post_id=first.pk)
    user = fresh(user)
    assert not access.has_perm(user, access.VIEW, tree.g11)
    assert access.has_perm(user, access.VIEW, tree.g12)


def test_cannot_end_a_post_twice_or_in_the_past(tree, root):
    user = make_user("w")
    post = give_post(root, user, Role.GRID_WORKER, tree.g11, start=TODAY - 10 * DAY)
    with pytest.raises(actions.PostError, match="不能早于今天"):
        actions.end_post(by=root, post_id=post.pk, end_date=TODAY - DAY)
    actions.end_post(by=root, post_id=post.pk)
    with pytest.raises(actions.PostError, match="已结束"):
        actions.end_post(by=root, post_id=post.pk)


def test_sync_is_idempotent_and_runs_as_a_task(tree, root, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    user = make_user("w")
    give_post(root, user, Role.GRID_WORKER, tree.g11, end=TODAY + DAY)
    Post.objects.update(granted=False)  # as if the grant had been lost
    GridUserObjectPermission.objects.all().delete()
    assert sync_post_permissions.apply().get() == 1
    assert sync_post_permissions.apply().get() == 0
    assert grants(user, tree.g11) == {"view_node", "change_node"}
    assert GridUserObjectPermission.objects.filter(user=user).count() == 2


def test_role_must_match_the_kind_of_node(tree, root):
    with pytest.raises(actions.PostError):
        give_post(root, make_user("w"), Role.GRID_WORKER, tree.c1)
    with pytest.raises(actions.PostError):
        give_post(root, make_user("x"), Role.STREET_ADMIN, tree.g11)
    assert not Post.objects.exists()


def test_database_refuses_a_post_with_two_nodes_or_the_wrong_kind(tree):
    user = make_user("w")
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(user=user, role=Role.GRID_WORKER, grid=tree.g11, community=tree.c1, start_date=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(user=user, role=Role.GRID_WORKER, community=tree.c1, start_date=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(user=user, role=Role.GRID_WORKER, grid=tree.g11, start_date=TODAY, end_date=TODAY - DAY)


def test_overlapping_duplicate_post_is_refused(tree, root):
    user = make_user("w")
    give_post(root, user, Role.GRID_WORKER, tree.g11, end=TODAY + 10 * DAY)
    with pytest.raises(actions.PostError, match="重叠"):
        give_post(root, user, Role.GRID_WORKER, tree.g11, start=TODAY + 5 * DAY)
    # A new term starting when the old one ends is fine.
    give_post(root, user, Role.GRID_WORKER, tree.g11, start=TODAY + 10 * DAY)


def test_only_a_post_manager_of_the_node_may_create_or_end_posts(tree, personas):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    target = make_user("target")
    with pytest.raises(PermissionDenied):  # sees g11 but may not manage posts
        actions.create_post(
            by=personas["community_leader"], user=target, role=Role.GRID_WORKER, node=tree.g11, start_date=TODAY
        )
    with pytest.raises(Http404):  # another street: not even visible
        actions.create_post(
            by=personas["street_admin"], user=target, role=Role.GRID_WORKER, node=tree.g31, start_date=TODAY
        )
    post = actions.create_post(
        by=personas["street_admin"], user=target, role=Role.GRID_WORKER, node=tree.g11, start_date=TODAY
    )
    with pytest.raises(PermissionDenied):  # sees the post at their grid, may not end it
        actions.end_post(by=personas["grid_worker"], post_id=post.pk)
    with pytest.raises(Http404):
        actions.end_post(by=personas["department_staff"], post_id=post.pk)
    assert Post.objects.get(pk=post.pk).end_date is None


def test_an_admin_cannot_end_their_own_post(tree, personas):
    admin = personas["street_admin"]
    post = Post.objects.get(user=admin)
    with pytest.raises(actions.PostError, match="不能结束自己的岗位"):
        actions.end_post(by=admin, post_id=post.pk)
    assert Post.objects.get(pk=post.pk).end_date is None

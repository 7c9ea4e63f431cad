"""Resolving a user's scope and rendering the tree pages costs the same number of
queries for a tiny tree and for 1 street, 50 communities, 1,000 grids and 5,000 posts."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grids import access
from grids.models import ROLE_PERMISSIONS, Community, Grid, GridUserObjectPermission, Post, Role, Street
from tests.conftest import fresh, give_post, make_user


def _grow(street: Street, *, communities: int, grids: int, posts: int) -> None:
    """Bulk-grow the tree to the given totals, with posts and their grants."""
    start = Community.objects.filter(street=street).count()
    Community.objects.bulk_create(
        [Community(street=street, code=f"BC{i:03d}", name=f"社区{i}") for i in range(start, communities)]
    )
    all_communities = list(Community.objects.filter(street=street))
    have = Grid.objects.filter(community__street=street).count()
    Grid.objects.bulk_create(
        [
            Grid(community=all_communities[i % len(all_communities)], code=f"BG{i:04d}", name=f"网格{i}")
            for i in range(have, grids)
        ]
    )
    all_grids = list(Grid.objects.filter(community__street=street))
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"bulk{i}", first_name=f"员{i}") for i in range(posts // 5)]
    )
    today = timezone.localdate()
    new_posts = Post.objects.bulk_create(
        [
            Post(
                user=users[(i // 5) % len(users)],
                role=Role.GRID_WORKER,
                grid=all_grids[i % len(all_grids)],
                start_date=today,
                granted=True,
            )
            for i in range(posts - Post.objects.count())
        ]
    )
    perms = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(Grid), codename__in=ROLE_PERMISSIONS[Role.GRID_WORKER]
        )
    }
    GridUserObjectPermission.objects.bulk_create(
        [
            GridUserObjectPermission(user_id=p.user_id, content_object_id=p.grid_id, permission=perm)
            for p in new_posts
            for perm in perms.values()
        ],
        ignore_conflicts=True,
    )


def _count(client, user, urls: list[str]) -> list[int]:
    counts = []
    client.force_login(user)
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        counts.append(len(ctx.captured_queries))
    with CaptureQueriesContext(connection) as ctx:
        scope = access.scope_for(fresh(user))
        list(access.visible_grids(fresh(user))[:50])
    counts.append(len(ctx.captured_queries))
    assert scope is not None
    return counts


def test_query_counts_do_not_grow_with_the_tree(client, tree, root):
    official = make_user("official")
    give_post(root, official, Role.STREET_OFFICIAL, tree.s1)
    worker = make_user("worker")
    give_post(root, worker, Role.GRID_WORKER, tree.g11)
    give_post(root, make_user("leader"), Role.COMMUNITY_LEADER, tree.c1)
    urls = ["/", "/grids/", "/grids/?page=2", f"/streets/{tree.s1.pk}/", f"/communities/{tree.c1.pk}/"]
    worker_urls = ["/", "/grids/", f"/grids/{tree.g11.pk}/"]

    small_official = _count(client, official, urls)
    small_worker = _count(client, worker, worker_urls)

    _grow(tree.s1, communities=50, grids=1000, posts=5000)
    assert Community.objects.filter(street=tree.s1).count() == 50
    assert Grid.objects.filter(community__street=tree.s1).count() == 1000
    assert Post.objects.count() >= 5000

    assert _count(client, official, urls) == small_official
    assert _count(client, worker, worker_urls) == small_worker
    # The scope itself is one query however many grants exist.
    bulk_user = get_user_model().objects.get(username="bulk0")
    with CaptureQueriesContext(connection) as ctx:
        scope = access.scope_for(bulk_user)
        access.scope_for(bulk_user)  # cached on the user object for the request
    assert len(ctx.captured_queries) == 1
    assert len(scope.ids(access.VIEW, "grid")) == 5

"""Reads used by the tree pages, already scoped through grids.access."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from grids import access
from grids.tree.models import Community, Department, Grid, Post


def _active_posts_filter(prefix: str, today: datetime.date) -> Q:
    return Q(**{f"{prefix}__start_date__lte": today}) & (
        Q(**{f"{prefix}__end_date__isnull": True}) | Q(**{f"{prefix}__end_date__gt": today})
    )


def active_posts_prefetch(today: datetime.date | None = None) -> Prefetch:
    today = today or timezone.localdate()
    return Prefetch(
        "posts",
        queryset=Post.objects.active_on(today).select_related("user").order_by("role", "user__username"),
        to_attr="active_posts",
    )


def grid_rows(user: Any, *, community_id: int | None = None, search: str = "") -> QuerySet[Grid]:
    """Grids the user may see, each with its community, street, staff and staff count."""
    today = timezone.localdate()
    grids = access.visible_grids(user).select_related("community__street")
    if community_id is not None:
        grids = grids.filter(community_id=community_id)
    if search:
        grids = grids.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return (
        grids.annotate(staff_count=Count("posts", filter=_active_posts_filter("posts", today)))
        .prefetch_related(active_posts_prefetch(today))
        .order_by("community__code", "code")
    )


def community_rows(user: Any, *, street_id: int) -> QuerySet[Community]:
    today = timezone.localdate()
    return (
        access.visible_communities(user)
        .filter(street_id=street_id)
        .annotate(
            grid_count=Count("grids", distinct=True),
            staff_count=Count("posts", filter=_active_posts_filter("posts", today), distinct=True),
        )
        .prefetch_related(active_posts_prefetch(today))
        .order_by("code")
    )


def department_rows(user: Any, *, street_id: int) -> QuerySet[Department]:
    today = timezone.localdate()
    return (
        access.visible_departments(user)
        .filter(street_id=street_id)
        .annotate(staff_count=Count("posts", filter=_active_posts_filter("posts", today)))
        .prefetch_related(active_posts_prefetch(today))
        .order_by("code")
    )


def node_staff(node: Any) -> QuerySet[Post]:
    """Active posts held directly at one node."""
    return (
        Post.objects.active_on(timezone.localdate())
        .filter(**{type(node)._meta.model_name: node})
        .select_related("user")
        .order_by("role", "user__username")
    )


def posts_for_manager(user: Any, *, state: str = "active", search: str = "") -> QuerySet[Post]:
    today = timezone.localdate()
    posts = access.scoped(user, Post.objects.all(), access.MANAGE_POSTS).select_related(
        "user", "street", "community__street", "grid__community", "department"
    )
    if state == "active":
        posts = posts.active_on(today)
    elif state == "future":
        posts = posts.filter(start_date__gt=today)
    elif state == "ended":
        posts = posts.filter(end_date__isnull=False, end_date__lte=today)
    if search:
        posts = posts.filter(
            Q(user__username__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
        )
    return posts.order_by("-start_date", "-id")


def my_posts(user: Any) -> list[Post]:
    today = timezone.localdate()
    return list(
        Post.objects.active_on(today)
        .filter(user=user)
        .select_related("street", "community__street", "grid__community__street", "department__street")
        .order_by("start_date")
    )

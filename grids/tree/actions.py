"""Every change to the tree and to posts: one function per action."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import access
from grids.access import GRANT_TABLES
from grids.tree.models import (
    NODE_FIELDS,
    NODE_PERMISSIONS,
    ROLE_NODE_FIELDS,
    ROLE_PERMISSIONS,
    Community,
    Department,
    Grid,
    Post,
    Role,
    Street,
)

User = get_user_model()

Node = Street | Community | Grid | Department
_NODE_KIND = {Street: "street", Community: "community", Grid: "grid", Department: "department"}
_CODENAMES = [codename for codename, _label in NODE_PERMISSIONS]


class PostError(Exception):
    """A post change that the rules forbid; the message is shown to the user."""


def node_kind(node: Node) -> str:
    return _NODE_KIND[type(node)]


def _permissions_for(kind: str) -> dict[str, Permission]:
    model = {"street": Street, "community": Community, "grid": Grid, "department": Department}[kind]
    ct = ContentType.objects.get_for_model(model)
    return {p.codename: p for p in Permission.objects.filter(content_type=ct, codename__in=_CODENAMES)}


def _sync_user_node(*, user_id: int, kind: str, node_id: int, today: datetime.date) -> None:
    """Make the user's grants on one node equal to what their active posts there give."""
    desired: set[str] = set()
    for role in (
        Post.objects.active_on(today).filter(user_id=user_id, **{f"{kind}_id": node_id}).values_list("role", flat=True)
    ):
        desired.update(ROLE_PERMISSIONS[role])
    table = GRANT_TABLES[kind]
    rows = table.objects.filter(user_id=user_id, content_object_id=node_id)
    current = set(rows.values_list("permission__codename", flat=True))
    if current - desired:
        rows.filter(permission__codename__in=current - desired).delete()
    if desired - current:
        perms = _permissions_for(kind)
        table.objects.bulk_create(
            [table(user_id=user_id, content_object_id=node_id, permission=perms[c]) for c in sorted(desired - current)],
            ignore_conflicts=True,
        )


def _sync_post(post: Post, today: datetime.date) -> None:
    kind = next(f for f in NODE_FIELDS if getattr(post, f"{f}_id") is not None)
    _sync_user_node(user_id=post.user_id, kind=kind, node_id=getattr(post, f"{kind}_id"), today=today)
    active = post.is_active_on(today)
    if post.granted != active:
        post.granted = active
        Post.objects.filter(pk=post.pk).update(granted=active)


def create_post(
    *,
    by: Any,
    user: Any,
    role: str,
    node: Node,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    note: str = "",
) -> Post:
    """Give `user` role `role` at `node`; grants apply at once if the post has started."""
    access.require(by, access.MANAGE_POSTS, node)
    if role not in Role.values:
        raise PostError(_("Unknown role."))
    kind = node_kind(node)
    if kind not in ROLE_NODE_FIELDS[role]:
        raise PostError(
            _("A %(role)s post cannot be held at a %(kind)s.")
            % {"role": Role(role).label, "kind": type(node)._meta.verbose_name}
        )
    if not user.is_active:
        raise PostError(_("This account is disabled and cannot hold a post."))
    if end_date is not None and end_date < start_date:
        raise PostError(_("The end date cannot be before the start date."))
    today = timezone.localdate()
    with transaction.atomic():
        duplicate = Post.objects.filter(user=user, role=role, **{kind: node}).filter(
            start_date__lt=end_date or datetime.date.max
        )
        duplicate = duplicate.exclude(end_date__isnull=False, end_date__lte=start_date)
        if duplicate.exists():
            raise PostError(_("This person already holds this role here for an overlapping period."))
        post = Post.objects.create(
            user=user,
            role=role,
            start_date=start_date,
            end_date=end_date,
            note=note.strip(),
            created_by=by,
            **{kind: node},
        )
        _sync_post(post, today)
    access.forget_scope(user)
    return post


def end_post(*, by: Any, post_id: int, end_date: datetime.date | None = None) -> Post:
    """End a post on `end_date` (default today: at once); its grants go with it."""
    today = timezone.localdate()
    end_date = end_date or today
    with transaction.atomic():
        post = access.get_object(
            by, Post, post_id, access.MANAGE_POSTS, queryset=Post.objects.select_for_update(of=("self",))
        )
        if post.user_id == by.pk:
            raise PostError(_("You cannot end your own post; ask another administrator."))
        if post.end_date is not None and post.end_date <= today:
            raise PostError(_("This post has already ended."))
        if end_date < post.start_date:
            raise PostError(_("The end date cannot be before the start date (%(date)s).") % {"date": post.start_date})
        if end_date < today:
            raise PostError(_("A post cannot be ended in the past; choose today or a later date."))
        post.end_date = end_date
        post.ended_by = by
        post.save(update_fields=["end_date", "ended_by"])
        _sync_post(post, today)
    access.forget_scope(post.user)
    return post


def sync_post_permissions(*, today: datetime.date | None = None) -> int:
    """Grant posts that have started and revoke those that have ended. Idempotent.

    Returns how many posts changed state.
    """
    today = today or timezone.localdate()
    active_ids = Post.objects.active_on(today).values("id")
    stale = Post.objects.filter(granted=False, id__in=active_ids) | Post.objects.filter(granted=True).exclude(
        id__in=active_ids
    )
    changed = 0
    for post_id in stale.values_list("id", flat=True):
        with transaction.atomic():
            post = Post.objects.select_for_update().get(pk=post_id)
            if post.granted != post.is_active_on(today):
                _sync_post(post, today)
                changed += 1
    return changed


def update_grid(*, by: Any, grid_id: int, name: str, kind: str, household_target: int, boundary: Any) -> Grid:
    with transaction.atomic():
        grid = access.get_object(
            by, Grid, grid_id, access.MANAGE, queryset=Grid.objects.select_for_update(of=("self",))
        )
        grid.name = name
        grid.kind = kind
        grid.household_target = household_target
        grid.boundary = boundary
        grid.full_clean()
        grid.save()
    return grid


def create_account(*, by: Any, username: str, full_name: str, password: str) -> Any:
    """Create a staff account; only someone who may manage posts somewhere may do so."""
    if access.scope_for(by).is_empty(access.MANAGE_POSTS):
        raise PermissionDenied
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise PostError(_("An account with this user name already exists."))
        return User.objects.create_user(username=username, password=password, first_name=full_name)

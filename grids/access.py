"""The one gate for permissions.

Answers "which objects may this user act on with permission P" (as a queryset
filter) and "may this user do P on this object". Grants are django-guardian
direct object permissions on tree nodes, written when posts start and removed
when they end; a grant on a node covers everything beneath it.

Cost: one query per request to load the user's grants (a UNION over the four
node permission tables), then plain filters on indexed foreign keys, whatever
the size of the tree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, Value
from django.http import Http404

from grids.models import (
    Community,
    CommunityUserObjectPermission,
    Department,
    DepartmentUserObjectPermission,
    Grid,
    GridUserObjectPermission,
    Household,
    Post,
    Resident,
    Street,
    StreetUserObjectPermission,
    Visit,
)

VIEW = "view_node"
CHANGE = "change_node"
MANAGE = "manage_node"
MANAGE_POSTS = "manage_posts"
VIEW_PII = "view_pii"
MEDIATE = "mediate"

KINDS = ("street", "community", "grid", "department")

GRANT_TABLES = {
    "street": StreetUserObjectPermission,
    "community": CommunityUserObjectPermission,
    "grid": GridUserObjectPermission,
    "department": DepartmentUserObjectPermission,
}

M = TypeVar("M", bound=models.Model)

# For each model reachable through the gate: which lookups lead from a row of it
# to the id of each kind of node above it. Later apps register their models.
_LOOKUPS: dict[type[models.Model], dict[str, tuple[str, ...]]] = {
    Street: {"street": ("id",)},
    Community: {"street": ("street_id",), "community": ("id",)},
    Grid: {"street": ("community__street_id",), "community": ("community_id",), "grid": ("id",)},
    Department: {"street": ("street_id",), "department": ("id",)},
    Household: {"street": ("grid__community__street_id",), "community": ("grid__community_id",), "grid": ("grid_id",)},
    Resident: {"street": ("grid__community__street_id",), "community": ("grid__community_id",), "grid": ("grid_id",)},
    Visit: {"street": ("grid__community__street_id",), "community": ("grid__community_id",), "grid": ("grid_id",)},
    Post: {
        "street": ("street_id", "community__street_id", "grid__community__street_id", "department__street_id"),
        "community": ("community_id", "grid__community_id"),
        "grid": ("grid_id",),
        "department": ("department_id",),
    },
}


def register(model: type[models.Model], lookups: dict[str, tuple[str, ...]]) -> None:
    """Make `model` reachable through the gate, e.g. a Resident by its grid."""
    unknown = set(lookups) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown node kinds: {unknown}")
    _LOOKUPS[model] = lookups


@dataclass(frozen=True)
class Scope:
    """A user's grants: permission codename → node kind → node ids."""

    is_superuser: bool = False
    grants: dict[str, dict[str, frozenset[int]]] = field(default_factory=dict)

    def ids(self, perm: str, kind: str) -> frozenset[int]:
        return self.grants.get(perm, {}).get(kind, frozenset())

    def is_empty(self, perm: str) -> bool:
        return not self.is_superuser and not any(self.grants.get(perm, {}).values())


_CACHE_ATTR = "_access_scope"


def scope_for(user: Any) -> Scope:
    """Load (once per user object, so once per request) the user's grants."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        scope = Scope()
    elif user.is_superuser:
        scope = Scope(is_superuser=True)
    else:
        parts = [
            table.objects.filter(user_id=user.pk)
            .annotate(kind=Value(kind, output_field=models.CharField()))
            .values_list("kind", "content_object_id", "permission__codename")
            for kind, table in GRANT_TABLES.items()
        ]
        collected: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for kind, node_id, codename in parts[0].union(*parts[1:], all=True):
            collected[codename][kind].add(node_id)
        scope = Scope(grants={p: {k: frozenset(ids) for k, ids in by_kind.items()} for p, by_kind in collected.items()})
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached grants after they changed within the same request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _lookups(model: type[models.Model]) -> dict[str, tuple[str, ...]]:
    try:
        return _LOOKUPS[model]
    except KeyError:
        raise TypeError(f"{model.__name__} is not registered with grids.access") from None


def scoped(user: Any, queryset: models.QuerySet[M], perm: str = VIEW) -> models.QuerySet[M]:
    """Filter `queryset` to the rows on which `user` holds `perm` (directly or above)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return queryset
    condition = Q()
    for kind, lookups in _lookups(queryset.model).items():
        ids = scope.ids(perm, kind)
        if ids:
            for lookup in lookups:
                condition |= _in(queryset.model, lookup, sorted(ids))
    if not condition:
        return queryset.none()
    return queryset.filter(condition)


def _in(model: type[models.Model], lookup: str, ids: list[int]) -> Q:
    """`lookup IN ids`, written as nested `fk IN (subquery)` rather than joins.

    A semi-join keeps the outer query free to use its own indexes for ordering, which
    matters on large lists (residents ordered by grid, household and id).
    """
    head, sep, rest = lookup.partition("__")
    if not sep:
        return Q(**{f"{lookup}__in": ids})
    field = model._meta.get_field(head)
    related = field.related_model
    matching = related._default_manager.filter(_in(related, rest, ids))
    if field.one_to_many:
        # A reverse foreign key (an event's department assignments): rows with any matching one.
        return Q(pk__in=matching.values(field.field.attname))
    return Q(**{f"{field.attname}__in": matching.values("pk")})


def _related_paths(model: type[models.Model]) -> tuple[list[str], list[str]]:
    """Relations to load with an object so that has_perm needs no further query:
    (forward ones for select_related, reverse ones for prefetch_related)."""
    forward, reverse = set(), set()
    for lookups in _lookups(model).values():
        for lookup in lookups:
            parts = lookup.split("__")[:-1]
            if parts:
                first = model._meta.get_field(parts[0])
                (reverse if first.one_to_many else forward).add("__".join(parts))
    return sorted(forward), sorted(reverse)


def _walk(value: Any, parts: list[str]) -> Iterable[Any]:
    if value is None:
        return
    if not parts:
        yield value
        return
    step = getattr(value, parts[0], None)
    if isinstance(step, models.Manager):
        for item in step.all():
            yield from _walk(item, parts[1:])
    else:
        yield from _walk(step, parts[1:])


def _node_ids(obj: models.Model) -> Iterable[tuple[str, int]]:
    """The (kind, id) of every node at or above `obj`, read from loaded relations."""
    for kind, lookups in _lookups(type(obj)).items():
        for lookup in lookups:
            for node_id in _walk(obj, lookup.split("__")):
                yield kind, node_id


def has_perm(user: Any, perm: str, obj: models.Model) -> bool:
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    return any(node_id in scope.ids(perm, kind) for kind, node_id in _node_ids(obj))


def permitted(user: Any, perm: str, objs: Iterable[M]) -> set[Any]:
    """The primary keys of those of `objs` (all of one model) on which `user` holds `perm`.

    Decides for a whole set at once, so a page listing many rows (a household of
    hundreds) costs one query here rather than loading each row's nodes in turn: the ids
    of the nodes above every row are read together, then checked against the grants.
    """
    objs = list(objs)
    if not objs:
        return set()
    scope = scope_for(user)
    if scope.is_superuser:
        return {obj.pk for obj in objs}
    if scope.is_empty(perm):
        return set()
    model = type(objs[0])
    columns = [(kind, lookup) for kind, lookups in _lookups(model).items() for lookup in lookups]
    rows = model._default_manager.filter(pk__in={obj.pk for obj in objs}).values_list(
        "pk", *(lookup for _kind, lookup in columns)
    )
    allowed = set()
    for pk, *node_ids in rows:
        if any(node_id in scope.ids(perm, kind) for (kind, _lookup), node_id in zip(columns, node_ids, strict=True)):
            allowed.add(pk)
    return allowed


def require(user: Any, perm: str, obj: models.Model) -> None:
    """404 if the user may not see `obj` at all, 403 if they see it but lack `perm`."""
    if not has_perm(user, VIEW, obj) and not (perm != VIEW and has_perm(user, perm, obj)):
        raise Http404
    if not has_perm(user, perm, obj):
        raise PermissionDenied


def get_object(user: Any, model: type[M], pk: Any, perm: str = VIEW, queryset: models.QuerySet[M] | None = None) -> M:
    """Fetch one object by primary key through the gate (404 / 403 as in `require`)."""
    base = queryset if queryset is not None else model._default_manager.all()
    forward, reverse = _related_paths(model)
    base = base.select_related(*forward).prefetch_related(*reverse)
    try:
        obj = base.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    require(user, perm, obj)
    return obj


def visible_streets(user: Any, perm: str = VIEW) -> models.QuerySet[Street]:
    return scoped(user, Street.objects.all(), perm)


def visible_communities(user: Any, perm: str = VIEW) -> models.QuerySet[Community]:
    return scoped(user, Community.objects.all(), perm)


def visible_grids(user: Any, perm: str = VIEW) -> models.QuerySet[Grid]:
    return scoped(user, Grid.objects.all(), perm)


def visible_departments(user: Any, perm: str = VIEW) -> models.QuerySet[Department]:
    return scoped(user, Department.objects.all(), perm)

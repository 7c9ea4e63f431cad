"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from governance.events import queries
from grids import access


def navigation(request: HttpRequest) -> dict:
    """What the navigation bar may offer; evaluated only when a template asks."""

    def can_manage_posts() -> bool:
        user = getattr(request, "user", None)
        return bool(user and user.is_authenticated and not access.scope_for(user).is_empty(access.MANAGE_POSTS))

    def can_see_residents() -> bool:
        user = getattr(request, "user", None)
        if not (user and user.is_authenticated):
            return False
        scope = access.scope_for(user)
        return scope.is_superuser or any(scope.ids(access.VIEW, kind) for kind in ("street", "community", "grid"))

    def todo_count() -> int:
        user = getattr(request, "user", None)
        return queries.inbox_count(user) if user and user.is_authenticated else 0

    def unread_count() -> int:
        user = getattr(request, "user", None)
        return queries.unread_count(user) if user and user.is_authenticated else 0

    return {
        "nav_can_manage_posts": SimpleLazyObject(can_manage_posts),
        "nav_can_see_residents": SimpleLazyObject(can_see_residents),
        "nav_todo_count": SimpleLazyObject(todo_count),
        "nav_unread_count": SimpleLazyObject(unread_count),
    }

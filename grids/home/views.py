"""The role home page: each user's posts, their grids and, for grid staff, who is due a visit."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from grids import access
from grids.moves import queries as move_queries
from grids.tree import queries
from grids.visits import queries as visit_queries


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    can_change = not access.scope_for(user).is_empty(access.CHANGE)
    return render(
        request,
        "grids/home/home.html",
        {
            "posts": queries.my_posts(user),
            "streets": access.visible_streets(user).order_by("code"),
            "my_grids": queries.grid_rows(user)[:12] if not access.scope_for(user).is_empty(access.VIEW) else [],
            "can_manage_posts": not access.scope_for(user).is_empty(access.MANAGE_POSTS),
            # For grid staff: who their tags' visit rules say is due (others see their grids' pages).
            "visits_due": visit_queries.visits_due(user) if access.scope_for(user).ids(access.CHANGE, "grid") else None,
            "moves_waiting": move_queries.waiting_count(user) if can_change else 0,
        },
    )

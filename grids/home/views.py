"""The role home page: each user's posts, their grids and, for grid staff, who is due a visit."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from grids import access
from grids.moves import queries as move_queries
from grids.tree import queries
from grids.visits import queries as visit_queries

# The home page lists the first grids; the rest are a link away, on the grid list.
HOME_GRIDS = 12


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    can_change = not access.scope_for(user).is_empty(access.CHANGE)
    sees_grids = not access.scope_for(user).is_empty(access.VIEW)
    return render(
        request,
        "grids/home/home.html",
        {
            "posts": queries.my_posts(user),
            "streets": access.visible_streets(user).order_by("code"),
            "my_grids": list(queries.grid_rows(user)[:HOME_GRIDS]) if sees_grids else [],
            "grid_count": access.visible_grids(user).count() if sees_grids else 0,
            "can_manage_posts": not access.scope_for(user).is_empty(access.MANAGE_POSTS),
            # For grid staff: who their tags' visit rules say is due (others see their grids' pages).
            "visits_due": visit_queries.visits_due(user) if access.scope_for(user).ids(access.CHANGE, "grid") else None,
            "moves_waiting": move_queries.waiting_count(user) if can_change else 0,
        },
    )

"""Views of the tree and posts: access check, form, one action, message, redirect."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from grids import access
from grids.shared import sections
from grids.tree import actions, queries
from grids.tree.forms import AccountForm, EndPostForm, GridForm, PostForm
from grids.tree.models import Community, Department, Grid, Post, Street

PAGE_SIZE = 50


def _page(request: HttpRequest, rows, size: int = PAGE_SIZE):
    return Paginator(rows, size).get_page(request.GET.get("page"))


@login_required
def street_detail(request: HttpRequest, pk: int) -> HttpResponse:
    street = access.get_object(request.user, Street, pk)
    communities = list(queries.community_rows(request.user, street_id=street.pk))
    return render(
        request,
        "grids/tree/street.html",
        {
            "street": street,
            "communities": communities,
            "grid_total": sum(c.grid_count for c in communities),
            "departments": list(queries.department_rows(request.user, street_id=street.pk)),
            "staff": queries.node_staff(street),
            "can_manage_posts": access.has_perm(request.user, access.MANAGE_POSTS, street),
        },
    )


@login_required
def community_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community = access.get_object(request.user, Community, pk)
    return render(
        request,
        "grids/tree/community.html",
        {
            "community": community,
            "street_visible": access.has_perm(request.user, access.VIEW, community.street),
            "grids": queries.grid_rows(request.user, community_id=community.pk),
            "staff": queries.node_staff(community),
        },
    )


@login_required
def grid_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:64]
    community_id = request.GET.get("community", "")
    communities = access.visible_communities(request.user).order_by("code")
    selected = int(community_id) if community_id.isdigit() else None
    page = _page(request, queries.grid_rows(request.user, community_id=selected, search=search))
    template = "grids/tree/_grid_rows.html" if request.htmx else "grids/tree/grid_list.html"
    return render(
        request,
        template,
        {"page": page, "search": search, "communities": communities, "selected_community": selected},
    )


@login_required
def grid_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grid = access.get_object(request.user, Grid, pk)
    return render(
        request,
        "grids/tree/grid.html",
        {
            "grid": grid,
            "community_visible": access.has_perm(request.user, access.VIEW, grid.community),
            "street_visible": access.has_perm(request.user, access.VIEW, grid.community.street),
            "staff": queries.node_staff(grid),
            "can_manage": access.has_perm(request.user, access.MANAGE, grid),
            "boundary_json": json.dumps(grid.boundary, ensure_ascii=False) if grid.boundary else "",
            # Residents, visits and events come from their features, which this one does not import.
            "sections": sections.for_page(sections.GRID, request.user, grid),
            "activity": sections.recent_activity(sections.GRID, request.user, grid),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def grid_edit(request: HttpRequest, pk: int) -> HttpResponse:
    grid = access.get_object(request.user, Grid, pk, access.MANAGE)
    initial = {
        "name": grid.name,
        "kind": grid.kind,
        "household_target": grid.household_target,
        "boundary": json.dumps(grid.boundary, ensure_ascii=False, indent=1) if grid.boundary else "",
    }
    form = GridForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_grid(by=request.user, grid_id=grid.pk, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Grid saved."))
            return redirect(grid)
    return render(request, "grids/tree/grid_edit.html", {"grid": grid, "form": form})


@login_required
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    department = access.get_object(request.user, Department, pk)
    return render(
        request,
        "grids/tree/department.html",
        {
            "department": department,
            "street_visible": access.has_perm(request.user, access.VIEW, department.street),
            "staff": queries.node_staff(department),
            "sections": sections.for_page(sections.DEPARTMENT, request.user, department),
        },
    )


def _require_post_manager(request: HttpRequest) -> None:
    if access.scope_for(request.user).is_empty(access.MANAGE_POSTS):
        raise PermissionDenied


@login_required
def post_list(request: HttpRequest) -> HttpResponse:
    _require_post_manager(request)
    state = request.GET.get("state", "active")
    if state not in {"active", "future", "ended", "all"}:
        state = "active"
    search = request.GET.get("q", "").strip()[:64]
    page = _page(request, queries.posts_for_manager(request.user, state=state, search=search))
    return render(
        request,
        "grids/tree/post_list.html",
        {"page": page, "state": state, "search": search, "today": timezone.localdate()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_create(request: HttpRequest) -> HttpResponse:
    _require_post_manager(request)
    initial = {"username": request.GET.get("username", "")[:150]}
    form = PostForm(request.POST or None, by=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = actions.create_post(
                by=request.user,
                user=data["username"],
                role=data["role"],
                node=data["node"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                note=data["note"],
            )
        except actions.PostError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Post created: %(post)s") % {"post": post})
            return redirect("grids:post_list")
    return render(request, "grids/tree/post_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def post_end(request: HttpRequest, pk: int) -> HttpResponse:
    post = access.get_object(request.user, Post, pk, access.MANAGE_POSTS)
    form = EndPostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.end_post(by=request.user, post_id=post.pk, end_date=form.cleaned_data["end_date"])
        except actions.PostError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Post ended: %(post)s") % {"post": post})
            return redirect("grids:post_list")
    return render(request, "grids/tree/post_end.html", {"post": post, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    _require_post_manager(request)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = actions.create_account(by=request.user, **form.cleaned_data)
        except actions.PostError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Account %(username)s created. Now give it a post.") % {"username": account.username}
            )
            return redirect(f"{reverse('grids:post_create')}?username={account.username}")
    return render(request, "grids/tree/account_form.html", {"form": form})

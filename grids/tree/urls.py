"""URLs of the tree pages, posts and accounts."""

from django.urls import path

from grids.tree import views

# Part of the "grids" URL namespace, which the root URLconf puts together from the features.
urlpatterns = [
    path("streets/<int:pk>/", views.street_detail, name="street"),
    path("communities/<int:pk>/", views.community_detail, name="community"),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/<int:pk>/", views.grid_detail, name="grid"),
    path("grids/<int:pk>/edit/", views.grid_edit, name="grid_edit"),
    path("departments/<int:pk>/", views.department_detail, name="department"),
    path("posts/", views.post_list, name="post_list"),
    path("posts/new/", views.post_create, name="post_create"),
    path("posts/<int:pk>/end/", views.post_end, name="post_end"),
    path("accounts/new/", views.account_create, name="account_create"),
]

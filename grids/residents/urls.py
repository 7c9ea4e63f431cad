"""URLs of residents and the personal-data access log."""

from django.urls import path

from grids.residents import views

# Part of the "grids" URL namespace, which the root URLconf puts together from the features.
urlpatterns = [
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/new/", views.resident_create, name="resident_create"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/move-out/", views.resident_move_out, name="resident_move_out"),
    path("residents/access-log/", views.access_log, name="access_log"),
]

"""URLs of move requests."""

from django.urls import path

from grids.moves import views

# Part of the "grids" URL namespace, which the root URLconf puts together from the features.
urlpatterns = [
    path("moves/", views.move_list, name="move_list"),
    path("moves/new/", views.move_create, name="move_create"),
    path("moves/<int:pk>/<slug:action>/", views.move_decide, name="move_decide"),
]

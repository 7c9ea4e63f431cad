"""URLs of household visits."""

from django.urls import path

from grids.visits import views

# Part of the "grids" URL namespace, which the root URLconf puts together from the features.
urlpatterns = [
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/photos/<int:photo_id>/<slug:size>/", views.visit_photo, name="visit_photo"),
]

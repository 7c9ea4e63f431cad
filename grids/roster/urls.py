"""URLs of roster export, import and its template."""

from django.urls import path

from grids.roster import views

# Part of the "grids" URL namespace, which the root URLconf puts together from the features.
urlpatterns = [
    path("residents/export.xlsx", views.resident_export, name="resident_export"),
    path("residents/import/", views.import_start, name="roster_import_start"),
    path("residents/import/template.xlsx", views.import_template, name="roster_template"),
    path("residents/import/<int:pk>/", views.import_detail, name="roster_import"),
    path("residents/import/<int:pk>/confirm/", views.import_confirm, name="roster_import_confirm"),
    path("residents/import/<int:pk>/sheet/", views.import_sheet, name="roster_import_sheet"),
    path("residents/import/<int:pk>/rejected.xlsx", views.import_rejected, name="roster_import_rejected"),
]

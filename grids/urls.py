from django.urls import path

from grids import resident_views, views, visit_views
from grids.roster import views as roster_views

app_name = "grids"

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
    path("visits/new/", visit_views.visit_create, name="visit_create"),
    path("visits/<int:pk>/", visit_views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/photos/<int:photo_id>/<slug:size>/", visit_views.visit_photo, name="visit_photo"),
    path("residents/", resident_views.resident_list, name="resident_list"),
    path("residents/new/", resident_views.resident_create, name="resident_create"),
    path("residents/<int:pk>/", resident_views.resident_detail, name="resident"),
    path("residents/<int:pk>/edit/", resident_views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/move-out/", resident_views.resident_move_out, name="resident_move_out"),
    path("residents/access-log/", resident_views.access_log, name="access_log"),
    path("residents/export.xlsx", roster_views.resident_export, name="resident_export"),
    path("residents/import/", roster_views.import_start, name="roster_import_start"),
    path("residents/import/template.xlsx", roster_views.import_template, name="roster_template"),
    path("residents/import/<int:pk>/", roster_views.import_detail, name="roster_import"),
    path("residents/import/<int:pk>/confirm/", roster_views.import_confirm, name="roster_import_confirm"),
    path("residents/import/<int:pk>/rejected.xlsx", roster_views.import_rejected, name="roster_import_rejected"),
]

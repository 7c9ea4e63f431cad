from django.urls import path

from governance.events import views

app_name = "events"

urlpatterns = [
    path("events/", views.event_list, name="list"),
    path("events/new/", views.event_create, name="create"),
    path("events/duplicates/", views.event_duplicates, name="duplicates"),
    path("events/residents/", views.event_resident_search, name="resident_search"),
    path("events/<int:pk>/", views.event_detail, name="detail"),
    path("events/<int:pk>/photos/<int:photo_id>/<slug:size>/", views.event_photo, name="photo"),
    path("events/<int:pk>/<slug:action>/", views.event_transition, name="transition"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]

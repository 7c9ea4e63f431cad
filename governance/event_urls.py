from django.urls import path

from governance import event_views

app_name = "events"

urlpatterns = [
    path("events/", event_views.event_list, name="list"),
    path("events/new/", event_views.event_create, name="create"),
    path("events/duplicates/", event_views.event_duplicates, name="duplicates"),
    path("events/residents/", event_views.event_resident_search, name="resident_search"),
    path("events/<int:pk>/", event_views.event_detail, name="detail"),
    path("events/<int:pk>/photos/<int:photo_id>/<slug:size>/", event_views.event_photo, name="photo"),
    path("events/<int:pk>/<slug:action>/", event_views.event_transition, name="transition"),
    path("notifications/", event_views.notification_list, name="notifications"),
    path("notifications/read/", event_views.notifications_read, name="notifications_read"),
]

from __future__ import annotations

from django.urls import path

from devices import assignment_views, sync_views, views

app_name = "devices"
urlpatterns = [
    path("devices/", views.device_list, name="list"),
    path("devices/sync/", sync_views.sync_choose, name="sync_choose"),
    path("devices/export/", views.device_export, name="export"),
    path("devices/columns/", views.device_columns, name="columns"),
    path("devices/delete/", views.device_delete, name="delete"),
    path("devices/assign/", assignment_views.device_assign, name="assign"),
    path("devices/<id:pk>/", views.device_detail, name="detail"),
    path("tokens/<id:token_id>/devices/", views.token_devices, name="token_devices"),
    path("tokens/<id:token_id>/devices/sync/", sync_views.token_sync, name="sync"),
    path("tokens/<id:token_id>/devices/sync/request/", sync_views.token_sync_request, name="sync_request"),
    path("tokens/<id:token_id>/devices/sync/status/", sync_views.token_sync_status, name="sync_status"),
    path(
        "profiles/<id:profile_id>/assignments/",
        assignment_views.profile_assignments,
        name="profile_assignments",
    ),
    path(
        "profiles/<id:profile_id>/assignments/assign/",
        assignment_views.profile_assign,
        name="profile_assign",
    ),
    path("assignments/<id:pk>/", assignment_views.assignment_detail, name="assignment"),
]

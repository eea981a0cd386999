"""Intune's Devices blades (namespace `mdm`, under devices/): the managed-device list, a
device's blade and its remote actions, bulk device actions, Monitor › Device actions."""

from __future__ import annotations

from django.urls import path

from mdm.views import managed_devices as views
from mdm.views import profile_export

app_name = "mdm"
urlpatterns = [
    path("", views.all_devices, name="all_devices"),
    path("ios/", views.ios_devices, name="ios_devices"),
    path("export/", views.export, name="export"),
    path("bulk/", views.bulk, name="bulk"),
    path("monitor/device-actions/", views.device_actions, name="device_actions"),
    path("<id:pk>/", views.device_overview, name="device"),
    path("<id:pk>/hardware/", views.device_hardware, name="device_hardware"),
    path("<id:pk>/apps/", views.device_apps, name="device_apps"),
    path("<id:pk>/configuration/", views.device_configuration, name="device_configuration"),
    path("<id:pk>/users/", views.device_users, name="device_users"),
    path("<id:pk>/action/", views.device_action, name="device_action"),
    path("enrollment-profiles/<id:pk>/export/", profile_export.profile_export, name="profile_export"),
]

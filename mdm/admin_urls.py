"""The tenant admin's blades of the mdm app (under tenant-admin/, no namespace: `directory_users`)."""

from __future__ import annotations

from django.urls import path

from mdm.views import directory_users

urlpatterns = [
    path("users/", directory_users.directory_users, name="directory_users"),
]

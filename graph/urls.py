"""The App registrations blades (under tenant-admin/) and what scripts call: Entra's token
endpoint and Microsoft Graph's enrollment program endpoints (no session, bearer tokens)."""

from __future__ import annotations

from django.urls import path, re_path

from graph import api_views, oauth_views, views

app_name = "graph"

urlpatterns = [
    path("tenant-admin/app-registrations/", views.app_list, name="apps"),
    path("tenant-admin/app-registrations/new/", views.app_new, name="app_new"),
    path("tenant-admin/app-registrations/<id:pk>/", views.app_detail, name="app_detail"),
    path("tenant-admin/app-registrations/<id:pk>/consent/", views.app_consent, name="app_consent"),
    path("tenant-admin/app-registrations/<id:pk>/secrets/", views.secret_add, name="secret_add"),
    path(
        "tenant-admin/app-registrations/<id:pk>/secrets/<id:secret_pk>/delete/",
        views.secret_delete,
        name="secret_delete",
    ),
    path(
        "tenant-admin/app-registrations/<id:pk>/certificates/", views.certificate_add, name="certificate_add"
    ),
    path(
        "tenant-admin/app-registrations/<id:pk>/certificates/<id:certificate_pk>/delete/",
        views.certificate_delete,
        name="certificate_delete",
    ),
    path("tenant-admin/app-registrations/<id:pk>/delete/", views.app_delete, name="app_delete"),
    # Entra ID (login.microsoftonline.com's paths).
    path("<str:tenant>/oauth2/v2.0/token", oauth_views.token, name="token"),
    path("<str:tenant>/discovery/v2.0/keys", oauth_views.keys, name="keys"),
    path(
        "<str:tenant>/v2.0/.well-known/openid-configuration", oauth_views.openid_configuration, name="openid"
    ),
    # Microsoft Graph (graph.microsoft.com's paths).
    re_path(r"^beta/(?P<path>.*)$", api_views.graph, name="graph"),
]

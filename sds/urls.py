from __future__ import annotations

from django.urls import include, path

from sds import sharing_views, views

app_name = "sds"
# School Data Sync's own blades, under /sds/.
roster_urlpatterns = [
    path("", views.overview, name="overview"),
    path("profiles/", views.profile_list, name="profile_list"),
    path("profiles/new/", views.profile_create, name="profile_create"),
    path("profiles/<id:pk>/", views.profile_detail, name="profile_detail"),
    path("profiles/<id:pk>/upload/", views.upload_create, name="upload_create"),
    path("uploads/<id:pk>/", views.upload_detail, name="upload_detail"),
    path("uploads/<id:pk>/status/", views.upload_status, name="upload_status"),
    path("schools/", views.school_list, name="school_list"),
    path("schools/<id:pk>/", views.school_detail, name="school_detail"),
    path("classes/", views.class_list, name="class_list"),
    path("classes/<id:pk>/", views.class_detail, name="class_detail"),
    path("people/", views.person_list, name="person_list"),
    path("people/<id:pk>/", views.person_detail, name="person_detail"),
    path("apple-school-manager/", views.apple_sync_list, name="apple_sync_list"),
    path("apple-school-manager/sync/", views.apple_sync_request, name="apple_sync_request"),
    path("apple-school-manager/<id:pk>/", views.apple_sync_detail, name="apple_sync_detail"),
    path("samples/", views.samples_page, name="samples"),
    path("samples/<slug:name>.zip", views.sample_download, name="sample_download"),
]
urlpatterns = [
    path("sds/", include(roster_urlpatterns)),
    # A token's School Data Sync blade sits under the token, beside the token blades (the same
    # paths as before it moved here); the names stay in the "sds" namespace.
    path(
        "enrollment/apple/tokens/<id:pk>/school-data-sync/",
        sharing_views.token_sharing,
        name="token_sharing",
    ),
    path(
        "enrollment/apple/tokens/<id:pk>/school-data-sync/save/",
        sharing_views.token_sharing_save,
        name="token_sharing_save",
    ),
]

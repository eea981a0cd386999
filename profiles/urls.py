from __future__ import annotations

from django.urls import path

from profiles import views

app_name = "profiles"
urlpatterns = [
    path("profiles/", views.profile_list, name="list"),
    path("profiles/rules/", views.rules_edition, name="rules"),
    path("profiles/<id:pk>/", views.profile_detail, name="detail"),
    path("profiles/<id:pk>/properties/", views.profile_edit, name="edit"),
    path("profiles/<id:pk>/json/", views.profile_json, name="json"),
    path("profiles/<id:pk>/delete/", views.profile_delete, name="delete"),
    path("tokens/<id:token_id>/profiles/", views.token_profiles, name="token_profiles"),
    path("tokens/<id:token_id>/profiles/create/", views.profile_create, name="create"),
    path("tokens/<id:token_id>/default-profile/", views.default_profile, name="default"),
]

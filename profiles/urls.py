from __future__ import annotations

from django.urls import path

from profiles import views

app_name = "profiles"
urlpatterns = [
    path("profiles/", views.profile_list, name="list"),
    path("profiles/rules/", views.rules_edition, name="rules"),
    path("profiles/<int:pk>/", views.profile_detail, name="detail"),
    path("profiles/<int:pk>/properties/", views.profile_edit, name="edit"),
    path("profiles/<int:pk>/json/", views.profile_json, name="json"),
    path("profiles/<int:pk>/delete/", views.profile_delete, name="delete"),
    path("tokens/<int:token_id>/profiles/", views.token_profiles, name="token_profiles"),
    path("tokens/<int:token_id>/profiles/create/", views.profile_create, name="create"),
    path("tokens/<int:token_id>/default-profile/", views.default_profile, name="default"),
]

from __future__ import annotations

from django.urls import path

from tokens import views

app_name = "tokens"
urlpatterns = [
    path("push-certificate/", views.push_certificate, name="push_certificate"),
    path("tokens/", views.token_list, name="list"),
]

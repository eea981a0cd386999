"""The mock Apple service's URLconf, served by its own process (ASM_SERVICE=apple)."""

from __future__ import annotations

from django.urls import path

from mock_apple import views

urlpatterns = [
    path("", views.index, name="apple_index"),
    path("health", views.health, name="apple_health"),
]

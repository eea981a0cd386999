from __future__ import annotations

from django.urls import path

from trainer import preset_views

app_name = "trainer_presets"

urlpatterns = [
    path("", preset_views.preset_list, name="list"),
    path("<slug:key>/reset/", preset_views.preset_reset, name="reset"),
    path("jobs/<str:reset_id>/", preset_views.preset_job, name="job"),
]

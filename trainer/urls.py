from __future__ import annotations

from django.urls import path

from trainer import views

app_name = "trainer"

urlpatterns = [
    path("", views.home, name="home"),
    path("clock/move/", views.clock_move, name="clock_move"),
    path("clock/reset/", views.clock_reset, name="clock_reset"),
    path("drills/<slug:key>/start/", views.drill_start, name="drill_start"),
    path("drills/<slug:key>/clear/", views.drill_clear, name="drill_clear"),
    path("tour/", views.tour_panel, name="tour"),
    path("tour/toggle/", views.tour_toggle, name="tour_toggle"),
    path("tour/step/", views.tour_step, name="tour_step"),
    # The presets helper adds its url line here.
]

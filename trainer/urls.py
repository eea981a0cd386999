from __future__ import annotations

from django.urls import path

from trainer import classroom_views, views

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
    path("classroom/", classroom_views.classroom_list, name="classrooms"),
    path("classroom/add/", classroom_views.classroom_add, name="classroom_add"),
    path("classroom/<id:pk>/", classroom_views.classroom_detail, name="classroom"),
    path("classroom/<id:pk>/sheet/", classroom_views.classroom_sheet, name="classroom_sheet"),
    path("classroom/<id:pk>/end/", classroom_views.classroom_end, name="classroom_end"),
    path("classroom/<id:pk>/reset-all/", classroom_views.classroom_reset_all, name="classroom_reset_all"),
    path("classroom/<id:pk>/trainees/<id:trainee_id>/", classroom_views.trainee_detail, name="trainee"),
    path(
        "classroom/<id:pk>/trainees/<id:trainee_id>/look/", classroom_views.trainee_look, name="trainee_look"
    ),
    path(
        "classroom/<id:pk>/trainees/<id:trainee_id>/reset/",
        classroom_views.trainee_reset,
        name="trainee_reset",
    ),
    path(
        "classroom/<id:pk>/trainees/<id:trainee_id>/clock/",
        classroom_views.trainee_clock,
        name="trainee_clock",
    ),
    path(
        "classroom/<id:pk>/trainees/<id:trainee_id>/drills/<slug:key>/<str:action>/",
        classroom_views.trainee_drill,
        name="trainee_drill",
    ),
]

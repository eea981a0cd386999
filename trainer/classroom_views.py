"""The Classroom blades: the classes, creating one, its board, the account sheet, acting on a
trainee, ending the class. Trainer role only (403 for everyone else); a class of another
tenant is a 404 like every other object."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asm_portal import clock, texts
from asm_portal import services as portal_services
from asm_portal.blades import redirect_to_blade, render_blade, render_blade_or_fragment, render_pane
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.models import Notification
from asm_portal.navigation import Crumb
from asm_portal.refusals import Refusal
from asm_portal.roles import require_trainer, trainer_required
from asm_portal.tenancy import look_start
from asm_portal.texts import Text
from trainer import apple_control, demo_clock, fault_drills
from trainer import classroom as classroom_services
from trainer.classroom_board import classroom_board
from trainer.forms import CLOCK_STEPS, ClassroomForm, TraineeResetForm
from trainer.models import Classroom, Trainee
from trainer.reset_queue import reset_job_queue
from trainer.tasks import classroom_build_enqueue


def _classroom(request: AuthenticatedHttpRequest, pk: int) -> Classroom:
    """The class, looked up before the role is checked: another tenant's class is a 404 for
    everyone, one's own tenant's is a 403 without the Trainer role."""
    classroom = get_object_or_404(Classroom.objects.all(), pk=pk)
    require_trainer(request.user)
    return classroom


def _trainee(classroom: Classroom, trainee_id: int) -> Trainee:
    return get_object_or_404(
        Trainee.objects.select_related("trainee_tenant"), classroom=classroom, pk=trainee_id
    )


def _toast(
    request: AuthenticatedHttpRequest, title: Text, *, level: str = Notification.Level.SUCCESS
) -> None:
    portal_services.notification_send(user=request.user, title=title, level=level)


def _crumbs(classroom: Classroom) -> list[Crumb]:
    return [Crumb(classroom.name, reverse("trainer:classroom", args=[classroom.pk]))]


@require_GET
@trainer_required
def classroom_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    classrooms = Classroom.objects.all()
    return render_blade(
        request, "trainer/classrooms.html", {"classrooms": classrooms}, blade="trainer:classrooms"
    )


@require_http_methods(["GET", "POST"])
@trainer_required
def classroom_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ClassroomForm(request.POST or None, initial={"language": translation.get_language()})
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            classroom = classroom_services.classroom_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                trainees=form.cleaned_data["trainees"],
                preset_key=form.cleaned_data["preset"],
                language=form.cleaned_data["language"],
            )
        except Refusal as refused:
            error = str(refused)
        else:
            classroom_build_enqueue(classroom=classroom)
            return redirect_to_blade(request, reverse("trainer:classroom", args=[classroom.pk]))
    return render_pane(
        request, "trainer/classroom_add.html", {"form": form, "error": error}, blade="trainer:classroom_add"
    )


@require_GET
def classroom_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The class board; htmx polls its `board` fragment while the tab is visible."""
    classroom = _classroom(request, pk)
    context: dict[str, Any] = {"board": classroom_board(classroom), "classroom": classroom}
    if request.htmx and request.GET.get("fragment") == "board":
        return render(request, "trainer/classroom.html#board", context)
    return render_blade_or_fragment(
        request, "trainer/classroom.html", context, blade="trainer:classroom", extra_crumbs=_crumbs(classroom)
    )


@require_GET
@never_cache
def classroom_sheet(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The account sheet to print and hand out: one card per trainee, in the class's language.
    It shows passwords: trainers only, never cached."""
    classroom = _classroom(request, pk)
    trainees = Trainee.objects.filter(classroom=classroom).order_by("number")
    with translation.override(classroom.language):
        context = {
            "classroom": classroom,
            "trainees": trainees,
            "portal_url": settings.PORTAL_BASE_URL,
            "apple_url": settings.APPLE_PUBLIC_URL,
        }
        return render(request, "trainer/classroom_sheet.html", context)


@require_http_methods(["GET", "POST"])
def classroom_end(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    error = ""
    if request.method == "POST":
        try:
            ended = classroom_services.classroom_end(actor=request.user, classroom=classroom)
        except Refusal as refused:
            error = str(refused)
        else:
            _toast(
                request,
                texts.ngettext(
                    "Class ended: %(count)d trainee's tenant and organisation deleted.",
                    "Class ended: %(count)d trainees' tenants and organisations deleted.",
                    "count",
                    count=ended.trainees,
                ),
            )
            return redirect_to_blade(request, reverse("trainer:classrooms"))
    return render_pane(
        request,
        "trainer/classroom_end.html",
        {"classroom": classroom, "error": error},
        blade="trainer:classroom_end",
        extra_crumbs=_crumbs(classroom),
    )


@require_POST
def classroom_reset_all(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    queued = 0
    for trainee in Trainee.objects.filter(classroom=classroom, state=Trainee.State.READY):
        with classroom_services.in_trainee_tenant(trainee):
            reset_job_queue(actor=request.user, preset_key=classroom.preset_key)
        queued += 1
    _toast(
        request,
        texts.ngettext(
            "Reset queued for %(count)d trainee.",
            "Reset queued for %(count)d trainees.",
            "count",
            count=queued,
        ),
    )
    return redirect_to_blade(request, reverse("trainer:classroom", args=[classroom.pk]))


# --- One trainee ---------------------------------------------------------------------------------


def _trainee_pane(
    request: AuthenticatedHttpRequest, classroom: Classroom, trainee: Trainee, error: str = ""
) -> HttpResponse:
    drills: list[Any] = []
    offset_text = ""
    if trainee.state == Trainee.State.READY:
        try:
            with classroom_services.in_trainee_tenant(trainee):
                drills = fault_drills.drills_status(apple_control.state())
                offset = clock.offset()
                offset_text = demo_clock.offset_text(offset) if offset else ""
        except Refusal as refused:
            error = error or str(refused)
    context = {
        "classroom": classroom,
        "trainee": trainee,
        "drills": drills,
        "offset_text": offset_text,
        "clock_steps": CLOCK_STEPS,
        "reset_form": TraineeResetForm(initial={"preset": classroom.preset_key}),
        "error": error,
    }
    return render_pane(
        request, "trainer/trainee.html", context, blade="trainer:trainee", extra_crumbs=_crumbs(classroom)
    )


@require_GET
def trainee_detail(request: AuthenticatedHttpRequest, pk: int, trainee_id: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    return _trainee_pane(request, classroom, _trainee(classroom, trainee_id))


@require_POST
def trainee_look(request: AuthenticatedHttpRequest, pk: int, trainee_id: int) -> HttpResponse:
    """Look at the trainee's tenant as the trainee sees it, read-only, until « Back to my tenant »."""
    classroom = _classroom(request, pk)
    trainee = _trainee(classroom, trainee_id)
    try:
        classroom_services.classroom_look_audit(actor=request.user, trainee=trainee)
    except Refusal as refused:
        return _trainee_pane(request, classroom, trainee, str(refused))
    assert trainee.trainee_tenant is not None
    look_start(request, tenant=trainee.trainee_tenant, label=str(trainee.trainee_tenant))
    return redirect_to_blade(request, reverse("home")) if request.htmx else redirect("home")


@require_POST
def trainee_reset(request: AuthenticatedHttpRequest, pk: int, trainee_id: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    trainee = _trainee(classroom, trainee_id)
    form = TraineeResetForm(request.POST)
    if not form.is_valid():
        return _trainee_pane(request, classroom, trainee, _("Choose a preset."))
    try:
        with classroom_services.in_trainee_tenant(trainee):
            reset_job_queue(actor=request.user, preset_key=form.cleaned_data["preset"])
    except Refusal as refused:
        return _trainee_pane(request, classroom, trainee, str(refused))
    _toast(
        request,
        texts.gettext(
            "Reset queued for %(trainee)s.", trainee=classroom_services.trainee_words(trainee.number)
        ),
    )
    return redirect_to_blade(request, reverse("trainer:classroom", args=[classroom.pk]))


@require_POST
def trainee_clock(request: AuthenticatedHttpRequest, pk: int, trainee_id: int) -> HttpResponse:
    """Move the trainee's clock (their tenant's and their organisation's) or put it back."""
    classroom = _classroom(request, pk)
    trainee = _trainee(classroom, trainee_id)
    step = request.POST.get("step", "")
    try:
        with classroom_services.in_trainee_tenant(trainee):
            if step == "reset":
                demo_clock.demo_clock_reset(actor=request.user)
            elif step in CLOCK_STEPS:
                demo_clock.demo_clock_move(actor=request.user, seconds=CLOCK_STEPS[step])
            else:
                return _trainee_pane(request, classroom, trainee, _("Choose how far to move the clock."))
    except Refusal as refused:
        return _trainee_pane(request, classroom, trainee, str(refused))
    return _trainee_pane(request, classroom, trainee)


@require_POST
def trainee_drill(
    request: AuthenticatedHttpRequest, pk: int, trainee_id: int, key: str, action: str
) -> HttpResponse:
    classroom = _classroom(request, pk)
    trainee = _trainee(classroom, trainee_id)
    try:
        with classroom_services.in_trainee_tenant(trainee):
            if action == "start":
                fault_drills.drill_start(actor=request.user, key=key)
            else:
                fault_drills.drill_clear(actor=request.user, key=key)
    except Refusal as refused:
        return _trainee_pane(request, classroom, trainee, str(refused))
    return _trainee_pane(request, classroom, trainee)

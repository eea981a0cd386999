"""The Trainer blade (demo clock, fault drills, presets) and the guided tour panel.

Every view needs the Trainer role: administrators without it get 403, like read-only operators.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from asm_portal import services as portal_services
from asm_portal import texts
from asm_portal.blades import render_blade
from asm_portal.http import AuthenticatedHttpRequest, safe_next
from asm_portal.models import Notification
from asm_portal.refusals import Refusal
from asm_portal.roles import trainer_required
from asm_portal.texts import Text
from trainer import apple_control, demo_clock, fault_drills, presets
from trainer.forms import ClockMoveForm
from trainer.tour import SESSION_TOUR_OPEN, SESSION_TOUR_STEP, STEP_KEYS


def _home_context(error: str = "", form: ClockMoveForm | None = None) -> dict[str, Any]:
    try:
        apple_state: dict[str, Any] | None = apple_control.state()
        apple_error = ""
    except apple_control.AppleControlError as problem:
        apple_state, apple_error = None, str(problem)
    return {
        "clock": demo_clock.demo_clock_summary(apple_state),
        "clock_effects": demo_clock.demo_clock_effects(),
        "clock_steps": [
            ("15m", _("+15 minutes")),
            ("1h", _("+1 hour")),
            ("1d", _("+1 day")),
            ("8d", _("+8 days")),
            ("30d", _("+30 days")),
        ],
        "clock_form": form or ClockMoveForm(),
        "drills": fault_drills.drills_status(apple_state) if apple_state else [],
        "apple_error": apple_error,
        "error": error,
        "presets": presets.presets(),
    }


def _after_action(
    request: AuthenticatedHttpRequest, error: str = "", form: ClockMoveForm | None = None
) -> HttpResponse:
    """The blade again (htmx: the journey, the clock banner and the toasts), or a redirect."""
    if request.htmx or error:
        return render_blade(request, "trainer/home.html", _home_context(error, form), blade="trainer:home")
    return redirect("trainer:home")


def _toast(request: AuthenticatedHttpRequest, title: Text, body: Text | str = "") -> None:
    portal_services.notification_send(
        user=request.user, title=title, body=body, level=Notification.Level.SUCCESS
    )


@require_GET
@trainer_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_blade(request, "trainer/home.html", _home_context(), blade="trainer:home")


@require_POST
@trainer_required
def clock_move(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ClockMoveForm(request.POST)
    if not form.is_valid():
        return _after_action(request, _("Choose how far to move the clock: whole days and hours."), form)
    try:
        offset = demo_clock.demo_clock_move(actor=request.user, seconds=form.seconds())
    except Refusal as problem:
        return _after_action(request, str(problem), form)
    _toast(
        request,
        texts.gettext("Demo clock moved"),
        texts.gettext("The time is moved forward by %(offset)s.", offset=demo_clock.offset_words(offset)),
    )
    return _after_action(request)


@require_POST
@trainer_required
def clock_reset(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        demo_clock.demo_clock_reset(actor=request.user)
    except Refusal as problem:
        return _after_action(request, str(problem))
    _toast(
        request,
        texts.gettext("Demo clock reset"),
        texts.gettext("The portal and Apple are back to real time."),
    )
    return _after_action(request)


def _drill_action(request: AuthenticatedHttpRequest, key: str, *, start: bool) -> HttpResponse:
    change = fault_drills.drill_start if start else fault_drills.drill_clear
    try:
        change(actor=request.user, key=key)
    except Refusal as problem:
        return _after_action(request, str(problem))
    title = texts.gettext(fault_drills.DRILLS_BY_KEY[key].title_id)
    if start:
        _toast(request, texts.gettext("Fault drill started: %(drill)s", drill=title))
    else:
        _toast(
            request,
            texts.gettext("Fault drill cleared: %(drill)s", drill=title),
            fault_drills.drill_clear_advice(),
        )
    return _after_action(request)


@require_POST
@trainer_required
def drill_start(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    return _drill_action(request, key, start=True)


@require_POST
@trainer_required
def drill_clear(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    return _drill_action(request, key, start=False)


# --- The guided tour panel ---------------------------------------------------------------------


def _back(request: AuthenticatedHttpRequest) -> HttpResponse:
    target = safe_next(request, request.POST.get("next"), fallback=reverse(settings.LOGIN_REDIRECT_URL))
    return HttpResponseRedirect(target)


@require_POST
@trainer_required
def tour_toggle(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open or close the panel: htmx swaps the panel and the top-bar button, others go back."""
    request.session[SESSION_TOUR_OPEN] = not request.session.get(SESSION_TOUR_OPEN, False)
    if not request.htmx:
        return _back(request)
    response = render(request, "trainer/_tour_panel.html")
    response.content += render_to_string("trainer/_tour_toggle.html", {"oob": True}, request).encode()
    return response


@require_GET
@trainer_required
def tour_panel(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The steps alone: the open panel polls this, so check marks follow the real state."""
    return render(request, "trainer/_tour_panel.html#steps")


@require_POST
@trainer_required
def tour_step(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Remember the step the trainer opened from the panel (it stays highlighted)."""
    step = request.POST.get("step", "")
    if step in STEP_KEYS:
        request.session[SESSION_TOUR_STEP] = step
    if not request.htmx:
        return _back(request)
    return render(request, "trainer/_tour_panel.html#steps")

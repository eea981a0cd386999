"""Trainer mode: the scenario presets table, the reset confirmation (context pane) and the
progress of resets run by a worker. Trainers only: everyone else gets 403."""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from asm_portal.blades import render_blade, render_fragment, render_pane
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.roles import require_trainer, trainer_required
from trainer import presets
from trainer.reset_jobs import reset_job_get
from trainer.reset_queue import reset_job_queue
from trainer.scenario_reset import ResetFailed, scenario_reset


def _preset_for(key: str) -> presets.Preset:
    try:
        return presets.preset_get(key)
    except presets.PresetNotFound:
        raise Http404 from None


@require_GET
@trainer_required
def preset_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_blade(
        request, "trainer/presets.html", {"presets": presets.presets()}, blade="trainer_presets:list"
    )


@require_http_methods(["GET", "POST"])
@trainer_required
def preset_reset(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """GET: the confirmation in the context pane. POST: reset, in the request for small presets
    (the page then reloads and shows the toast), through a worker for large ones (a progress
    panel polls the job)."""
    preset = _preset_for(key)
    error = ""
    if request.method == "POST":
        if preset.background:
            reset_id = reset_job_queue(actor=request.user, preset_key=preset.key)
            context = {"preset": preset, "reset_id": reset_id, "job": reset_job_get(reset_id)}
            return render_fragment(request, "trainer/preset_confirm.html#job", context)
        try:
            scenario_reset(actor=request.user, preset_key=preset.key)
        except ResetFailed as failure:
            error = str(failure)
        else:
            if request.htmx:
                return HttpResponseClientRefresh()
            return HttpResponseRedirect(reverse("trainer_presets:list"))
    context = {"preset": preset, "error": error}
    return render_pane(request, "trainer/preset_confirm.html", context, blade="trainer_presets:reset")


@require_GET
def preset_job(request: AuthenticatedHttpRequest, reset_id: str) -> HttpResponse:
    """The progress panel of a reset run by a worker; when it is done the page reloads (toast)."""
    job = reset_job_get(reset_id)
    if job is None or job.get("user_id") != request.user.pk:
        raise Http404  # another's job, of this tenant or another, is a 404 for everyone
    require_trainer(request.user)
    if job["state"] == "succeeded" and request.htmx:
        return HttpResponseClientRefresh()
    preset = presets.preset_get(job["preset"])
    context = {"preset": preset, "reset_id": reset_id, "job": job}
    return render_fragment(request, "trainer/preset_confirm.html#job", context)

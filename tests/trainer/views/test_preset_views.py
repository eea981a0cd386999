"""The presets table, the confirmation pane, the reset (inline and through a worker job)."""

from __future__ import annotations

import pytest

from asm_portal.models import Notification
from tests.conftest import HTMX
from tests.mock_apple.conftest import live
from tokens.models import EnrollmentProgramToken
from trainer import presets, reset_jobs, scenario_reset


@pytest.mark.django_db
def test_list_shows_every_preset(trainer_client) -> None:
    response = trainer_client.get("/trainer/presets/")

    assert response.status_code == 200
    body = response.content.decode()
    for preset in presets.presets():
        assert preset.name in body
    assert "Reset to this preset" in body
    assert "50,000" in body  # the large district's devices, grouped as the reader writes numbers


@pytest.mark.django_db
def test_confirmation_in_the_pane(trainer_client) -> None:
    response = trainer_client.get("/trainer/presets/token-ready/reset/", **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "This action will permanently delete" in body
    assert "Token ready" in body
    assert "<html" not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/trainer/presets/", "get"),
        ("/trainer/presets/token-ready/reset/", "get"),
        ("/trainer/presets/token-ready/reset/", "post"),
    ],
)
def test_not_for_administrators_or_operators(admin_client, operator_client, path, method) -> None:
    for client in (admin_client, operator_client):
        assert getattr(client, method)(path).status_code == 403
    assert not EnrollmentProgramToken.objects.exists()


@pytest.mark.django_db
def test_a_job_is_its_trainers_only(admin_user, admin_client, operator_client) -> None:
    """Someone else's job is a 404 whatever the role (as another tenant's object is); a job of
    one's own is still refused (403) without the Trainer role."""
    reset_jobs.reset_job_update("abc", user_id=-1, preset="token-ready", state="running", label="x")
    reset_jobs.reset_job_update("mine", user_id=admin_user.pk, preset="token-ready", state="running")
    for client in (admin_client, operator_client):
        assert client.get("/trainer/presets/jobs/abc/").status_code == 404
    assert admin_client.get("/trainer/presets/jobs/mine/").status_code == 403


@pytest.mark.django_db
def test_unknown_preset_is_404(trainer_client) -> None:
    assert trainer_client.get("/trainer/presets/nope/reset/").status_code == 404


@live
def test_reset_inline_refreshes_the_page_with_a_toast(apple, trainer_client, trainer_user) -> None:
    response = trainer_client.post("/trainer/presets/token-ready/reset/", **HTMX)

    assert response.status_code == 200
    assert response.headers["HX-Refresh"] == "true"
    assert EnrollmentProgramToken.objects.get().token_name == "Contoso Intune"
    toast = Notification.objects.get(user=trainer_user)
    assert toast.title.startswith("Tenant reset to “Token ready” — 40 devices, 1 token, 0 profiles in ")


@live
def test_apple_down_says_why_in_the_pane(apple, trainer_client, settings) -> None:
    settings.APPLE_BASE_URL = "http://127.0.0.1:9"

    response = trainer_client.post("/trainer/presets/token-ready/reset/", **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "cannot be reached" in body and "nothing was changed" in body
    assert not EnrollmentProgramToken.objects.exists()


@live
def test_large_preset_runs_as_a_job(apple, trainer_client, monkeypatch) -> None:
    # Scaled down so that the (eager) task stays fast; the job and its panel are the real ones.
    original = presets.preset_get

    def small(key: str) -> presets.Preset:
        preset = original(key)
        return preset.scaled(0.002) if key == "large-district" else preset

    monkeypatch.setattr(scenario_reset, "preset_get", small)

    response = trainer_client.post("/trainer/presets/large-district/reset/", **HTMX)

    body = response.content.decode()
    assert 'id="preset-job"' in body
    reset_id = body.split('data-reset-id="')[1].split('"')[0]
    job = reset_jobs.reset_job_get(reset_id)
    assert job is not None and job["state"] == "succeeded", job
    assert "100 devices" in job["message"]
    # The poller's next request sees it done: the page reloads (and shows the toast).
    done = trainer_client.get(f"/trainer/presets/jobs/{reset_id}/", **HTMX)
    assert done.headers["HX-Refresh"] == "true"


@pytest.mark.django_db
def test_job_of_someone_else_is_404(trainer_client) -> None:
    reset_jobs.reset_job_update("other", user_id=-1, preset="token-ready", state="running", label="x")
    assert trainer_client.get("/trainer/presets/jobs/other/", **HTMX).status_code == 404


@pytest.mark.django_db
def test_job_failure_is_shown(trainer_client, trainer_user) -> None:
    reset_jobs.reset_job_update(
        "failed1", user_id=trainer_user.pk, preset="large-district", state="failed", message="Apple said no."
    )
    response = trainer_client.get("/trainer/presets/jobs/failed1/", **HTMX)
    body = response.content.decode()
    assert "Apple said no." in body
    assert "hx-trigger" not in body.split('id="preset-job"')[1].split(">")[0]

"""A preset reset run by a real worker process, followed by the page as the web process polls it.

On the embedded defaults (SQLite, the server-less broker, no REDIS_URL) the worker and the web
process share nothing but the files under VAR_DIR: the job's progress must reach the page
through them (a per-process cache left the panel on "Waiting for a worker…" for good).
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import HTMX, worker_log
from tests.mock_apple.conftest import live
from trainer import reset_jobs
from trainer.reset_queue import reset_job_queue


@pytest.mark.integration
@pytest.mark.smoke
@live
def test_a_reset_run_by_a_worker_process_reaches_the_page(
    apple, celery_worker, trainer_user, trainer_client
) -> None:
    # `apple` comes first: the worker is started with the portal pointed at the served mock.
    reset_id = reset_job_queue(actor=trainer_user, preset_key="token-ready")

    url = f"/trainer/presets/jobs/{reset_id}/"
    labels = []
    deadline = time.monotonic() + 60
    response = trainer_client.get(url, **HTMX)
    while "HX-Refresh" not in response.headers and time.monotonic() < deadline:
        assert response.status_code == 200
        label = (reset_jobs.reset_job_get(reset_id) or {}).get("label")
        if label not in labels:
            labels.append(label)
        time.sleep(0.5)
        response = trainer_client.get(url, **HTMX)

    job = reset_jobs.reset_job_get(reset_id)
    assert response.headers.get("HX-Refresh") == "true", (
        f"the page never saw the reset finish (job: {job}, labels seen: {labels}):\n"
        f"{worker_log(celery_worker)}"
    )
    assert job is not None and job["state"] == "succeeded" and "Tenant reset to" in job["message"]


@pytest.mark.django_db
def test_a_refused_reset_ends_the_job_with_its_reason(trainer_user, settings) -> None:
    settings.APPLE_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    reset_jobs.reset_job_update(
        "r1", user_id=trainer_user.pk, preset="token-ready", state="queued", language="fr"
    )

    assert (
        reset_jobs.reset_job_run(reset_id="r1", user_id=trainer_user.pk, preset_key="token-ready") == "failed"
    )

    job = reset_jobs.reset_job_get("r1")
    assert job is not None and job["state"] == "failed"
    # In the language of the trainer who queued it, not the worker's.
    assert "injoignable à l’adresse http://127.0.0.1:9" in job["message"], job

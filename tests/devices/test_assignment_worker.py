"""A profile assignment in a real Celery worker: Apple throttles, the task comes back after
Apple's retry_after_seconds (a countdown on the same queue), and the assignment completes."""

from __future__ import annotations

import pytest
from django.db import transaction

from devices.assignment import profile_assign
from devices.models import Device, ProfileAssignment, SyncRun
from devices.sync_requests import sync_queue
from mock_apple.models import Device as AppleDevice
from tests.devices.conftest import apple_token_create, control, finished, live, profile_create, wait_for


def assignment_state(pk: int) -> ProfileAssignment:
    return ProfileAssignment.objects.get(pk=pk)


@pytest.mark.integration
@live
class AssignmentWorkerTests:
    def test_throttled_serials_are_assigned_after_apple_s_delay(
        self, worker_env, workers, admin_user
    ) -> None:
        apple = apple_token_create(worker_env)
        worker = workers()
        with transaction.atomic():
            run = sync_queue(token=apple.token, trigger=SyncRun.Trigger.TOKEN_UPLOAD)
        assert run is not None
        wait_for(lambda: finished(run.pk), message=worker.output)
        serials = sorted(Device.objects.values_list("serial_number", flat=True))[:4]
        control(worker_env, "PATCH", "config", {"throttle_serials": serials[:2], "retry_after_seconds": 2})
        profile = profile_create(apple.token)
        with transaction.atomic():
            assignment = profile_assign(actor=admin_user, profile=profile, serials=serials)
        waiting = wait_for(
            lambda: assignment_state(assignment.pk).state == ProfileAssignment.State.WAITING,
            message=worker.output,
        )
        assert waiting
        assert assignment_state(assignment.pk).throttled == 2
        control(worker_env, "PATCH", "config", {"throttle_serials": []})  # Apple lets them through now
        done = wait_for(
            lambda: (a := assignment_state(assignment.pk)).state == ProfileAssignment.State.SUCCEEDED and a,
            message=worker.output,
        )
        assert done.succeeded == 4 and done.rounds == 2
        profile.refresh_from_db()
        assert set(
            AppleDevice.objects.filter(serial_number__in=serials).values_list("profile_uuid", flat=True)
        ) == {profile.apple_profile_uuid}

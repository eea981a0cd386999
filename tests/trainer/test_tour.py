"""tour_steps(user): the article's six steps, each check computed from the tenant's real state."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from asm_portal import clock
from devices.models import Device, EnrollmentState, SyncRun
from tests.trainer.conftest import devices_create, profile_create, token_create
from tokens import services as token_services
from trainer import tour


def checks(user) -> dict[str, bool]:
    return {check.key: check.done for step in tour.tour_steps(user) for check in step.checks}


def steps_done(user) -> dict[str, bool]:
    return {step.key: step.done for step in tour.tour_steps(user)}


@pytest.mark.django_db
class TourStepsTests:
    def test_it_lists_the_six_steps_with_nothing_done_on_an_empty_tenant(self, trainer_user) -> None:
        steps = tour.tour_steps(trainer_user)
        assert [step.number for step in steps] == [1, 2, 3, 4, 5, 6]
        assert [step.key for step in steps] == ["token", "profile", "sds", "sync", "assign", "distribute"]
        assert not any(steps_done(trainer_user).values())
        assert steps[0].url == "/enrollment/apple/tokens/add/"
        assert [step.optional for step in steps] == [False, False, True, False, False, False]

    def test_it_checks_the_public_key_once_one_is_downloaded(self, trainer_user) -> None:
        token_services.token_public_key_create(actor=trainer_user, data_sharing_consent=True)
        assert checks(trainer_user)["public_key"] is True
        assert checks(trainer_user)["token"] is False
        assert steps_done(trainer_user)["token"] is False

    def test_a_token_checks_step_one_and_points_the_links_at_it(self, trainer_user) -> None:
        token = token_create()
        steps = {step.key: step for step in tour.tour_steps(trainer_user)}
        # The upload used the key up: the token proves it was downloaded.
        assert steps["token"].done
        assert steps["sds"].url == f"/enrollment/apple/tokens/{token.pk}/school-data-sync/"
        assert steps["sync"].url == f"/enrollment/apple/tokens/{token.pk}/devices/sync/"

    def test_it_checks_the_profile(self, trainer_user) -> None:
        profile_create(token_create())
        assert checks(trainer_user)["profile"] is True

    def test_it_checks_school_data_sync_when_the_token_is_shared(self, trainer_user) -> None:
        token = token_create()
        assert checks(trainer_user)["sds"] is False
        token.shared_with_sds = True
        token.save()
        assert checks(trainer_user)["sds"] is True

    def test_only_a_successful_sync_checks_the_sync(self, trainer_user) -> None:
        token = token_create()
        now = clock.now()
        run = SyncRun.objects.create(
            token=token,
            kind="full",
            trigger="manual",
            state=SyncRun.State.FAILED,
            requested_at=now,
            deadline_at=now,
        )
        assert checks(trainer_user)["sync"] is False
        run.state = SyncRun.State.SUCCEEDED
        run.save()
        assert checks(trainer_user)["sync"] is True

    def test_it_checks_a_device_with_an_assigned_profile(self, trainer_user) -> None:
        token = token_create()
        profile = profile_create(token)
        devices_create(token, 3)
        assert checks(trainer_user)["assigned"] is False
        Device.objects.filter(serial_number="DMPQ000001").update(assigned_profile=profile)
        assert checks(trainer_user)["assigned"] is True

    def test_a_device_removed_by_apple_does_not_count(self, trainer_user) -> None:
        token = token_create()
        devices_create(token, 1, enrollment_state=EnrollmentState.ENROLLED, removed_by_apple=True)
        assert checks(trainer_user)["enrolled"] is False

    def test_it_checks_an_enrolled_device(self, trainer_user) -> None:
        token = token_create()
        devices_create(token, 2)
        assert checks(trainer_user)["enrolled"] is False
        Device.objects.filter(serial_number="DMPQ000000").update(enrollment_state=EnrollmentState.ENROLLED)
        assert checks(trainer_user)["enrolled"] is True
        assert steps_done(trainer_user)["distribute"] is True

    def test_the_current_step_is_the_chosen_one_or_the_first_not_done(self, trainer_user) -> None:
        token_create()
        steps = tour.tour_steps(trainer_user)
        assert tour.tour_current_step(steps, None) == "profile"
        assert tour.tour_current_step(steps, "sync") == "sync"
        assert tour.tour_current_step(steps, "nonsense") == "profile"

    def test_administrators_without_the_trainer_role_are_refused(self, admin_user, operator_user) -> None:
        for user in (admin_user, operator_user):
            with pytest.raises(PermissionDenied):
                tour.tour_steps(user)

"""Fault drills start and clear the mock Apple's faults over HTTP; the portal's own DEP client
sees each one, and sees Apple answer again once the drill is cleared."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from asm_portal.models import AuditEvent
from tests.trainer.conftest import live, token_create
from tokens import apple_retry
from tokens.apple_retry import apple_call
from tokens.dep_client import DepError
from tokens.models import EnrollmentProgramToken
from tokens.services import token_dep_client
from trainer import apple_control, fault_drills
from trainer.refusals import TrainerError


def active(key: str) -> bool:
    return {status.drill.key: status.active for status in fault_drills.drills_status(apple_control.state())}[
        key
    ]


def apple_answer(token: EnrollmentProgramToken) -> tuple[int | None, str, int | None]:
    """(status, code, retry_after) of the portal's call to Apple's /account, (200, "", None) when it works."""
    token = EnrollmentProgramToken.objects.get(pk=token.pk)
    try:
        token_dep_client(token=token).account()
    except DepError as error:
        return error.status, error.code, error.retry_after
    return 200, "", None


@pytest.mark.integration
@live
@pytest.mark.usefixtures("served_apple")
class FaultDrillTests:
    @pytest.mark.parametrize(
        ("key", "status", "code"),
        [
            ("terms", 403, "T_C_NOT_SIGNED"),
            ("revoked", 401, "token_rejected"),
            ("apple_down", 503, "SERVICE_UNAVAILABLE"),
            ("throttling", 429, "TOO_MANY_REQUESTS"),
            ("access_denied", 403, "ACCESS_DENIED"),
        ],
    )
    def test_each_drill_starts_shows_and_clears(self, trainer_user, apple_token, key, status, code) -> None:
        token = apple_token.token
        assert apple_answer(token)[0] == 200
        assert not active(key)

        fault_drills.drill_start(actor=trainer_user, key=key)
        assert active(key)
        assert apple_answer(token)[:2] == (status, code)
        others = [
            status.drill.key for status in fault_drills.drills_status(apple_control.state()) if status.active
        ]
        assert others == [key]

        fault_drills.drill_clear(actor=trainer_user, key=key)
        assert not active(key)
        assert apple_answer(token)[0] == 200
        actions = list(
            AuditEvent.objects.filter(category="Trainer").order_by("id").values_list("action", "details")
        )
        assert actions == [("Start fault drill", {"drill": key}), ("Clear fault drill", {"drill": key})]

    def test_throttling_says_when_to_retry(self, trainer_user, apple_token) -> None:
        fault_drills.drill_start(actor=trainer_user, key="throttling")
        assert apple_answer(apple_token.token)[2] == fault_drills.THROTTLE_RETRY_AFTER_SECONDS

    def test_starting_twice_queues_one_fault_and_clearing_one_drill_keeps_the_other(
        self, trainer_user, apple_token
    ) -> None:
        fault_drills.drill_start(actor=trainer_user, key="apple_down")
        fault_drills.drill_start(actor=trainer_user, key="apple_down")
        fault_drills.drill_start(actor=trainer_user, key="throttling")
        assert len(apple_control.state()["faults"]) == 2
        fault_drills.drill_clear(actor=trainer_user, key="apple_down")
        assert not active("apple_down")
        assert active("throttling")

    def test_a_revoked_token_gets_a_new_server_token_on_clear(self, trainer_user, apple_token) -> None:
        before = EnrollmentProgramToken.objects.get(pk=apple_token.token.pk).consumer_key
        fault_drills.drill_start(actor=trainer_user, key="revoked")
        fault_drills.drill_clear(actor=trainer_user, key="revoked")
        token = EnrollmentProgramToken.objects.get(pk=apple_token.token.pk)
        assert token.consumer_key != before
        assert token.last_sync_error_code == ""

    def test_token_drills_need_a_token_apple_knows(self, trainer_user, settings, dep_server) -> None:
        settings.APPLE_BASE_URL = dep_server
        token_create()  # a token whose MDM server Apple does not have
        for key in ("revoked", "access_denied"):
            with pytest.raises(TrainerError, match="Upload an enrollment program token first"):
                fault_drills.drill_start(actor=trainer_user, key=key)

    def test_unknown_drills_and_other_roles_are_refused(
        self, trainer_user, admin_user, operator_user
    ) -> None:
        with pytest.raises(TrainerError):
            fault_drills.drill_start(actor=trainer_user, key="meteor")
        for user in (admin_user, operator_user):
            with pytest.raises(PermissionDenied):
                fault_drills.drill_start(actor=user, key="apple_down")
            with pytest.raises(PermissionDenied):
                fault_drills.drill_clear(actor=user, key="apple_down")

    def test_when_apple_is_unreachable_the_failure_is_audited(self, trainer_user, settings) -> None:
        settings.APPLE_BASE_URL = "http://127.0.0.1:9"
        with pytest.raises(apple_control.AppleControlError):
            fault_drills.drill_start(actor=trainer_user, key="apple_down")
        event = AuditEvent.objects.get(category="Trainer")
        assert (event.action, event.result, event.details["drill"]) == (
            "Start fault drill",
            "failure",
            "apple_down",
        )


@pytest.mark.integration
@live
@pytest.mark.usefixtures("served_apple")
class AppleDownRetryTests:
    """The "Apple down" drill answers every try until it is cleared: the portal fails at once
    instead of spending its whole back-off "in progress"; a real (short) outage is retried."""

    def attempts(self, token: EnrollmentProgramToken, monkeypatch) -> tuple[int, list[float], bool]:
        calls: list[int] = []
        paused: list[float] = []
        monkeypatch.setattr(apple_retry, "pause", paused.append)
        client = token_dep_client(token=EnrollmentProgramToken.objects.get(pk=token.pk))

        def call() -> object:
            calls.append(1)
            return client.account()

        try:
            apple_call(call)
        except DepError:
            return len(calls), paused, False
        return len(calls), paused, True

    def test_the_drill_fails_at_once(self, trainer_user, apple_token, monkeypatch, settings) -> None:
        settings.SYNC_RETRY_ATTEMPTS = 5
        fault_drills.drill_start(actor=trainer_user, key="apple_down")
        assert self.attempts(apple_token.token, monkeypatch) == (1, [], False)

    def test_a_short_outage_is_still_retried(self, trainer_user, apple_token, monkeypatch, settings) -> None:
        settings.SYNC_RETRY_ATTEMPTS = 5
        apple_control.fault_add(endpoint="*", status=503, count=2)
        count, paused, succeeded = self.attempts(apple_token.token, monkeypatch)
        assert (count, len(paused), succeeded) == (3, 2, True)

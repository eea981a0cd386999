"""The one retry policy for Apple's DEP API: which answers are tried again, how long it waits."""

from __future__ import annotations

import pytest

from tokens import apple_retry
from tokens.apple_retry import Reschedule, apple_call, backoff_delay, error_code, transient
from tokens.dep_client import DepError


def failing(*errors: DepError, answer: str = "ok"):
    remaining = list(errors)

    def call() -> str:
        if remaining:
            raise remaining.pop(0)
        return answer

    return call


class ApplePolicyTests:
    @pytest.mark.parametrize(
        ("error", "retried"),
        [
            (DepError("throttled", status=429), True),
            (DepError("down", status=503), True),
            (DepError("unreachable"), True),
            (DepError("garbled", status=200, code="INVALID_RESPONSE"), True),
            (DepError("terms", status=403, code="T_C_NOT_SIGNED"), False),
            (DepError("bad", status=400, code="INVALID_CURSOR"), False),
        ],
    )
    def test_only_transient_answers_are_tried_again(self, error, retried) -> None:
        assert transient(error) is retried

    def test_the_error_code_is_apples_else_the_status_else_unreachable(self) -> None:
        assert error_code(DepError("x", status=403, code="T_C_NOT_SIGNED")) == "T_C_NOT_SIGNED"
        assert error_code(DepError("x", status=503)) == "503"
        assert error_code(DepError("x")) == "UNREACHABLE"
        assert error_code(DepError("x", status=503, code="SERVICE_UNAVAILABLE")) == "503 SERVICE_UNAVAILABLE"

    def test_the_back_off_doubles_unless_apple_asks_for_more(self, settings) -> None:
        settings.SYNC_RETRY_BACKOFF_SECONDS = 2
        assert [backoff_delay(DepError("x", status=503), n) for n in (1, 2, 3)] == [2, 4, 8]
        assert backoff_delay(DepError("x", status=429, retry_after=20), 1) == 20


class AppleCallTests:
    def test_a_transient_failure_is_tried_again_after_a_pause(self, settings, monkeypatch) -> None:
        settings.SYNC_RETRY_BACKOFF_SECONDS = 2
        paused: list[float] = []
        monkeypatch.setattr(apple_retry, "pause", paused.append)
        call = failing(DepError("down", status=503), DepError("throttled", status=429))
        assert apple_call(call) == "ok"
        assert paused == [2, 4]

    def test_the_tries_are_bounded(self, settings, monkeypatch) -> None:
        settings.SYNC_RETRY_ATTEMPTS = 3
        monkeypatch.setattr(apple_retry, "pause", lambda seconds: None)
        with pytest.raises(DepError):
            apple_call(failing(*(DepError("down", status=503) for _ in range(5))))

    def test_a_final_answer_is_not_tried_again(self, monkeypatch) -> None:
        monkeypatch.setattr(apple_retry, "pause", lambda seconds: pytest.fail("paused"))
        with pytest.raises(DepError):
            apple_call(failing(DepError("terms", status=403, code="T_C_NOT_SIGNED")))

    def test_a_long_wait_gives_the_worker_back(self, monkeypatch) -> None:
        monkeypatch.setattr(apple_retry, "pause", lambda seconds: pytest.fail("paused"))
        with pytest.raises(Reschedule) as raised:
            apple_call(failing(DepError("throttled", status=429, retry_after=120)))
        assert raised.value.delay == 120


class PointlessRetryTests:
    """A failure a higher app recognises as a drill fails at once; anything else keeps the retries."""

    def test_a_recognised_failure_is_not_tried_again(self, settings, monkeypatch) -> None:
        settings.SYNC_RETRY_ATTEMPTS, settings.SYNC_RETRY_BACKOFF_SECONDS = 5, 2
        paused: list[float] = []
        monkeypatch.setattr(apple_retry, "pause", paused.append)
        monkeypatch.setattr(apple_retry, "_pointless_retry_checks", [lambda error: error.status == 503])
        with pytest.raises(DepError):
            apple_call(failing(DepError("down", status=503)))
        assert paused == []
        assert apple_call(failing(DepError("throttled", status=429))) == "ok" and paused == [2]

    def test_a_check_that_cannot_tell_keeps_the_retries(self, settings, monkeypatch) -> None:
        settings.SYNC_RETRY_ATTEMPTS, settings.SYNC_RETRY_BACKOFF_SECONDS = 5, 2
        paused: list[float] = []
        monkeypatch.setattr(apple_retry, "pause", paused.append)

        def broken(error: DepError) -> bool:
            raise OSError("the control API is not there")

        monkeypatch.setattr(apple_retry, "_pointless_retry_checks", [broken])
        assert apple_call(failing(DepError("down", status=503))) == "ok" and paused == [2]

    def test_a_check_is_registered_once(self, monkeypatch) -> None:
        monkeypatch.setattr(apple_retry, "_pointless_retry_checks", [])

        def check(error: DepError) -> bool:
            return False

        apple_retry.register_pointless_retry_check(check)
        apple_retry.register_pointless_retry_check(check)
        assert apple_retry._pointless_retry_checks == [check]

"""Calling Apple with the project's one retry policy: 429, 5xx, unreachable or garbled answers
are tried again with back-off (SYNC_RETRY_ATTEMPTS tries, SYNC_RETRY_BACKOFF_SECONDS doubled, or
Apple's Retry-After when it says more); anything else is final.

Every caller of Apple's DEP API uses it: the device sync and profile assignments (devices) and
the roster push to Apple School Manager (sds).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings

from asm_portal import clock
from tokens.apple_errors import APPLE_ERROR_MESSAGES
from tokens.dep_client import DepError

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Longer waits than this give the worker back and come back as a new delivery of the task.
LONGEST_SLEEP_SECONDS = 30


class Reschedule(Exception):
    """Apple asks to wait longer than a worker should sleep: run the task again later."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay)
        self.delay = delay


def pause(seconds: float) -> None:
    """The wait between two tries (tests replace it, so that they do not wait)."""
    time.sleep(seconds)


def transient(error: DepError) -> bool:
    """429, 5xx, unreachable or a garbled answer: worth another try. Everything else is final."""
    return (
        error.status is None or error.status == 429 or error.status >= 500 or error.code == "INVALID_RESPONSE"
    )


def error_code(error: DepError) -> str:
    """The code a job or a token keeps: Apple's own for the refusals the administrator acts on
    (T_C_NOT_SIGNED…), else the HTTP status with Apple's code ("503 SERVICE_UNAVAILABLE"), so
    the message can say what Apple answered."""
    if not error.code:
        return str(error.status) if error.status else "UNREACHABLE"
    if error.status is None or error.code in APPLE_ERROR_MESSAGES:
        return error.code[:64]
    return f"{error.status} {error.code}"[:64]


# Checks a higher app registers at ready() (trainer: a fault drill it started): a failure they
# recognise is answered by every try until the trainer clears it, so it fails at once rather
# than keeping the page "in progress" for the whole back-off. Real failures keep the retries.
_pointless_retry_checks: list[Callable[[DepError], bool]] = []


def register_pointless_retry_check(check: Callable[[DepError], bool]) -> None:
    if check not in _pointless_retry_checks:
        _pointless_retry_checks.append(check)


def retry_is_pointless(error: DepError) -> bool:
    for check in _pointless_retry_checks:
        try:
            if check(error):
                return True
        except Exception:  # a check that cannot tell leaves the real retry behaviour
            logger.debug("Could not tell whether Apple’s failure is a drill", exc_info=True)
    return False


def backoff_delay(error: DepError, attempt: int) -> float:
    """The attempt-th wait (from 1): doubled each time, or Apple's Retry-After when it says more."""
    base = settings.SYNC_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1)
    return float(max(error.retry_after or 0, base))


def apple_call(
    call: Callable[[], T],
    *,
    deadline: datetime | None = None,
    before_sleep: Callable[[float], None] | None = None,
) -> T:
    """Call Apple, retrying transient failures with back-off (SYNC_RETRY_ATTEMPTS tries).

    A wait that would pass the deadline ends the call as a failure (no retry storm); a wait
    longer than LONGEST_SLEEP_SECONDS raises Reschedule.
    """
    attempt = 0
    while True:
        try:
            return call()
        except DepError as error:
            if not transient(error) or retry_is_pointless(error):
                raise
            attempt += 1
            delay = backoff_delay(error, attempt)
            if attempt >= settings.SYNC_RETRY_ATTEMPTS:
                raise
            if deadline is not None and clock.now() + timedelta(seconds=delay) >= deadline:
                raise
            logger.info("Apple answered %s; trying again in %.0f s", error_code(error), delay)
            if delay > LONGEST_SLEEP_SECONDS:
                raise Reschedule(delay) from error
            if before_sleep is not None:
                before_sleep(delay)
            pause(delay)

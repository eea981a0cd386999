"""The trainer's switches on the mock: queued faults, the mock's settings (MockConfig), a
reset to the defaults and the clock offset; each of the organisation the code acts for
(mock_apple.tenancy), so that one trainee's drill never reaches another's calls."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mock_apple import clock
from mock_apple.models import (
    ApiRateWindow,
    ForcedResponse,
    MdmServer,
    MockConfig,
    acting_q,
    current_organization_id,
)

ENDPOINTS = (
    "session",
    "account",
    "fetch",
    "sync",
    "details",
    "disown",
    "profile_define",
    "profile_get",
    "profile_assign",
    "profile_remove",
    "activationlock",
    "roster",  # this emulator's own POST /roster/import
    "os_beta",
    "ade_profile",
    # The School Manager / Business API
    "axm_token",
    "axm_devices",
    "axm_device",
    "axm_servers",
    "axm_server_devices",
    "axm_activity_create",
    "axm_activity",
)
ANY_ENDPOINT = "*"


def fault_queue(
    *,
    endpoint: str,
    status: int | None,
    code: str = "",
    retry_after: int | None = None,
    latency_ms: int = 0,
    count: int = 1,
) -> ForcedResponse:
    if endpoint not in (*ENDPOINTS, ANY_ENDPOINT):
        raise ValidationError(_("Unknown endpoint: %(endpoint)s") % {"endpoint": endpoint})
    if status is not None and not 400 <= status <= 599:
        raise ValidationError(_("The status must be an HTTP error status (400 to 599)."))
    if status is None and not latency_ms:
        raise ValidationError(_("Give a status, a latency, or both."))
    if count < 1 or count > 10_000:
        raise ValidationError(_("The count must be between 1 and 10,000."))
    if latency_ms < 0 or latency_ms > 60_000:
        raise ValidationError(_("The latency must be between 0 and 60,000 ms."))
    return ForcedResponse.objects.create(
        organization_id=current_organization_id(),
        endpoint=endpoint,
        status=status,
        code=code.strip(),
        retry_after=retry_after,
        latency_ms=latency_ms,
        remaining=count,
        created_at=clock.now(),
    )


def fault_take(*, endpoint: str) -> ForcedResponse | None:
    """The organisation's next queued fault for this endpoint, used up atomically (several
    processes may serve)."""
    for fault in ForcedResponse.objects.filter(
        acting_q(), endpoint__in=(endpoint, ANY_ENDPOINT), remaining__gt=0
    ).order_by("id")[:5]:
        if ForcedResponse.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=fault.remaining - 1):
            ForcedResponse.objects.filter(pk=fault.pk, remaining=0).delete()
            return fault
    return None


def fault_wait(*, endpoint: str) -> ForcedResponse | None:
    """The next queued fault of the endpoint with its latency already waited (None: no fault);
    the caller answers its status in its API's shape."""
    fault = fault_take(endpoint=endpoint)
    if fault is not None and fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    return fault


def faults_clear() -> None:
    """Empty the queue and switch off every fault; the clock and the session settings stay."""
    ForcedResponse.objects.filter(acting_q()).delete()
    MockConfig.objects.filter(acting_q()).update(
        echoed_cursor_remaining=0, throttle_rate=0.0, throttle_serials=[], failed_serials=[]
    )
    MdmServer.objects.filter(acting_q(), access_denied=True).update(access_denied=False)
    # The School Manager API's rate-limit counters start again.
    ApiRateWindow.objects.filter(acting_q()).delete()


def mock_reset() -> MockConfig:
    """Everything back to the defaults: faults, sessions, clock."""
    faults_clear()
    MockConfig.objects.filter(acting_q()).delete()
    return MockConfig.load()


CONFIG_FIELDS = (
    "session_ttl_seconds",
    "session_rotation",
    "echoed_cursor_remaining",
    "throttle_rate",
    "throttle_serials",
    "failed_serials",
    "retry_after_seconds",
    "move_op_type",
    "quoted_errors",
    "profile_not_found_status",
    "api_get_per_minute",
    "api_activity_posts_per_hour",
    "api_activity_seconds",
)


def config_update(**changes: Any) -> MockConfig:
    """Change the mock's switches; every value is checked before any is saved."""
    config = MockConfig.load()
    errors: dict[str, str] = {}
    for name, value in changes.items():
        if name not in CONFIG_FIELDS:
            errors[name] = _("Unknown setting.")
            continue
        error = _config_error(name, value)
        if error:
            errors[name] = error
        else:
            if name.endswith("_serials"):
                value = [str(serial).strip().upper() for serial in value]
            setattr(config, name, value)
    if errors:
        raise ValidationError(errors)
    config.save()
    return config


def _config_error(name: str, value: Any) -> str:
    if name in ("session_rotation", "quoted_errors"):
        return "" if isinstance(value, bool) else _("Must be true or false.")
    if name.endswith("_serials"):
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value) and len(value) <= 10_000
        return "" if ok else _("Must be a list of serial numbers.")
    if name == "throttle_rate":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
        return "" if ok else _("Must be a number from 0 to 1.")
    if name == "move_op_type":
        return "" if value in ("modified", "added") else _('Must be "modified" or "added".')
    if name == "profile_not_found_status":
        return "" if value in (400, 404) else _("Must be 400 or 404.")
    limits = {
        "session_ttl_seconds": (5, 86_400),
        "echoed_cursor_remaining": (0, 1000),
        "retry_after_seconds": (0, 604_800),
        "api_get_per_minute": (0, 1_000_000),
        "api_activity_posts_per_hour": (0, 1_000_000),
        "api_activity_seconds": (0, 604_800),
    }
    low, high = limits[name]
    ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    return "" if ok else _("Must be a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}


def clock_set_offset(*, seconds: int) -> None:
    if abs(seconds) > 10 * 365 * 86_400:
        raise ValidationError(_("The offset can be at most ten years."))
    clock.set_offset(timedelta(seconds=seconds))

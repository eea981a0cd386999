"""The mock Apple service's control API (/_mock/), as trainer mode calls it: over HTTP only.

The portal never imports mock_apple code. Every failure becomes an AppleControlError whose
message says what went wrong in words a trainer can act on; callers change nothing on the
portal's side when one is raised.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from asm_portal.refusals import Refusal
from asm_portal.tenancy import current_tenant

# A trainer waits for the answer in front of a room: fail fast rather than after the DEP
# client's longer timeout.
TIMEOUT_SECONDS = 5


class AppleControlError(Refusal):
    """The control API could not do what was asked; str() is the translated explanation, shown to
    the trainer in the blade's error banner like every other refusal."""


def _headers(token: str, organization: str | None) -> dict[str, str]:
    """The control token, and the organisation: the one named, else the one paired with the
    tenant the trainer acts for (the mock's default organisation when the tenant names none)."""
    headers = {"X-Mock-Control-Token": token}
    if organization is None:
        tenant = current_tenant()
        organization = tenant.apple_organization_id if tenant is not None else ""
    if organization:
        headers["X-Mock-Organization"] = organization
    return headers


def _call(
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    timeout: float = TIMEOUT_SECONDS,
    organization: str | None = None,
) -> Any:
    token = settings.MOCK_APPLE_CONTROL_TOKEN
    base_url = settings.APPLE_BASE_URL
    if not token:
        raise AppleControlError(
            _("Trainer mode cannot reach Apple: MOCK_APPLE_CONTROL_TOKEN is not set on the portal.")
        )
    try:
        response = requests.request(
            method,
            f"{base_url}/_mock/{path}",
            json=body,
            headers=_headers(token, organization),
            timeout=timeout,
        )
    except requests.RequestException:
        raise AppleControlError(
            _(
                "The mock Apple service cannot be reached at %(url)s. Start it and try again: nothing was changed."
            )
            % {"url": base_url}
        ) from None
    if response.status_code == 403:
        raise AppleControlError(
            _(
                "The mock Apple service refused the control token: MOCK_APPLE_CONTROL_TOKEN must be the "
                "same for the portal and for Apple. Nothing was changed."
            )
        )
    if response.status_code >= 400:
        try:
            detail = str(response.json().get("error", ""))
        except (ValueError, AttributeError):
            detail = ""
        raise AppleControlError(
            _("The mock Apple service refused the request (HTTP %(status)s %(detail)s). Nothing was changed.")
            % {"status": response.status_code, "detail": detail}
        )
    if response.status_code == 204 or not response.content:
        return {}
    return response.json()


def state() -> dict[str, Any]:
    """Apple's clock, queued faults, terms and MDM servers (GET /_mock/state)."""
    result: dict[str, Any] = _call("GET", "state")
    return result


def clock_set(*, offset_seconds: int) -> dict[str, Any]:
    result: dict[str, Any] = _call("PUT", "clock", {"offset_seconds": offset_seconds})
    return result


def terms(*, action: str) -> dict[str, Any]:
    """ "publish" new terms (the DEP API answers T_C_NOT_SIGNED) or "accept" them."""
    result: dict[str, Any] = _call("POST", "terms", {"action": action})
    return result


def fault_add(
    *, endpoint: str, status: int, code: str = "", retry_after: int | None = None, count: int
) -> int:
    body: dict[str, Any] = {"endpoint": endpoint, "status": status, "code": code, "count": count}
    if retry_after is not None:
        body["retry_after"] = retry_after
    return int(_call("POST", "faults", body)["id"])


def fault_delete(*, fault_id: int) -> None:
    try:
        _call("DELETE", f"faults/{fault_id}")
    except AppleControlError:
        # Already used up or cleared by someone else: the drill is over either way.
        if any(fault["id"] == fault_id for fault in state()["faults"]):
            raise


def server_revoke(*, server_uuid: str) -> None:
    _call("POST", f"servers/{server_uuid}/revoke")


def server_token_issue(*, server_uuid: str) -> dict[str, str]:
    """A new server token for the MDM server: its four OAuth values and access_token_expiry."""
    result: dict[str, str] = _call("POST", f"servers/{server_uuid}/token")["token"]
    return result


def server_access(*, server_uuid: str, denied: bool) -> None:
    _call("PUT", f"servers/{server_uuid}/access", {"denied": denied})


def scenario_build(body: dict[str, Any]) -> dict[str, Any]:
    """POST /_mock/scenario: the organisation wiped and built again from a trainer preset's Apple
    part. Up to tens of thousands of devices, so a longer wait than the other calls."""
    result: dict[str, Any] = _call(
        "POST", "scenario", body, timeout=max(settings.APPLE_HTTP_TIMEOUT_SECONDS, 300)
    )
    return result


def organization_create(
    *, name: str, domain: str, admin_first_name: str, admin_last_name: str, language: str
) -> dict[str, str]:
    """A new Apple School Manager organisation with its administrator (POST /_mock/organizations):
    {"org_id", "name", "domain", "admin_apple_id", "admin_password", "asm_url"}. Asked for no
    organisation in particular: the header names the tenant's, and this one does not exist yet."""
    body = {
        "name": name,
        "domain": domain,
        "admin_first_name": admin_first_name,
        "admin_last_name": admin_last_name,
        "language": language,
    }
    result: dict[str, str] = _call("POST", "organizations", body, organization="")
    return result


def organizations_list() -> list[dict[str, str]]:
    """Every organisation Apple holds (GET /_mock/organizations): {"org_id", "name", "domain"}."""
    result: dict[str, Any] = _call("GET", "organizations", None, organization="")
    found: list[dict[str, str]] = result.get("organizations", [])
    return found


def organization_delete(*, org_id: str) -> dict[str, int]:
    """Every row of the organisation gone from Apple's side; how many of each."""
    result: dict[str, Any] = _call("DELETE", f"organizations/{org_id}", organization="")
    deleted: dict[str, int] = result.get("deleted", {})
    return deleted

"""The HTTP boundary to the MDM: signed requests, unreachable answers, check-ins."""

from __future__ import annotations

import pytest

from mock_apple.ipad import identity, mdm, setup_assistant
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.ipad_fake import (
    CHECKIN_URL,
    ENROLL_URL,
    ipad_with_profile,
    setup_to_wifi,
    walk_panes,
)


@pytest.mark.django_db(databases=APPLE_DB)
class PortalHttpTests:
    """The real HTTP boundary (requests, mocked with `responses`): headers, signature, failures."""

    def test_the_request_is_signed_and_verifiable_with_the_device_ca(self, organization) -> None:
        import responses

        virtual, _ = ipad_with_profile(organization)
        with responses.RequestsMock() as mock:
            mock.post(ENROLL_URL, json={"status": "enrolled"}, status=200)
            answer = mdm.portal_post(virtual, ENROLL_URL, {"serial_number": virtual.device.serial_number})
            request = mock.calls[0].request
        assert answer.status == 200
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"].startswith("MDM-Device/1.0 (iPad; iPadOS 18.1)")
        serial, udid = identity.device_identity_verify(
            certificate_b64=request.headers["X-Apple-Device-Certificate"],
            signature_b64=request.headers["X-Apple-Device-Signature"],
            body=request.body if isinstance(request.body, bytes) else str(request.body).encode(),
        )
        assert (serial, udid) == (virtual.device.serial_number, virtual.udid)

    def test_network_errors_server_errors_and_html_are_unreachable(self, organization) -> None:
        import requests
        import responses

        virtual, _ = ipad_with_profile(organization)
        with responses.RequestsMock() as mock:
            mock.post(ENROLL_URL, body=requests.ConnectionError("refused"))
            assert mdm.portal_post(virtual, ENROLL_URL, {}).code == "UNREACHABLE"
            mock.replace(responses.POST, ENROLL_URL, status=502, body="Bad gateway")
            assert mdm.portal_post(virtual, ENROLL_URL, {}).code == "UNREACHABLE"
            mock.replace(responses.POST, ENROLL_URL, status=200, body="<html>")
            assert mdm.portal_post(virtual, ENROLL_URL, {}).code == "UNREACHABLE"
            mock.replace(responses.POST, ENROLL_URL, status=403, json={"code": "NO_PROFILE"})
            assert mdm.portal_post(virtual, ENROLL_URL, {}).code == "NO_PROFILE"

    def test_a_managed_device_checks_in_when_it_starts(self, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        walk_panes(virtual)
        setup_assistant.power_off(virtual)
        portal.checkin["state"] = "pendingReset"
        setup_assistant.power_on(virtual)
        assert portal.calls[-1][0] == CHECKIN_URL
        assert virtual.pane == "home" and virtual.mdm_state == "pendingReset"

    def test_the_pending_reset_state_is_shown_in_settings(self, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        portal.checkin["state"] = "pendingReset"
        setup_assistant.checkin(virtual)
        assert virtual.mdm_state == "pendingReset"

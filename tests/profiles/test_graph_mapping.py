from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from typing import Any

from profiles.choices import Affinity, AuthMethod, Pairing
from profiles.graph import graph_profile
from profiles.rules import ProfileValues
from profiles.screens import SCREENS


def mapped(values: ProfileValues, certificates: list[bytes] | None = None) -> dict[str, Any]:
    return graph_profile(
        values,
        profile_id="p-1",
        is_default=True,
        certificates_der=certificates or [],
        vpp_token_id="vpp-1",
        configuration_endpoint_url="https://portal.example.org/enroll/tok-1/",
        created=None,
        modified=None,
    )


class GraphMappingTests:
    def test_the_names_graph_uses(self) -> None:
        values = ProfileValues(
            name="Cart",
            description="Library cart",
            user_affinity=Affinity.WITH,
            authentication_method=AuthMethod.COMPANY_PORTAL,
            supervised=True,
            locked_enrollment=True,
            shared_ipad=True,
            max_cached_users=8,
            pairing=Pairing.BY_CERTIFICATE,
            single_app_mode=True,
            department="IT",
            department_phone="555",
            device_name_template="{{SERIAL}}",
            hidden_screens=frozenset({"Siri", "TermsOfAddress"}),
        )
        body = mapped(values, [b"der"])
        assert body["@odata.type"] == "#microsoft.graph.depIOSEnrollmentProfile"
        assert body["displayName"] == "Cart"
        assert body["description"] == "Library cart"
        assert body["requiresUserAuthentication"] is True
        assert body["enableAuthenticationViaCompanyPortal"] is True
        assert body["configurationWebUrl"] is False
        assert body["isDefault"] is True
        assert body["supervisedModeEnabled"] is True
        assert body["profileRemovalDisabled"] is True
        assert body["enableSharedIPad"] is True
        assert body["sharedIPadMaximumUserCount"] == 8
        assert body["iTunesPairingMode"] == "requiresCertificate"
        assert body["managementCertificates"] == [
            {
                "thumbprint": hashlib.sha1(b"der").hexdigest().upper(),
                "certificate": base64.b64encode(b"der").decode(),
            }
        ]
        assert body["enableSingleAppEnrollmentMode"] is True
        assert body["companyPortalVppTokenId"] == "vpp-1"
        assert body["supportDepartment"] == "IT"
        assert body["supportPhoneNumber"] == "555"
        assert body["deviceNameTemplate"] == "{{SERIAL}}"
        assert body["enabledSkipKeys"] == ["Siri", "TermsOfAddress"]
        assert body["siriDisabled"] is True
        assert body["passCodeDisabled"] is False

    def test_every_screen_with_a_graph_flag_is_mapped(self) -> None:
        everything = ProfileValues(name="All hidden", hidden_screens=frozenset(s.key for s in SCREENS))
        body = mapped(everything)
        for screen in SCREENS:
            if screen.graph_flag:
                assert body[screen.graph_flag] is True, screen.key

    def test_modern_authentication_and_pairing_modes(self) -> None:
        body = mapped(
            ProfileValues(name="x", authentication_method=AuthMethod.MODERN, pairing=Pairing.ALLOW_ALL)
        )
        assert body["configurationWebUrl"] is True
        assert body["iTunesPairingMode"] == "allow"
        body = mapped(replace(ProfileValues(name="x"), user_affinity=Affinity.WITHOUT))
        assert body["requiresUserAuthentication"] is False
        assert body["iTunesPairingMode"] == "disallow"

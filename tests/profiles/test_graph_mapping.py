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


class GraphBackToValuesTests:
    """A Graph request body (POST/PATCH of enrollmentProfiles) back to the form's values."""

    def test_what_graph_shows_reads_back_the_same(self) -> None:
        from profiles.graph import values_from_graph

        for values in (
            ProfileValues(
                name="Cart",
                description="Library cart",
                user_affinity=Affinity.WITHOUT,
                authentication_method=AuthMethod.MODERN,
                supervised=True,
                locked_enrollment=True,
                shared_ipad=True,
                max_cached_users=8,
                passcode_grace_seconds=300,
                user_session_timeout=600,
                temporary_session_only=True,
                temporary_session_timeout=120,
                pairing=Pairing.BY_CERTIFICATE,
                await_final_configuration=False,
                apply_device_name_template=True,
                device_name_template="CART-{{SERIAL}}",
                cellular_data_plan=True,
                carrier_activation_url="https://carrier.example/activate",
                department="IT",
                department_phone="+33 1 23 45 67 89",
                vpp_token="vpp-1",
                hidden_screens=frozenset(screen.key for screen in SCREENS[::2]),
            ),
            ProfileValues(
                name="Plain", authentication_method=AuthMethod.COMPANY_PORTAL, install_company_portal=True
            ),
        ):
            body = mapped(values)
            assert values_from_graph(body, base=ProfileValues()) == replace(values, vpp_token="vpp-1")

    def test_a_patch_changes_only_what_it_names(self) -> None:
        from profiles.graph import values_from_graph

        base = ProfileValues(
            name="Cart", shared_ipad=True, max_cached_users=8, hidden_screens=frozenset({"Siri"})
        )
        changed = values_from_graph({"description": "New"}, base=base)
        assert changed == replace(base, description="New")

    def test_unknown_properties_and_wrong_types(self) -> None:
        import pytest

        from profiles.graph import GraphBodyError, values_from_graph

        for body in (
            {"colour": "red"},
            {"enableSharedIPad": 1},
            {"sharedIPadMaximumUserCount": True},
            {"iTunesPairingMode": "sometimes"},
            {"enabledSkipKeys": "Siri"},
        ):
            with pytest.raises(GraphBodyError):
                values_from_graph(body, base=ProfileValues())

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from profiles.apple import apple_profile
from profiles.choices import Affinity, AuthMethod, Pairing
from profiles.rules import ProfileValues

SCHEMAS = Path(__file__).resolve().parent.parent / "fixtures" / "apple-dep-schemas"


def validate(body: dict[str, Any], schema: str = "Profile.json") -> None:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text()))) for p in SCHEMAS.glob("*.json")]
    registry = Registry().with_resources(resources)
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / schema).read_text()), registry=registry).validate(
        body
    )


def mapped(values: ProfileValues, certificates: list[bytes] | None = None) -> dict[str, Any]:
    return apple_profile(
        values,
        enrollment_url="https://portal.example.org/enroll/tok-1/",
        configuration_web_url="https://portal.example.org/enroll/tok-1/authenticate/",
        org_magic="tok-1",
        certificates_der=certificates or [],
    )


BASE = ProfileValues(name="Cart 3", department="IT department", department_phone="+33 1 23 45 67 89")


class AppleMappingTests:
    def test_every_field(self) -> None:
        values = replace(
            BASE,
            supervised=True,
            locked_enrollment=True,
            shared_ipad=True,
            user_affinity=Affinity.WITH,
            max_cached_users=6,
            pairing=Pairing.BY_CERTIFICATE,
            await_final_configuration=True,
            authentication_method=AuthMethod.MODERN,
            hidden_screens=frozenset({"Siri", "Passcode", "Zoom"}),
        )
        body = mapped(values, [b"\x30\x82cert-one", b"\x30\x82cert-two"])
        validate(body)
        assert body == {
            "profile_name": "Cart 3",
            "url": "https://portal.example.org/enroll/tok-1/",
            "allow_pairing": True,
            "is_supervised": True,
            "is_mandatory": True,
            "is_mdm_removable": False,
            "is_multi_user": True,
            "await_device_configured": True,
            "department": "IT department",
            "support_phone_number": "+33 1 23 45 67 89",
            "org_magic": "tok-1",
            "skip_setup_items": ["Passcode", "Zoom", "Siri"],
            "supervising_host_certs": [
                base64.b64encode(b"\x30\x82cert-one").decode(),
                base64.b64encode(b"\x30\x82cert-two").decode(),
            ],
            "configuration_web_url": "https://portal.example.org/enroll/tok-1/authenticate/",
            "shared_ipad_temporary_session_only": False,
            "shared_ipad_maximum_user_count": 6,
        }

    def test_a_plain_profile(self) -> None:
        body = mapped(replace(BASE, pairing=Pairing.DENY_ALL, locked_enrollment=False, supervised=False))
        validate(body)
        assert body["allow_pairing"] is False
        assert body["is_mdm_removable"] is True
        assert body["is_supervised"] is False
        assert body["is_multi_user"] is False
        assert body["skip_setup_items"] == []
        assert "supervising_host_certs" not in body
        assert "configuration_web_url" not in body
        assert "shared_ipad_maximum_user_count" not in body

    def test_a_temporary_session_only_shared_ipad_caches_no_one(self) -> None:
        body = mapped(replace(BASE, shared_ipad=True, max_cached_users=6, temporary_session_only=True))
        assert body["shared_ipad_temporary_session_only"] is True
        assert "shared_ipad_maximum_user_count" not in body

    def test_allow_all_pairing(self) -> None:
        body = mapped(replace(BASE, pairing=Pairing.ALLOW_ALL))
        assert body["allow_pairing"] is True
        assert "supervising_host_certs" not in body

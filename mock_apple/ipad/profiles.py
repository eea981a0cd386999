"""Configuration profiles as iOS installs them: a plist, plain or in a CMS SignedData whose
signature must hold; `PayloadType` Configuration; each payload with its four standard keys;
the rules of `com.apple.mdm` (one per device, Topic, identity UUID, access rights)."""

from __future__ import annotations

import base64
import plistlib
import xml.parsers.expat
from dataclasses import dataclass
from typing import Any

from mock_apple import clock
from mock_apple.ipad import cms
from mock_apple.models import InstalledProfile, VirtualDevice

MDM_PAYLOAD = "com.apple.mdm"
IDENTITY_PAYLOADS = ("com.apple.security.scep", "com.apple.security.pkcs12", "com.apple.security.acme")
PLIST_ERRORS = (plistlib.InvalidFileException, xml.parsers.expat.ExpatError, ValueError, TypeError)
STANDARD_KEYS = ("PayloadType", "PayloadIdentifier", "PayloadUUID", "PayloadVersion")


class InvalidProfile(ValueError):
    """The profile cannot be installed; the message says why (for the log and the detail line)."""


@dataclass(frozen=True)
class Profile:
    plist: dict[str, Any]
    content: bytes  # the plist bytes, unwrapped from the signature
    signer_certificates: list[str]  # base64 DER, signer first

    @property
    def identifier(self) -> str:
        return str(self.plist["PayloadIdentifier"])

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return list(self.plist.get("PayloadContent") or [])

    def payloads_of(self, payload_type: str) -> list[dict[str, Any]]:
        return [each for each in self.payloads if each.get("PayloadType") == payload_type]


def profile_parse(body: bytes) -> Profile:
    """Unwrap and check a profile as iOS does before installing it."""
    signers: list[str] = []
    content = body
    if cms.is_signed_data(body) and not body.startswith(b"bplist"):
        try:
            verified = cms.verify(body)
        except cms.CmsError as exc:
            raise InvalidProfile(f"the profile's signature does not verify: {exc}") from None
        content = verified.content
        signers = [
            base64.b64encode(cms.der(each)).decode()
            for each in [verified.signer, *(c for c in verified.certificates if c != verified.signer)]
        ]
    try:
        plist = plistlib.loads(content)
    except PLIST_ERRORS:
        raise InvalidProfile("the profile is not a property list") from None
    if not isinstance(plist, dict) or plist.get("PayloadType") != "Configuration":
        raise InvalidProfile("PayloadType is not Configuration")
    for key in STANDARD_KEYS:
        if key not in plist:
            raise InvalidProfile(f"the profile has no {key}")
    payloads = plist.get("PayloadContent", [])
    if not isinstance(payloads, list):
        raise InvalidProfile("PayloadContent is not an array")
    uuids = set()
    for payload in payloads:
        if not isinstance(payload, dict):
            raise InvalidProfile("a payload is not a dictionary")
        for key in STANDARD_KEYS:
            if key not in payload:
                raise InvalidProfile(f"a payload has no {key}")
        if not isinstance(payload["PayloadUUID"], str) or payload["PayloadUUID"] in uuids:
            raise InvalidProfile("two payloads share a PayloadUUID")
        uuids.add(payload["PayloadUUID"])
    return Profile(plist=plist, content=content, signer_certificates=signers)


def _access_rights(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 8192:
        raise InvalidProfile("AccessRights is not a valid combination of rights")
    if value & 2 and not value & 1:
        raise InvalidProfile("AccessRights: installing profiles needs inspecting them")
    if value & 128 and not value & 64:
        raise InvalidProfile("AccessRights: installing provisioning profiles needs inspecting them")


def mdm_payload_check(profile: Profile) -> dict[str, Any]:
    """The enrollment profile's com.apple.mdm payload, checked ([ADM] com.apple.mdm.yaml)."""
    found = profile.payloads_of(MDM_PAYLOAD)
    if len(found) != 1:
        raise InvalidProfile("an enrollment profile holds exactly one com.apple.mdm payload")
    payload = found[0]
    for key in ("ServerURL", "Topic", "IdentityCertificateUUID"):
        if not isinstance(payload.get(key), str) or not payload[key]:
            raise InvalidProfile(f"com.apple.mdm has no {key}")
    for key in ("ServerURL", "CheckInURL"):
        url = payload.get(key)
        # Apple requires https; the mock also takes http, for servers on a developer's machine.
        if url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
            raise InvalidProfile(f"com.apple.mdm {key} is not an http(s) URL")
    if not payload["Topic"].startswith("com.apple.mgmt."):
        raise InvalidProfile("com.apple.mdm Topic does not start with com.apple.mgmt.")
    _access_rights(payload.get("AccessRights"))
    identity = [
        each
        for each in profile.payloads
        if each.get("PayloadUUID") == payload["IdentityCertificateUUID"]
        and each.get("PayloadType") in IDENTITY_PAYLOADS
    ]
    if not identity:
        raise InvalidProfile("IdentityCertificateUUID names no identity payload of the profile")
    return payload


def payload_summary(profile: Profile) -> list[dict[str, str]]:
    return [
        {
            "type": str(each.get("PayloadType", "")),
            "identifier": str(each.get("PayloadIdentifier", "")),
            "uuid": str(each.get("PayloadUUID", "")),
            "display_name": str(each.get("PayloadDisplayName", "")),
        }
        for each in profile.payloads
    ]


def profile_record(
    virtual: VirtualDevice, profile: Profile, *, is_enrollment: bool, removal_disallowed: bool = False
) -> InstalledProfile:
    """Store the installed profile (an identifier already installed is replaced, as iOS does)."""
    plist = profile.plist
    version = plist.get("PayloadVersion")
    InstalledProfile.objects.filter(virtual_device=virtual, identifier=profile.identifier).delete()
    return InstalledProfile.objects.create(
        virtual_device=virtual,
        identifier=profile.identifier[:255],
        uuid=str(plist.get("PayloadUUID", ""))[:64],
        version=version if isinstance(version, int) and version > 0 else 1,
        display_name=str(plist.get("PayloadDisplayName", ""))[:255],
        organization=str(plist.get("PayloadOrganization", ""))[:255],
        description=str(plist.get("PayloadDescription", "")),
        payloads=payload_summary(profile),
        is_managed=True,
        is_enrollment=is_enrollment,
        removal_disallowed=removal_disallowed or bool(plist.get("PayloadRemovalDisallowed")),
        signer_certificates=profile.signer_certificates,
        content=profile.content,
        installed_at=clock.now(),
    )

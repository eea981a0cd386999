"""The virtual iPad's engine against a minimal MDM server written from Apple's documentation
(not the portal): ADE enrollment (signed MachineInfo, signed profile, SCEP or PKCS#12,
Authenticate, TokenUpdate), every command kind with replies checked against Apple's schemas,
the push wake, and EraseDevice with ReturnToService."""

from __future__ import annotations

import plistlib
import time
from typing import Any

import pytest

from mock_apple import clock
from mock_apple.ipad import device, enrollment, session, shared_ipad, wake
from mock_apple.models import ApnsPush, InstalledProfile, MdmExchange, Organization, Person, VirtualDevice
from mock_apple.roster import passwords
from tests.mdm import apple_schema
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.engine.conftest import ipad_assigned
from tests.mock_apple.engine.mdm_server import MinimalMdm
from tests.mock_apple.roster_records import imported, server_of

pytestmark = pytest.mark.django_db(databases=APPLE_DB)


def enrolled(organization: Organization, mdm: MinimalMdm, **profile: Any) -> VirtualDevice:
    virtual = ipad_assigned(organization, f"{mdm.base_url}/enroll", **profile)
    outcome = device.setup_unattended(virtual, language="fr", region="FR", wifi_network="eduroam")
    assert outcome.ok, (outcome, mdm.errors)
    virtual.refresh_from_db()
    return virtual


def test_enrolls_by_ade_with_scep_and_signed_messages(organization: Organization, mdm: MinimalMdm) -> None:
    virtual = enrolled(organization, mdm)

    assert virtual.enrolled and virtual.pane == "home" and virtual.state == VirtualDevice.State.HOME
    assert mdm.errors == []
    info = mdm.machine_infos[0]
    assert info["UDID"] == virtual.udid and info["SERIAL"] == virtual.device.serial_number
    assert info["LANGUAGE"] == "fr" and info["OS_VERSION"] and info["VERSION"] and info["PRODUCT"]
    kinds = [message.get("MessageType") or message.get("Status") for _, message in mdm.received]
    assert kinds[:3] == ["Authenticate", "TokenUpdate", "Idle"]
    token_update = mdm.received[1][1]
    assert (
        token_update["Token"].hex() == virtual.push_token and token_update["PushMagic"] == virtual.push_magic
    )
    assert token_update["AwaitingConfiguration"] is False
    profile = InstalledProfile.objects.get(virtual_device=virtual)
    assert (
        profile.is_enrollment and profile.signer_certificates and profile.organization == "Minimal MDM Inc."
    )
    assert {each["type"] for each in profile.payloads} == {
        "com.apple.security.root",
        "com.apple.security.scep",
        "com.apple.mdm",
    }
    assert "minimal-mdm-device" in virtual.mdm_certificate_pem or virtual.mdm_certificate_pem
    logged = list(MdmExchange.objects.filter(virtual_device=virtual).values_list("request_type", flat=True))
    assert {"MachineInfo", "Authenticate", "TokenUpdate"} <= set(logged)


@pytest.mark.parametrize(
    ("caps", "request_cipher", "cert_rep_cipher"),
    [
        # RFC 8894 §3.5.2: AES128-CBC when the CA advertises AES; a CertRep in single DES, as
        # micromdm's scepserver answers (its pkcs7's default cipher), opens all the same.
        ("POSTPKIOperation\nSHA-256\nAES\n", "aes128_cbc", "des"),
        # Triple DES when the CA advertises DES3 but not AES; DES when it advertises neither
        # (and PKIOperation by GET without POSTPKIOperation).
        ("POSTPKIOperation\nSHA-256\nDES3\n", "tripledes_3key", "tripledes_3key"),
        ("", "des", "des"),
    ],
)
def test_scep_with_the_ciphers_the_ca_speaks(
    organization: Organization, mdm: MinimalMdm, caps: str, request_cipher: str, cert_rep_cipher: str
) -> None:
    mdm.scep_caps, mdm.cert_rep_cipher = caps, cert_rep_cipher

    virtual = enrolled(organization, mdm)

    assert virtual.enrolled and mdm.request_ciphers == [request_cipher]
    assert mdm.errors == []


def test_pkcs12_identity_and_unsigned_profile(organization: Organization, mdm: MinimalMdm) -> None:
    mdm.identity, mdm.sign_profile = "pkcs12", False
    virtual = enrolled(organization, mdm)
    assert virtual.enrolled and mdm.errors == []
    assert not InstalledProfile.objects.get(virtual_device=virtual).signer_certificates


def test_awaits_device_configured(organization: Organization, mdm: MinimalMdm) -> None:
    virtual = ipad_assigned(organization, f"{mdm.base_url}/enroll", await_device_configured=True)
    device.AWAIT_CONFIGURATION_SECONDS = 0.0
    try:
        outcome = device.setup_unattended(virtual)
    finally:
        device.AWAIT_CONFIGURATION_SECONDS = 120.0
    virtual.refresh_from_db()
    assert outcome.awaiting_configuration and virtual.awaiting_configuration and virtual.pane == "configuring"
    assert mdm.received[1][1]["AwaitingConfiguration"] is True

    first = mdm.send("DeviceConfigured")
    session.check_in_now(virtual)
    virtual.refresh_from_db()
    assert mdm.replies[first]["Status"] == "Acknowledged" and not virtual.awaiting_configuration

    again = mdm.send("DeviceConfigured")
    session.check_in_now(virtual)
    assert mdm.replies[again]["Status"] == "Error"
    assert mdm.replies[again]["ErrorChain"][0]["ErrorCode"] == 101
    assert mdm.errors == []


def _profile(identifier: str, payloads: list[dict[str, Any]]) -> bytes:
    return plistlib.dumps(
        {
            "PayloadType": "Configuration",
            "PayloadVersion": 1,
            "PayloadIdentifier": identifier,
            "PayloadUUID": identifier.upper(),
            "PayloadDisplayName": "Wi-Fi",
            "PayloadContent": payloads,
        }
    )


WIFI = _profile(
    "test.wifi",
    [
        {
            "PayloadType": "com.apple.wifi.managed",
            "PayloadVersion": 1,
            "PayloadIdentifier": "test.wifi.payload",
            "PayloadUUID": "WIFI-PAYLOAD",
            "SSID_STR": "School-WiFi",
            "EncryptionType": "WPA2",
        }
    ],
)


def test_every_command_kind(organization: Organization, mdm: MinimalMdm) -> None:
    virtual = enrolled(organization, mdm)
    sent = {
        "info": mdm.send(
            "DeviceInformation", Queries=["UDID", "DeviceName", "SerialNumber", "IsMultiUser", "Nope"]
        ),
        "security": mdm.send("SecurityInfo"),
        "install_profile": mdm.send("InstallProfile", Payload=WIFI),
        "profiles": mdm.send("ProfileList"),
        "remove_profile": mdm.send("RemoveProfile", Identifier="test.wifi"),
        "remove_missing": mdm.send("RemoveProfile", Identifier="test.nothing"),
        "install_app": mdm.send("InstallApplication", iTunesStoreID=719171358, ManagementFlags=1),
        "installed_apps": mdm.send("InstalledApplicationList"),
        "managed_apps": mdm.send("ManagedApplicationList"),
        "settings": mdm.send(
            "Settings",
            Settings=[
                {"Item": "DeviceName", "DeviceName": "Chariot 3 – 12"},
                {"Item": "TimeZone", "TimeZone": "Europe/Paris"},
            ],
        ),
        "lock": mdm.send("DeviceLock", Message="Rendez l'iPad au CDI", PhoneNumber="+33 1 23 45 67 89"),
        "clear_passcode": mdm.send("ClearPasscode", UnlockToken=b"unlock"),
        "lost": mdm.send("EnableLostMode", Message="Perdu", PhoneNumber="0102030405", Footnote="Lycée"),
        "location": mdm.send("DeviceLocation"),
        "sound": mdm.send("PlayLostModeSound"),
        "found": mdm.send("DisableLostMode"),
        "bypass": mdm.send("ActivationLockBypassCode"),
        "logout": mdm.send("LogOutUser"),
        "unknown": mdm.send("ScheduleOSUpdateScan"),
    }
    result = session.check_in_now(virtual)
    assert result.commands == len(sent) and result.http_status == 200
    virtual.refresh_from_db()
    replies = {name: mdm.replies[uuid] for name, uuid in sent.items()}
    # The command the mock does not know has no schema of its own either (it is iOS 18.2's).
    assert [e for e in mdm.errors if not e.startswith("ScheduleOSUpdateScan")] == []
    status = {name: reply["Status"] for name, reply in replies.items()}
    assert status == {
        **dict.fromkeys(sent, "Acknowledged"),
        "remove_missing": "Error",
        "logout": "Error",  # not a Shared iPad
        "unknown": "Error",
    }
    assert replies["unknown"]["ErrorChain"][0]["ErrorCode"] == 12021
    assert replies["info"]["QueryResponses"] == {
        "UDID": virtual.udid,
        "DeviceName": "iPad",
        "SerialNumber": virtual.device.serial_number,
        "IsMultiUser": False,
    }
    assert [p["PayloadIdentifier"] for p in replies["profiles"]["ProfileList"]] == [
        "test.minimal-mdm",
        "test.wifi",
    ]
    assert virtual.device_name == "Chariot 3 – 12"
    assert [app["bundle_id"] for app in virtual.apps] == ["com.microsoft.CompanyPortal"]
    assert (
        replies["installed_apps"]["InstalledApplicationList"][0]["Identifier"]
        == "com.microsoft.CompanyPortal"
    )
    assert virtual.locked and virtual.lock_message == "Rendez l'iPad au CDI"
    assert not virtual.lost_mode and virtual.lost_mode_sound_at is not None
    assert len(replies["bypass"]["ActivationLockBypassCode"]) == 35
    assert not InstalledProfile.objects.filter(virtual_device=virtual, identifier="test.wifi").exists()
    commands = MdmExchange.objects.filter(virtual_device=virtual, kind=MdmExchange.Kind.COMMAND)
    assert commands.count() == len(sent) and all(each.http_status == 200 for each in commands)


def test_shared_ipad_commands(organization: Organization, mdm: MinimalMdm) -> None:
    virtual = enrolled(organization, mdm, is_multi_user=True)
    info = mdm.send("DeviceInformation", Queries=["IsMultiUser", "MaximumResidentUsers", "QuotaSize"])
    logout = mdm.send("LogOutUser")
    users = mdm.send("UserList")
    delete = mdm.send("DeleteUser", UserName="nobody@contoso.edu", ForceDeletion=True)
    session.check_in_now(virtual)
    assert mdm.replies[info]["QueryResponses"]["IsMultiUser"] is True
    assert mdm.replies[info]["QueryResponses"]["MaximumResidentUsers"] == 32
    assert mdm.replies[logout]["Status"] == "Acknowledged"
    assert mdm.replies[users]["Users"] == []
    assert mdm.replies[delete]["Status"] == "Error"
    assert mdm.errors == []


def test_a_shared_ipad_user_signing_in_opens_their_channel(
    organization: Organization, mdm: MinimalMdm
) -> None:
    """Apple's TokenUpdate on a Shared iPad's user channel: UserShortName (the Managed Apple
    Account), UserID all F ("no authentication will occur"), the channel's own Token and
    PushMagic; no UnlockToken on a Shared iPad, no UserLongName (macOS only)."""
    mdm.is_multi_user = True
    virtual = enrolled(organization, mdm, is_multi_user=True)
    imported(server_of(organization))
    people = list(Person.objects.filter(organization=organization).order_by("last_name")[:2])
    for person in people:
        passwords.person_password_change(person=person, password="Blue-Sky-77")
        shared_ipad.pick_person(virtual, person.pk)
        assert shared_ipad.sign_in(virtual, "Blue-Sky-77", address="192.0.2.10").ok
        shared_ipad.sign_out(virtual)

    updates = [m for path, m in mdm.received if path == "/checkin" and m["MessageType"] == "TokenUpdate"]
    device_update, *user_updates = updates
    assert "UnlockToken" not in device_update and "UserShortName" not in device_update
    assert [m["UserShortName"] for m in user_updates] == [p.managed_apple_id for p in people]
    for message in user_updates:
        assert message["UserID"] == "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"
        assert message["UDID"] == virtual.udid and message["Topic"] == device_update["Topic"]
        assert "UserLongName" not in message and "UnlockToken" not in message
        assert apple_schema.validate_checkin(message, shared_ipad=True) == []
    server_device = mdm.devices[virtual.udid]
    tokens = {token for token, _magic in server_device.user_channels.values()}
    magics = {magic for _token, magic in server_device.user_channels.values()}
    assert len(tokens) == len(magics) == 2 and all(len(token) == 32 for token in tokens)
    assert server_device.token not in tokens and server_device.push_magic not in magics  # the device's
    assert mdm.errors == []
    logged = MdmExchange.objects.filter(virtual_device=virtual, kind=MdmExchange.Kind.CHECKIN)
    assert logged.filter(request_type="TokenUpdate", http_status=200).count() == 3


def test_a_user_channel_token_update_that_breaks_apple_rules_is_caught() -> None:
    """The schema check above can fail: a macOS-only key, or an UnlockToken from a Shared iPad."""
    message = {
        "MessageType": "TokenUpdate",
        "UDID": "U",
        "Topic": "T",
        "Token": b"t",
        "PushMagic": "M",
        "UserShortName": "ada@contoso.edu",
        "UserID": "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
    }
    assert apple_schema.validate_checkin(message, shared_ipad=True) == []
    assert apple_schema.validate_checkin({**message, "UserLongName": "Ada"}) == [
        "TokenUpdate.UserLongName: not on iOS"
    ]
    assert apple_schema.validate_checkin({**message, "UnlockToken": b"u"}, shared_ipad=True) == [
        "TokenUpdate.UnlockToken: forbidden on a Shared iPad"
    ]


def test_push_wakes_a_powered_on_device_and_waits_for_one_that_is_off(
    organization: Organization, mdm: MinimalMdm
) -> None:
    virtual = enrolled(organization, mdm)
    command = mdm.send("DeviceInformation", Queries=["DeviceName"])
    VirtualDevice.objects.filter(pk=virtual.pk).update(state=VirtualDevice.State.OFF)
    ApnsPush.objects.create(token=virtual.push_token, apns_id="1", status=200, received_at=clock.now())
    assert wake.deliver_pending() == 0 and command not in mdm.replies

    VirtualDevice.objects.filter(pk=virtual.pk).update(state=VirtualDevice.State.HOME)
    assert wake.deliver_pending() == 1
    assert mdm.replies[command]["Status"] == "Acknowledged"
    assert not ApnsPush.objects.filter(delivered_at__isnull=True).exists()
    assert wake.deliver_pending() == 0


def test_remove_management_checks_out(organization: Organization, mdm: MinimalMdm) -> None:
    virtual = enrolled(organization, mdm)
    assert enrollment.remove_management(virtual)
    virtual.refresh_from_db()
    assert not virtual.enrolled and not InstalledProfile.objects.filter(virtual_device=virtual).exists()
    assert mdm.devices[virtual.udid].checked_out
    assert mdm.received[-1][1]["MessageType"] == "CheckOut" and mdm.errors == []


def test_not_removable_profile_stays(organization: Organization, mdm: MinimalMdm) -> None:
    virtual = enrolled(organization, mdm, is_mdm_removable=False)
    assert not enrollment.remove_management(virtual)


def test_failures_leave_nothing_half_enrolled(organization: Organization, mdm: MinimalMdm) -> None:
    virtual = ipad_assigned(organization, f"{mdm.base_url}/enroll")
    mdm.challenge = "changed"  # the profile carries it, the SCEP server then refuses another
    original = mdm.enrollment_profile

    def wrong_challenge() -> dict[str, Any]:
        profile = original()
        profile["PayloadContent"][1]["PayloadContent"]["Challenge"] = "wrong"
        return profile

    mdm.enrollment_profile = wrong_challenge  # type: ignore[method-assign]
    outcome = device.setup_unattended(virtual)
    virtual.refresh_from_db()
    assert outcome.failure == enrollment.FailureCode.SCEP_FAILED
    assert virtual.enrollment_failure == "scep_failed" and not virtual.enrolled
    assert (
        not virtual.mdm_certificate_pem
        and not InstalledProfile.objects.filter(virtual_device=virtual).exists()
    )

    unreachable = ipad_assigned(organization, "http://127.0.0.1:9/enroll")
    assert device.setup_unattended(unreachable).failure == "server_unreachable"
    missing = ipad_assigned(organization, f"{mdm.base_url}/nowhere")
    assert device.setup_unattended(missing).failure == "profile_download_failed"


def test_erase_with_return_to_service_reenrolls_unattended(
    organization: Organization, mdm: MinimalMdm
) -> None:
    virtual = enrolled(organization, mdm)
    mdm.send("InstallApplication", iTunesStoreID=719171358)
    session.check_in_now(virtual)
    old_token = virtual.push_token
    erase = mdm.send(
        "EraseDevice",
        ReturnToService={"Enabled": True, "WiFiProfileData": WIFI, "MDMProfileData": mdm.profile_bytes()},
    )
    session.check_in_now(virtual)
    virtual.refresh_from_db()

    assert mdm.replies[erase]["Status"] == "Acknowledged"
    assert virtual.erased_at is not None and virtual.activity == "erasing"
    assert virtual.enrolled and virtual.pane == "home" and virtual.state == VirtualDevice.State.HOME
    assert virtual.push_token != old_token and virtual.apps == []
    assert virtual.wifi_network == "School-WiFi" and virtual.language == "fr"
    identifiers = set(
        InstalledProfile.objects.filter(virtual_device=virtual).values_list("identifier", flat=True)
    )
    assert identifiers == {"test.wifi", "test.minimal-mdm"}
    authenticates = [m for _, m in mdm.received if m.get("MessageType") == "Authenticate"]
    assert len(authenticates) == 2 and len(mdm.machine_infos) == 1  # the profile data, not the url
    assert mdm.errors == []


@pytest.mark.django_db(transaction=True, databases=APPLE_DB)
def test_the_runner_delivers_a_push_left_undelivered_before_it_started(
    organization: Organization, mdm: MinimalMdm
) -> None:
    """The push row is the queue: a push recorded while no runner ran (the mock restarting) is
    delivered when the runner starts, and a new push wakes the device within 2 s."""
    virtual = enrolled(organization, mdm)
    first = mdm.send("DeviceInformation", Queries=["DeviceName"])
    ApnsPush.objects.create(token=virtual.push_token, apns_id="1", status=200, received_at=clock.now())
    wake.start()
    try:
        deadline = time.monotonic() + 10
        while first not in mdm.replies and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mdm.replies[first]["Status"] == "Acknowledged"

        second = mdm.send("SecurityInfo")
        pushed = time.monotonic()
        ApnsPush.objects.create(token=virtual.push_token, apns_id="2", status=200, received_at=clock.now())
        wake.push_received(virtual.push_token)
        while second not in mdm.replies and time.monotonic() < pushed + 10:
            time.sleep(0.02)
        assert second in mdm.replies and time.monotonic() - pushed < 2
    finally:
        wake.stop()
    assert not ApnsPush.objects.filter(delivered_at__isnull=True).exists()

"""Apple's MDM protocol over real HTTP, driven by the device client of the tests
(tests/mdm/mdm_client.py, written from Apple's documentation): enrollment profile, SCEP,
Authenticate, TokenUpdate, every command kind answered (Acknowledged, Error, NotNow,
CommandFormatError), and the refusals. Every plist the portal emits is validated against
Apple's schemas."""

from __future__ import annotations

import base64
import plistlib
import uuid
from typing import Any

import pytest
import requests
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from asm_portal import clock
from asm_portal.models import AuditEvent, Tenant
from asm_portal.tenancy import tenant_scope
from devices.models import Device, EnrollmentState, ProfileStatus
from mdm import commands, selectors
from mdm.models import (
    CommandStatus,
    DeviceAction,
    DeviceActionState,
    DeviceCommand,
    ManagedDevice,
    ManagementState,
)
from tests.devices.conftest import devices_create, enrollment_setup_create
from tests.mdm import apple_schema
from tests.mdm.mdm_client import MdmDevice, ScepClient, signed_data
from tests.tokens.conftest import push_certificate, push_portal  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def identity_keys() -> list[rsa.RSAPrivateKey]:
    return [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]


@pytest.fixture
def portal(live_server, settings, device_ca, push_certificate, monkeypatch):  # noqa: F811
    settings.PORTAL_BASE_URL = live_server.url
    # No APNs in these tests (tests/mdm/test_apns.py has them): record the pushes asked.
    pushed: list[list[int]] = []
    from mdm import tasks

    monkeypatch.setattr(tasks, "devices_push_enqueue", lambda *, device_ids: pushed.append(device_ids))
    return live_server.url


def machine_info(vdev, **extra: Any) -> bytes:
    info = {
        "UDID": vdev.udid,
        "SERIAL": vdev.serial_number,
        "PRODUCT": "iPad13,18",
        "VERSION": "22B83",
        "OS_VERSION": "18.1",
        "LANGUAGE": "en",
        **extra,
    }
    return signed_data(plistlib.dumps(info), vdev.certificate, vdev.key)


def signed_profile(body: bytes) -> dict[str, Any]:
    """The .mobileconfig of a signed profile, whose signature is checked with the tenant CA whose
    root it carries."""
    signed = cms.ContentInfo.load(body)["content"]
    content = signed["encap_content_info"]["content"].native
    profile: dict[str, Any] = plistlib.loads(content)
    [root] = [p for p in profile["PayloadContent"] if p["PayloadType"] == "com.apple.security.root"]
    ca = x509.load_der_x509_certificate(root["PayloadContent"])
    signer = signed["signer_infos"][0]
    key = ca.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        signer["signature"].native,
        b"\x31" + signer["signed_attrs"].dump()[1:],
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    return profile


def fetch_profile(url: str, body: bytes) -> tuple[requests.Response, dict[str, Any] | None]:
    response = requests.post(
        url, data=body, headers={"Content-Type": "application/pkcs7-signature"}, timeout=30
    )
    if response.status_code != 200:
        return response, None
    assert response.headers["Content-Type"] == "application/x-apple-aspen-config"
    return response, signed_profile(response.content)


def device_from_profile(
    profile: dict[str, Any], *, udid: str, serial_number: str, key: rsa.RSAPrivateKey, digest: str = "sha256"
) -> tuple[MdmDevice, dict[str, Any]]:
    """What a device does with its enrollment profile: SCEP with the profile's subject and
    challenge, then the MDM payload's URLs with the identity it got."""
    assert apple_schema.validate_profile(profile) == []
    payloads = {p["PayloadType"]: p for p in profile["PayloadContent"]}
    scep_payload, mdm_payload = payloads["com.apple.security.scep"], payloads["com.apple.mdm"]
    assert mdm_payload["IdentityCertificateUUID"] == scep_payload["PayloadUUID"]
    settings_ = scep_payload["PayloadContent"]
    subject = x509.Name(
        [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(
                        x509.ObjectIdentifier({"CN": "2.5.4.3", "O": "2.5.4.10"}.get(oid, oid)), value
                    )
                ]
            )
            for [[oid, value]] in settings_["Subject"]
        ]
    )
    _response, rep = ScepClient(settings_["URL"]).request(
        key=key, subject=subject, challenge=settings_["Challenge"]
    )
    assert rep is not None and rep.status == "0" and rep.certificate is not None
    device = MdmDevice(
        udid=udid,
        serial_number=serial_number,
        key=key,
        certificate=rep.certificate,
        checkin_url=mdm_payload["CheckInURL"],
        server_url=mdm_payload["ServerURL"],
        topic=mdm_payload["Topic"],
        digest=digest,
    )
    return device, mdm_payload


def enroll(
    portal_url: str, setup, vdev, key: rsa.RSAPrivateKey, *, digest: str = "sha256"
) -> tuple[MdmDevice, dict[str, Any]]:
    response, profile = fetch_profile(f"{portal_url}/enroll/{setup.token.pk}/", machine_info(vdev))
    assert response.status_code == 200, response.text
    assert profile is not None
    return device_from_profile(
        profile, udid=vdev.udid, serial_number=vdev.serial_number, key=key, digest=digest
    )


def run_commands(device: MdmDevice, answer) -> list[dict[str, Any]]:
    """Idle, then answer every command the server gives until it answers an empty 200."""
    seen = []
    command = device.command_of(device.report("Idle"))
    while command is not None:
        assert apple_schema.validate_command(command) == [], command
        seen.append(command)
        status, fields = answer(command)
        command = device.command_of(device.report(status, command["CommandUUID"], **fields))
    return seen


def inventory_answer(command: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = command["Command"]["RequestType"]
    if kind == "DeviceInformation":
        return "Acknowledged", {
            "QueryResponses": {
                "DeviceName": "iPad de Ora",
                "OSVersion": "18.1",
                "ModelName": "iPad",
                "SerialNumber": "x",
            }
        }
    if kind == "SecurityInfo":
        return "Acknowledged", {"SecurityInfo": {"PasscodePresent": False, "HardwareEncryptionCaps": 3}}
    if kind == "ProfileList":
        return "Acknowledged", {"ProfileList": [{"PayloadIdentifier": commands.MDM_PROFILE_IDENTIFIER}]}
    if kind == "InstalledApplicationList":
        return "Acknowledged", {
            "InstalledApplicationList": [{"Identifier": "com.apple.mobilesafari", "Name": "Safari"}]
        }
    return "Acknowledged", {}


@pytest.mark.parametrize("digest", ["sha256", "sha1"])
def test_enroll_authenticate_token_update_and_await_configuration(
    portal, virtual_device, identity_keys, digest
) -> None:
    setup = enrollment_setup_create()
    vdev = virtual_device(setup.device.serial_number)
    device, mdm_payload = enroll(portal, setup, vdev, identity_keys[0], digest=digest)
    assert mdm_payload["Topic"].startswith("com.apple.mgmt.")
    assert mdm_payload["SignMessage"] is True and mdm_payload["CheckOutWhenRemoved"] is True
    assert mdm_payload["ServerCapabilities"] == []  # not a Shared iPad

    for message in ({"MessageType": "Authenticate", "UDID": device.udid, "Topic": device.topic},):
        assert apple_schema.validate_checkin(message) == []
    assert device.authenticate().status_code == 200
    managed = ManagedDevice.objects.get(udid=vdev.udid)
    assert managed.serial_number == setup.device.serial_number and managed.device_id == setup.device.pk
    setup.device.refresh_from_db()
    assert setup.device.enrollment_state == EnrollmentState.ENROLLED

    assert device.token_update(AwaitingConfiguration=True).status_code == 200
    managed.refresh_from_db()
    assert managed.push_token == device.token.hex() and managed.push_magic == device.push_magic
    assert (
        managed.awaiting_configuration and base64.b64decode(managed.unlock_token) == b"unlock-" + device.token
    )

    seen = run_commands(device, inventory_answer)
    kinds = [command["Command"]["RequestType"] for command in seen]
    assert kinds == [
        "DeviceInformation",
        "SecurityInfo",
        "ProfileList",
        "InstalledApplicationList",
        "InstallProfile",
        "DeviceConfigured",
    ]
    installed = plistlib.loads(seen[4]["Command"]["Payload"])
    assert installed["PayloadType"] == "Configuration"
    managed.refresh_from_db()
    assert managed.device_name == "iPad de Ora" and managed.security_info["HardwareEncryptionCaps"] == 3
    assert managed.installed_apps[0]["Identifier"] == "com.apple.mobilesafari"
    assert not managed.awaiting_configuration and managed.last_checkin_at is not None
    setup.device.refresh_from_db()
    assert setup.device.configured_at is not None
    assert setup.device.device_name == "iPad de Ora"  # what the device reports, in the grid


def test_every_command_kind_and_every_answer(portal, virtual_device, identity_keys) -> None:
    setup = enrollment_setup_create()
    vdev = virtual_device(setup.device.serial_number)
    device, _payload = enroll(portal, setup, vdev, identity_keys[0])
    device.authenticate()
    device.token_update()
    run_commands(device, inventory_answer)
    managed = ManagedDevice.objects.get(udid=vdev.udid)
    actions = {}
    catalogue: list[tuple[str, str, dict[str, Any]]] = [
        ("rename", "Settings", {"Settings": [{"Item": "DeviceName", "DeviceName": "Chariot 3 – 07"}]}),
        ("restart", "RestartDevice", {}),
        ("shutdown", "ShutDownDevice", {}),
        ("remote_lock", "DeviceLock", {"Message": "Rendez l’iPad à l’accueil"}),
        ("reset_passcode", "ClearPasscode", {"UnlockToken": commands.data(b"unlock")}),
        ("lost_mode_enable", "EnableLostMode", {"Message": "Perdu", "PhoneNumber": "+33 1 23 45 67 89"}),
        ("locate", "DeviceLocation", {}),
        ("lost_mode_disable", "DisableLostMode", {}),
        ("wipe", "EraseDevice", {"PreserveDataPlan": True}),
    ]
    for kind, request_type, payload in catalogue:
        action = DeviceAction.objects.create(
            tenant=managed.tenant, device=managed, kind=kind, requested_at=clock.now()
        )
        commands.command_enqueue(device=managed, request_type=request_type, payload=payload, action=action)
        actions[request_type] = action
    not_now_once = {"DeviceLock"}

    def answer(command: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kind = command["Command"]["RequestType"]
        if kind in not_now_once:
            not_now_once.discard(kind)
            return "NotNow", {}
        if kind == "ShutDownDevice":
            return "Error", {
                "ErrorChain": [
                    {
                        "ErrorCode": 12021,
                        "ErrorDomain": "MCMDMErrorDomain",
                        "LocalizedDescription": "Unsupported",
                        "USEnglishDescription": "Unsupported",
                    }
                ]
            }
        if kind == "DeviceLocation":
            return "CommandFormatError", {}
        return "Acknowledged", {}

    seen = run_commands(device, answer)
    assert [c["Command"]["RequestType"] for c in seen] == [
        "Settings",
        "RestartDevice",
        "ShutDownDevice",
        "DeviceLock",
        "ClearPasscode",
        "EnableLostMode",
        "DeviceLocation",
        "DisableLostMode",
        "EraseDevice",
    ]
    # NotNow: given again at the next Idle.
    again = run_commands(device, answer)
    assert [c["Command"]["RequestType"] for c in again] == ["DeviceLock"]
    states = {kind: DeviceAction.objects.get(pk=a.pk).state for kind, a in actions.items()}
    assert states["Settings"] == DeviceActionState.DONE
    assert states["ShutDownDevice"] == DeviceActionState.FAILED
    assert states["DeviceLocation"] == DeviceActionState.FAILED
    assert states["DeviceLock"] == DeviceActionState.DONE
    assert DeviceAction.objects.get(pk=actions["ShutDownDevice"].pk).failure_reason == "Unsupported"
    managed.refresh_from_db()
    assert managed.device_name == "Chariot 3 – 07"
    grid_row = Device.objects.get(pk=setup.device.pk)
    assert grid_row.device_name == "Chariot 3 – 07"
    assert grid_row.enrollment_state == EnrollmentState.NOT_CONTACTED  # erased by EraseDevice
    assert managed.management_state == ManagementState.WIPED and not managed.lost_mode_enabled
    assert device.command_of(device.report("Idle")) is None  # empty 200: nothing left


def test_retried_reply_changes_nothing_and_foreign_replies_are_refused(
    portal, virtual_device, identity_keys
) -> None:
    setup = enrollment_setup_create()
    [second_asm] = devices_create(
        setup.token,
        1,
        prefix="DMPQ",
        start=2,
        assigned_profile=setup.profile,
        apple_profile_uuid=setup.profile.apple_profile_uuid,
        profile_status=ProfileStatus.ASSIGNED,
    )
    first_v = virtual_device(setup.device.serial_number)
    second_v = virtual_device(second_asm.serial_number)
    first, _ = enroll(portal, setup, first_v, identity_keys[0])
    second, _ = enroll(portal, setup, second_v, identity_keys[1])
    for device in (first, second):
        device.authenticate()
        device.token_update()
        run_commands(device, inventory_answer)
    managed_first = ManagedDevice.objects.get(udid=first_v.udid)
    managed_second = ManagedDevice.objects.get(udid=second_v.udid)
    mine = commands.command_enqueue(device=managed_first, request_type="ProfileList")
    theirs = commands.command_enqueue(device=managed_second, request_type="ProfileList")
    given = first.command_of(first.report("Idle"))
    assert given is not None and given["CommandUUID"] == str(mine.command_uuid).upper()
    # The second device never sees the first's command, and cannot answer it.
    given_second = second.command_of(second.report("Idle"))
    assert given_second is not None and given_second["CommandUUID"] == str(theirs.command_uuid).upper()
    response = second.report("Acknowledged", str(mine.command_uuid).upper(), ProfileList=[])
    assert response.status_code == 400
    assert DeviceCommand.objects.get(pk=mine.pk).status == CommandStatus.SENT
    # Nor speak as the first device (its UDID with its own certificate).
    second_as_first = MdmDevice(**{**second.__dict__, "udid": first.udid})
    assert second_as_first.report("Idle").status_code == 400
    # A reply recorded, then retried: the same answer, nothing changed twice.
    assert first.command_of(first.report("Acknowledged", given["CommandUUID"], ProfileList=[])) is None
    finished = DeviceCommand.objects.get(pk=mine.pk)
    assert (
        first.command_of(first.report("Acknowledged", given["CommandUUID"], ProfileList=[{"x": 1}])) is None
    )
    assert (
        DeviceCommand.objects.get(pk=mine.pk).reply
        == finished.reply
        == {"Status": "Acknowledged", "CommandUUID": given["CommandUUID"], "ProfileList": []}
    )
    # A reply to a command never given: 400.
    assert first.report("Acknowledged", str(uuid.uuid4()).upper()).status_code == 400


def test_refusals_are_4xx_never_401_and_change_nothing(portal, virtual_device, identity_keys) -> None:
    setup = enrollment_setup_create()
    vdev = virtual_device(setup.device.serial_number)
    url = f"{portal}/enroll/{setup.token.pk}/"
    # Enrollment profile: malformed CMS, a signer not chained to Apple's device CA, an unknown serial.
    assert fetch_profile(url, b"not cms")[0].status_code == 400
    stranger_key = identity_keys[2]
    from tests.mdm.mdm_client import self_signed

    forged = signed_data(
        plistlib.dumps({"UDID": "X", "SERIAL": setup.device.serial_number}),
        self_signed(stranger_key, "forged"),
        stranger_key,
    )
    assert fetch_profile(url, forged)[0].status_code == 400
    unknown = virtual_device("DMPQ999999")
    assert fetch_profile(url, machine_info(unknown))[0].status_code == 403
    # The same serial at another tenant's token: not this tenant's device.
    fabrikam = Tenant.objects.create(initial_domain="fabrikam.onmicrosoft.com", display_name="Fabrikam")
    with tenant_scope(fabrikam):
        other = enrollment_setup_create(serial="FABR000001")
    assert fetch_profile(f"{portal}/enroll/{other.token.pk}/", machine_info(vdev))[0].status_code == 403

    device, _ = enroll(portal, setup, vdev, identity_keys[0])
    # Check-in before Authenticate binds the UDID: refused.
    assert device.token_update().status_code == 400
    assert device.authenticate().status_code == 200
    body = plistlib.dumps(
        {
            "MessageType": "TokenUpdate",
            "UDID": device.udid,
            "Topic": device.topic,
            "Token": b"t",
            "PushMagic": "m",
        }
    )
    checkin_type = "application/x-apple-aspen-mdm-checkin"
    cases: dict[str, tuple[bytes, dict[str, str]]] = {
        "wrong content type": (body, {"Mdm-Signature": device.signature(body), "Content-Type": "text/plain"}),
        "no signature": (body, {"Content-Type": checkin_type}),
        "signature over another body": (
            body,
            {"Mdm-Signature": device.signature(body + b" "), "Content-Type": checkin_type},
        ),
        "malformed plist": (
            b"<plist",
            {"Mdm-Signature": device.signature(b"<plist"), "Content-Type": checkin_type},
        ),
        "oversized": (b"x" * (3 * 1024 * 1024), {"Content-Type": checkin_type}),
    }
    for name, (data, headers) in cases.items():
        response = requests.put(device.checkin_url, data=data, headers=headers, timeout=30)
        assert 400 <= response.status_code < 500 and response.status_code != 401, (name, response.status_code)
    assert ManagedDevice.objects.get(udid=vdev.udid).push_token == ""
    # Unknown UDID, unknown MessageType, an unknown Status.
    assert MdmDevice(**{**device.__dict__, "udid": "UNKNOWN"}).token_update().status_code == 400
    assert device.checkin("Unheard").status_code == 400
    assert device.report("Sleeping").status_code == 400
    assert device.checkin("UserAuthenticate").status_code == 410
    # A certificate of another tenant's CA, even with the same UDID and a valid signature.
    with tenant_scope(fabrikam):
        from mdm import scep

        challenge = scep.scep_challenge_issue(serial_number=vdev.serial_number)
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.SERIAL_NUMBER, vdev.serial_number)])
    _r, rep = ScepClient(f"{portal}/enroll/{other.token.pk}/scep").request(
        key=identity_keys[1], subject=subject, challenge=challenge
    )
    assert rep is not None and rep.certificate is not None
    intruder = MdmDevice(**{**device.__dict__, "key": identity_keys[1], "certificate": rep.certificate})
    assert intruder.report("Idle").status_code == 400
    assert intruder.token_update().status_code == 400
    assert ManagedDevice.objects.get(udid=vdev.udid).push_token == ""


def test_a_device_without_a_profile_is_refused_and_recorded_failed(portal, virtual_device) -> None:
    """The 403 is answered, yet the device's row says « Failed » (NO_PROFILE), audited as the
    device: the administrator sees why it did not enroll."""
    setup = enrollment_setup_create()
    Device.objects.filter(pk=setup.device.pk).update(assigned_profile=None, apple_profile_uuid="")
    vdev = virtual_device(setup.device.serial_number)
    response, profile = fetch_profile(f"{portal}/enroll/{setup.token.pk}/", machine_info(vdev))
    assert response.status_code == 403 and profile is None
    device = Device.objects.get(pk=setup.device.pk)
    assert (device.enrollment_state, device.enrollment_error) == (EnrollmentState.FAILED, "NO_PROFILE")
    assert device.last_contacted_at is not None and device.udid == vdev.udid
    event = AuditEvent.objects.get(action="Enroll device")
    assert (event.category, event.result) == (AuditEvent.Category.ENROLLMENT, AuditEvent.Result.FAILURE)
    assert event.actor is None and event.actor_name == f"{vdev.serial_number} (device)"
    assert event.target_id == str(device.pk) and event.details["code"] == "NO_PROFILE"
    assert not ManagedDevice.objects.exists()


def test_shared_ipad_user_channel_and_checkout(portal, virtual_device, identity_keys) -> None:
    setup = enrollment_setup_create(shared_ipad=True)
    vdev = virtual_device(setup.device.serial_number)
    device, mdm_payload = enroll(portal, setup, vdev, identity_keys[0])
    assert mdm_payload["ServerCapabilities"] == ["com.apple.mdm.per-user-connections"]
    device.authenticate()
    device.token_update()
    # Apple's TokenUpdate on a Shared iPad's user channel: every user sends the same all-F UserID
    # ("no authentication will occur"), so each channel is kept by its UserShortName.
    all_f = "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"
    users = [
        {"UserShortName": "oklein@contoso.org", "UserID": all_f},
        {"UserShortName": "ada@contoso.org", "UserID": all_f},
    ]
    for index, user in enumerate(users):
        token, magic = bytes([index + 1]) * 32, f"user-magic-{index}"
        message = {
            "MessageType": "TokenUpdate",
            "UDID": device.udid,
            "Topic": device.topic,
            "Token": token,
            "PushMagic": magic,
            **user,
        }
        assert apple_schema.validate_checkin(message, shared_ipad=True) == []
        assert device.checkin("TokenUpdate", Token=token, PushMagic=magic, **user).status_code == 200
    managed = ManagedDevice.objects.get(udid=vdev.udid)
    assert managed.is_shared_ipad
    assert sorted(managed.user_channels) == ["ada@contoso.org", "oklein@contoso.org"]
    channel = managed.user_channels["oklein@contoso.org"]
    assert (channel["UserID"], channel["token"], channel["push_magic"]) == (all_f, "01" * 32, "user-magic-0")
    assert managed.push_magic == device.push_magic  # the device channel is untouched
    assert [user["name"] for user in selectors.shared_ipad_users(managed)] == [
        "ada@contoso.org",
        "oklein@contoso.org",
    ]
    user = users[0]
    assert device.command_of(device.report("Idle", **user)) is None
    # DeleteUser acknowledged: the user's partition, and so their channel, is gone.
    commands.commands_cancel_pending(device=managed)  # the enrollment's first commands
    delete = commands.command_enqueue(
        device=managed,
        request_type="DeleteUser",
        payload={"UserName": "Ada@contoso.org", "ForceDeletion": True},
    )
    sent = device.command_of(device.report("Idle"))
    assert sent is not None and sent["CommandUUID"] == str(delete.command_uuid).upper()
    assert device.command_of(device.report("Acknowledged", sent["CommandUUID"])) is None
    managed.refresh_from_db()
    assert sorted(managed.user_channels) == ["oklein@contoso.org"]
    # CheckOut: retired, its queue cancelled.
    queued = commands.command_enqueue(device=managed, request_type="RestartDevice")
    assert device.checkin("CheckOut").status_code == 200
    managed.refresh_from_db()
    assert managed.management_state == ManagementState.RETIRED
    assert DeviceCommand.objects.get(pk=queued.pk).status == CommandStatus.CANCELLED


def _kinds(seen: list[dict[str, Any]]) -> list[str]:
    return [command["Command"]["RequestType"] for command in seen]


def test_the_company_portal_is_installed_only_after_device_configured(
    portal, virtual_device, identity_keys
) -> None:
    """Intune: while the device awaits final configuration it gets its configuration and is
    released with DeviceConfigured; apps, the Company Portal included, come only after that."""
    setup = enrollment_setup_create(install_company_portal=True)
    vdev = virtual_device(setup.device.serial_number)
    device, _payload = enroll(portal, setup, vdev, identity_keys[0])
    device.authenticate()
    device.token_update(AwaitingConfiguration=True)
    managed = ManagedDevice.objects.get(udid=vdev.udid)
    # Before the release is acknowledged, nothing installs an app.
    seen: list[dict[str, Any]] = []
    command = device.command_of(device.report("Idle"))
    while command is not None and command["Command"]["RequestType"] != "DeviceConfigured":
        seen.append(command)
        status, fields = inventory_answer(command)
        command = device.command_of(device.report(status, command["CommandUUID"], **fields))
    assert command is not None
    assert "InstallApplication" not in _kinds(seen)
    assert not DeviceCommand.objects.filter(device=managed, request_type="InstallApplication").exists()
    # DeviceConfigured acknowledged: the Company Portal is queued and handed out next.
    after = device.command_of(device.report("Acknowledged", command["CommandUUID"]))
    assert after is not None and after["Command"]["RequestType"] == "InstallApplication"
    assert apple_schema.validate_command(after) == []
    assert after["Command"]["Identifier"] == commands.COMPANY_PORTAL_BUNDLE_ID
    assert after["Command"]["iTunesStoreID"] == commands.COMPANY_PORTAL_STORE_ID
    assert device.command_of(device.report("Acknowledged", after["CommandUUID"])) is None
    managed.refresh_from_db()
    assert not managed.awaiting_configuration


def test_a_device_that_does_not_await_gets_its_apps_after_its_configuration(
    portal, virtual_device, identity_keys
) -> None:
    setup = enrollment_setup_create(install_company_portal=True, await_final_configuration=False)
    vdev = virtual_device(setup.device.serial_number)
    device, _payload = enroll(portal, setup, vdev, identity_keys[0])
    device.authenticate()
    device.token_update()
    kinds = _kinds(run_commands(device, inventory_answer))
    assert "DeviceConfigured" not in kinds
    assert kinds.index("InstallProfile") < kinds.index("InstallApplication")
    setup.device.refresh_from_db()
    assert setup.device.configured_at is not None  # the configuration profile was installed


def test_without_install_company_portal_no_app_is_queued(portal, virtual_device, identity_keys) -> None:
    setup = enrollment_setup_create(install_company_portal=False)
    vdev = virtual_device(setup.device.serial_number)
    device, _payload = enroll(portal, setup, vdev, identity_keys[0])
    device.authenticate()
    device.token_update(AwaitingConfiguration=True)
    kinds = _kinds(run_commands(device, inventory_answer))
    assert kinds[-1] == "DeviceConfigured" and "InstallApplication" not in kinds


def test_with_modern_authentication_the_company_portal_always_follows_device_configured(
    portal, virtual_device, identity_keys
) -> None:
    setup = enrollment_setup_create(authentication_method="setup_assistant_modern")
    vdev = virtual_device(setup.device.serial_number)
    device, _payload = enroll(portal, setup, vdev, identity_keys[0])
    device.authenticate()
    device.token_update(AwaitingConfiguration=True)
    kinds = _kinds(run_commands(device, inventory_answer))
    assert kinds.index("DeviceConfigured") == kinds.index("InstallApplication") - 1

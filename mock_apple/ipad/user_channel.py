"""A Shared iPad's user channel (Apple's check-in protocol, TokenUpdate): when a Managed Apple
Account signs in, the iPad opens that user's own MDM channel with a TokenUpdate to the
CheckInURL, beside the device channel (which it does not touch).

What Apple's TokenUpdate documents for the user channel of a Shared iPad: `UserShortName` is the
Managed Apple Account, `UserID` is always FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF ("no
authentication will occur"), and the channel has its own `Token` and `PushMagic`; no
`UnlockToken` (not on Shared iPad) and no `UserLongName` (macOS only). The MDM profile must
carry `com.apple.mdm.per-user-connections` in ServerCapabilities (enrollment refuses a Shared
iPad profile without it).
"""

from __future__ import annotations

import hashlib
import uuid

from mock_apple.ipad.channel import exchange_log, mdm_put
from mock_apple.ipad.transport import DeviceHttp, Unreachable
from mock_apple.models import MdmExchange, Person, VirtualDevice

NO_AUTHENTICATION_USER_ID = "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"
PER_USER_CONNECTIONS = "com.apple.mdm.per-user-connections"


def user_token(virtual: VirtualDevice, short_name: str) -> bytes:
    """The user channel's push token: 32 bytes, stable for the user during one enrollment (it
    derives from the device channel's token, new at each enrollment)."""
    return hashlib.sha256(f"user-channel:{virtual.push_token}:{short_name.lower()}".encode()).digest()


def user_push_magic(virtual: VirtualDevice, short_name: str) -> str:
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"push-magic:{virtual.push_token}:{short_name.lower()}")
    ).upper()


def has_user_channels(virtual: VirtualDevice) -> bool:
    payload = virtual.mdm_payload or {}
    capabilities = payload.get("ServerCapabilities") or []
    return bool(virtual.enrolled and payload.get("ServerURL") and PER_USER_CONNECTIONS in capabilities)


def user_token_update_message(virtual: VirtualDevice, person: Person) -> dict[str, object]:
    short_name = str(person.managed_apple_id)
    return {
        "MessageType": "TokenUpdate",
        "UDID": virtual.udid,
        "Topic": str((virtual.mdm_payload or {}).get("Topic", "")),
        "UserShortName": short_name,
        "UserID": NO_AUTHENTICATION_USER_ID,
        "Token": user_token(virtual, short_name),
        "PushMagic": user_push_magic(virtual, short_name),
    }


def user_signed_in(virtual: VirtualDevice, person: Person) -> int:
    """The user's TokenUpdate on their channel, logged with the device's exchanges; returns the
    HTTP status (0: the server was not reached). The sign-in does not wait on the MDM: a
    refused or unreachable TokenUpdate leaves the user signed in (the next sign-in sends it
    again), as on an iPad."""
    if not has_user_channels(virtual):
        return 0
    message = user_token_update_message(virtual, person)
    try:
        with DeviceHttp() as http:
            status = mdm_put(virtual, http, message=message, checkin=True).status_code
    except Unreachable:
        status = 0
    exchange_log(
        virtual,
        kind=MdmExchange.Kind.CHECKIN,
        request_type="TokenUpdate",
        request=message,
        http_status=status,
    )
    return status

"""The enrollment program's objects in Microsoft Graph's shapes (beta): depOnboardingSetting,
depIOSEnrollmentProfile (profiles.graph), importedAppleDeviceIdentity."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Q

from devices.models import Device
from graph.odata import Column, ODataError
from tokens.models import EnrollmentProgramToken


def when(value: datetime | None) -> str | None:
    """A DateTimeOffset as Graph writes it (UTC, with Z)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


# --- depOnboardingSetting ----------------------------------------------------------------------


def token_json(token: EnrollmentProgramToken, synced_device_count: int) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.depOnboardingSetting",
        "id": str(token.pk),
        "appleIdentifier": token.apple_id,
        "tokenExpirationDateTime": when(token.expires_at),
        "lastModifiedDateTime": when(token.modified_at),
        "lastSuccessfulSyncDateTime": when(token.last_successful_sync_at),
        "lastSyncTriggeredDateTime": when(token.last_sync_requested_at),
        "shareTokenWithSchoolDataSyncService": token.shared_with_sds,
        # Graph's Int32 cannot hold Apple's error codes (T_C_NOT_SIGNED…): 0 when the last call to
        # Apple worked, 1 when it failed (the blade shows the code).
        "lastSyncErrorCode": 1 if token.last_sync_error_code else 0,
        "tokenType": token.token_type,
        "tokenName": token.token_name,
        "syncedDeviceCount": synced_device_count,
        "dataSharingConsentGranted": token.data_sharing_consent,
        "roleScopeTagIds": ["0"],
    }


TOKEN_PROPERTIES = frozenset(
    {
        "@odata.type",
        "id",
        "appleIdentifier",
        "tokenExpirationDateTime",
        "lastModifiedDateTime",
        "lastSuccessfulSyncDateTime",
        "lastSyncTriggeredDateTime",
        "shareTokenWithSchoolDataSyncService",
        "lastSyncErrorCode",
        "tokenType",
        "tokenName",
        "syncedDeviceCount",
        "dataSharingConsentGranted",
        "roleScopeTagIds",
    }
)


def tokens_json() -> list[dict[str, Any]]:
    tokens = EnrollmentProgramToken.objects.annotate(
        synced=Count("devices", filter=Q(devices__removed_by_apple=False))
    ).order_by("pk")
    return [token_json(token, token.synced) for token in tokens]


def token_synced_device_count(token: EnrollmentProgramToken) -> int:
    return Device.objects.filter(token=token, removed_by_apple=False).count()


# --- importedAppleDeviceIdentity ---------------------------------------------------------------

DEVICE_VALUES = (
    "pk",
    "serial_number",
    "description",
    "enrollment_state",
    "device_family",
    "last_contacted_at",
    "created_at",
    "removed_by_apple",
    "profile_assigned_at",
    "assigned_profile__public_id",
    "assigned_profile__supervised",
)

DEVICE_PROPERTIES = frozenset(
    {
        "@odata.type",
        "id",
        "serialNumber",
        "requestedEnrollmentProfileId",
        "requestedEnrollmentProfileAssignmentDateTime",
        "isSupervised",
        "discoverySource",
        "isDeleted",
        "createdDateTime",
        "lastContactedDateTime",
        "description",
        "enrollmentState",
        "platform",
    }
)


def _profile_uuid(value: Any) -> Any:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)  # matches nothing


def _boolean(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ODataError("Invalid filter clause: isDeleted takes true or false.")
    return value


def _device_pk(value: Any) -> Any:
    text = str(value)
    return int(text) if text.isdigit() and len(text) < 19 else -1


# Filterable and sortable properties and their columns (the grid's sortable fields).
DEVICE_COLUMNS = {
    "id": Column("pk", _device_pk),
    "serialNumber": Column("serial_number", lambda value: str(value).upper()),
    "description": Column("description"),
    "enrollmentState": Column("enrollment_state"),
    "requestedEnrollmentProfileId": Column("assigned_profile__public_id", _profile_uuid),
    "isDeleted": Column("removed_by_apple", _boolean),
    "lastContactedDateTime": Column("last_contacted_at", is_datetime=True),
    "requestedEnrollmentProfileAssignmentDateTime": Column("profile_assigned_at", is_datetime=True),
    "createdDateTime": Column("created_at", is_datetime=True),
}
DEVICE_FILTERABLE = frozenset(
    {"id", "serialNumber", "description", "enrollmentState", "requestedEnrollmentProfileId", "isDeleted"}
)
DEVICE_SORTABLE = frozenset(
    {
        "serialNumber",
        "description",
        "enrollmentState",
        "lastContactedDateTime",
        "requestedEnrollmentProfileAssignmentDateTime",
        "createdDateTime",
    }
)


def device_json(row: dict[str, Any]) -> dict[str, Any]:
    profile_id = row["assigned_profile__public_id"]
    return {
        "@odata.type": "#microsoft.graph.importedAppleDeviceIdentity",
        "id": str(row["pk"]),
        "serialNumber": row["serial_number"],
        "requestedEnrollmentProfileId": str(profile_id) if profile_id else None,
        "requestedEnrollmentProfileAssignmentDateTime": when(row["profile_assigned_at"]),
        "isSupervised": bool(row["assigned_profile__supervised"]),
        "discoverySource": "deviceEnrollmentProgram",
        "isDeleted": row["removed_by_apple"],
        "createdDateTime": when(row["created_at"]),
        "lastContactedDateTime": when(row["last_contacted_at"]),
        "description": row["description"],
        "enrollmentState": row["enrollment_state"],
        "platform": "macOS" if row["device_family"] == "Mac" else "ios",
    }

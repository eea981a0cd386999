"""Activation, Apple's side: what the activation service answers for a serial (the cloud
configuration of the profile assigned on its MDM server)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from mock_apple import clock
from mock_apple.db import DB
from mock_apple.dep_views import FLAG_DEFAULTS
from mock_apple.models import (
    Device,
    DeviceEvent,
    MdmServer,
    Profile,
)


@dataclass(frozen=True)
class Activation:
    configuration: dict[str, Any] | None
    mdm_server: str
    reason: str | None
    enrollment_url: str


def activation_for(device: Device) -> Activation:
    """What Apple's activation service answers for a serial: the cloud configuration of the
    profile assigned on its MDM server (marked pushed, as Apple does), or none and why."""
    # Apple's records as they are now, not as the caller loaded them.
    device = Device.objects.select_related("mdm_server__organization").get(pk=device.pk)
    server = device.mdm_server
    if device.disowned_at or server is None:
        return Activation(None, "", "NOT_ASSIGNED", "")
    profile = (
        Profile.objects.filter(mdm_server=server, profile_uuid=device.profile_uuid).first()
        if device.profile_uuid
        else None
    )
    if profile is None:
        return Activation(None, server.name, "NO_PROFILE", server_enrollment_url(server))
    configuration = {
        **FLAG_DEFAULTS,
        **profile.data,
        "profile_uuid": profile.profile_uuid,
        "organization_name": server.organization.name,
    }
    now = clock.now()
    with transaction.atomic(using=DB):
        Device.objects.filter(pk=device.pk).update(
            profile_status=Device.ProfileStatus.PUSHED, profile_push_time=now
        )
        # A later sync of the MDM server reports the new status.
        DeviceEvent.objects.create(mdm_server=server, device=device, op_type="modified", op_date=now)
    return Activation(configuration, server.name, None, server_enrollment_url(server))


def server_enrollment_url(server: MdmServer) -> str:
    """The `url` of the last profile defined on the MDM server: a device assigned there without a
    profile still reports to it, so that the MDM can record the failure."""
    url = (
        Profile.objects.filter(mdm_server=server).order_by("-id").values_list("data__url", flat=True).first()
    )
    return str(url or "")

"""The Company Portal app on enrolled devices (portal side): sign in, my devices, company apps.

The article: devices enrolled with user affinity can install and run the Company Portal to
download apps and manage devices; without user affinity, the apps that need it — the Company
Portal included — do not work. With the Company Portal authentication method, enrollment is
userless until the user signs in to the app: that sign-in binds the user to the device.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock
from asm_portal.models import AuditEvent
from asm_portal.refusals import Refusal
from asm_portal.services import audit_record
from devices.models import ENROLLED_STATES, Device
from mdm.commands import command_enqueue, install_application_payload
from mdm.configuration import has_company_portal
from mdm.models import DeviceAppInstall, DirectoryUser, ManagedDevice, ManagementState
from profiles.choices import AuthMethod

CATALOGUE = Path(__file__).resolve().parent / "data" / "company_apps.json"
# The catalogue's categories, stored in English and translated when shown.
CATEGORIES = (
    gettext_noop("Productivity"),
    gettext_noop("Communication"),
    gettext_noop("Music"),
    gettext_noop("Photo & Video"),
    gettext_noop("Education"),
)


@dataclass(frozen=True)
class CompanyApp:
    bundle_id: str
    name: str
    publisher: str
    category: str
    color: str
    glyph: str


@cache
def company_apps() -> tuple[CompanyApp, ...]:
    """The company's app catalogue (mdm/data/company_apps.json)."""
    return tuple(CompanyApp(**item) for item in json.loads(CATALOGUE.read_text(encoding="utf-8")))


def company_app(bundle_id: str) -> CompanyApp | None:
    return next((app for app in company_apps() if app.bundle_id == bundle_id), None)


class CompanyPortalRefused(Refusal):
    """The Company Portal does not work on this device, or not for this user."""


def company_portal_device(serial: str) -> Device:
    """The enrolled device the app runs on, if the Company Portal works on it."""
    device = (
        Device.objects.filter(
            serial_number=serial, removed_by_apple=False, enrollment_state__in=ENROLLED_STATES
        )
        .select_related("enrolled_profile")
        .order_by("-enrolled_at")
        .first()
        if serial
        else None
    )
    if device is None:
        raise CompanyPortalRefused(
            _("This device isn't managed by your organization. The Company Portal works on enrolled devices.")
        )
    profile = device.enrolled_profile
    if profile is None or not has_company_portal(profile):
        raise CompanyPortalRefused(
            _(
                "This device was enrolled without user affinity. Apps that require user affinity, "
                "including the Company Portal app used to install line-of-business apps, don't work on it."
            )
        )
    return device


def company_portal_sign_in(*, device: Device, user: DirectoryUser) -> Device:
    """The user signed in to the app on the device. With Company Portal authentication, the
    first sign-in binds the user to the device (it completes the enrollment)."""
    with transaction.atomic():
        device = (
            Device.objects.select_for_update(of=("self",))
            .select_related("enrolled_profile")
            .get(pk=device.pk)
        )
        if device.enrolled_user_name and device.enrolled_user_name.lower() != user.upn.lower():
            raise CompanyPortalRefused(
                _("This device is enrolled to another user. Sign in with the account of the device's user.")
            )
        profile = device.enrolled_profile
        if (
            not device.enrolled_user_name
            and profile
            and profile.authentication_method == AuthMethod.COMPANY_PORTAL
        ):
            device.enrolled_user_name = user.upn
            device.updated_at = clock.now()
            device.save(update_fields=["enrolled_user_name", "updated_at"])
            ManagedDevice.objects.filter(device=device).update(user_principal_name=user.upn)
            audit_record(
                actor=None,
                actor_name=user.upn,
                category=AuditEvent.Category.ENROLLMENT,
                action=gettext_noop("Company Portal: register device user"),
                target=device,
                details={"user": user.upn},
            )
        elif not device.enrolled_user_name:
            # Setup Assistant authentication should have given the device its user.
            raise CompanyPortalRefused(_("This device has no user. Erase it and set it up again."))
    return device


def my_devices(user: DirectoryUser) -> QuerySet[Device]:
    return Device.objects.filter(
        enrolled_user_name__iexact=user.upn, enrollment_state__in=ENROLLED_STATES, removed_by_apple=False
    ).order_by("device_name", "serial_number")


def installed_bundle_ids(device: Device) -> set[str]:
    return set(DeviceAppInstall.objects.filter(device=device).values_list("bundle_id", flat=True))


def company_app_install(*, device: Device, user: DirectoryUser, bundle_id: str) -> DeviceAppInstall:
    """Install: recorded on the device; its next check-in puts the app on the home screen."""
    app = company_app(bundle_id)
    if app is None:
        raise CompanyPortalRefused(_("This app is not in your organization's catalogue."))
    if device.enrolled_user_name.lower() != user.upn.lower():
        raise CompanyPortalRefused(_("You can install apps only on your own devices."))
    existing = DeviceAppInstall.objects.filter(device=device, bundle_id=app.bundle_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            install = DeviceAppInstall.objects.create(
                device=device,
                bundle_id=app.bundle_id,
                name=app.name,
                installed_by=user,
                installed_at=clock.now(),
            )
            audit_record(
                actor=None,
                actor_name=user.upn,
                category=AuditEvent.Category.ENROLLMENT,
                action=gettext_noop("Company Portal: install app"),
                target=device,
                details={"bundle_id": app.bundle_id},
            )
            # The MDM installs it: InstallApplication, the device woken by a push.
            managed = ManagedDevice.objects.filter(
                device=device, management_state=ManagementState.MANAGED
            ).first()
            if managed is not None:
                command_enqueue(
                    device=managed,
                    request_type="InstallApplication",
                    payload=install_application_payload(bundle_id=app.bundle_id),
                )
    except IntegrityError:  # installed twice at once: the first one stands
        return DeviceAppInstall.objects.get(device=device, bundle_id=app.bundle_id)
    return install

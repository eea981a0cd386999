"""Apple's side: an Apple School Manager organisation, its inventory and its MDM servers.

These tables live in the `apple` database (see asm_portal.routers); the portal never reads
them, it only talks to the mock over HTTP.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """An Apple School Manager (or Apple Business Manager) organisation."""

    class OrgType(models.TextChoices):
        EDU = "edu", _("Education")
        ORG = "org", _("Business")

    name = models.CharField(max_length=200)
    org_id = models.CharField(max_length=32, unique=True)
    email = models.EmailField()
    phone = models.CharField(max_length=50, blank=True)
    address = models.CharField(max_length=300, blank=True)
    domain = models.CharField(max_length=200, help_text=_("The organisation's verified domain."))
    org_type = models.CharField(max_length=8, choices=OrgType.choices, default=OrgType.EDU)
    # v1 = legacy programmes (DEP), v2 = Apple School Manager / Apple Business Manager.
    org_version = models.CharField(max_length=4, default="v2")
    # The published terms and the version the administrator accepted. The API answers
    # T_C_NOT_SIGNED while they differ.
    terms_version = models.PositiveIntegerField(default=1)
    terms_accepted_version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name

    @property
    def terms_accepted(self) -> bool:
        return self.terms_accepted_version >= self.terms_version


class AppleAccount(models.Model):
    """Someone who signs in to the mock Apple School Manager portal."""

    class Role(models.TextChoices):
        ADMINISTRATOR = "administrator", _("Administrator")
        SITE_MANAGER = "site_manager", _("Site Manager")
        DEVICE_ENROLLMENT_MANAGER = (
            "device_enrollment_manager",
            _("Device Enrollment Manager"),
        )

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="accounts")
    apple_id = models.EmailField(unique=True)
    password = models.CharField(max_length=200)  # a Django password hash
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.ADMINISTRATOR)

    def __str__(self) -> str:
        return self.apple_id


class PurchaseOrder(models.Model):
    """An order of devices; ASM lets admins pick devices by order number."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="orders")
    order_number = models.CharField(max_length=64)
    order_date = models.DateField()
    supplier = models.CharField(max_length=100, default="Apple")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "order_number"], name="unique_order_number")
        ]

    def __str__(self) -> str:
        return self.order_number


class MdmServer(models.Model):
    """An MDM server as the ASM administrator registered it ("Add MDM server")."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="mdm_servers")
    name = models.CharField(max_length=200)
    server_uuid = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_mdm_server_name")
        ]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """A device the organisation bought, with the fields Apple's DEP API reports."""

    class ProfileStatus(models.TextChoices):
        EMPTY = "empty", _("Empty")
        ASSIGNED = "assigned", _("Assigned")
        PUSHED = "pushed", _("Pushed")
        REMOVED = "removed", _("Removed")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="devices")
    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="devices")
    serial_number = models.CharField(max_length=20, unique=True)
    model = models.CharField(max_length=100)
    description = models.CharField(max_length=200)
    color = models.CharField(max_length=50)
    asset_tag = models.CharField(max_length=50, blank=True)
    device_family = models.CharField(max_length=20)  # iPad, iPhone, Mac, AppleTV
    os = models.CharField(max_length=20)  # iOS, iPadOS (protocol >= 7), OSX, tvOS
    mdm_server = models.ForeignKey(
        MdmServer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
    )
    device_assigned_date = models.DateTimeField(null=True, blank=True)
    device_assigned_by = models.CharField(max_length=254, blank=True)
    profile_uuid = models.CharField(max_length=32, blank=True)
    profile_status = models.CharField(
        max_length=16, choices=ProfileStatus.choices, default=ProfileStatus.EMPTY
    )
    profile_assign_time = models.DateTimeField(null=True, blank=True)
    profile_push_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["mdm_server", "id"])]

    def __str__(self) -> str:
        return self.serial_number

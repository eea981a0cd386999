"""What the device-facing server keeps: the tenant's directory users and the apps the Company
Portal installed on enrolled devices (the devices themselves are the devices app's)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from asm_portal.models import TenantScopedManager, tenant_field
from devices.models import Device


class DirectoryUser(models.Model):
    """A user of the tenant's directory (Microsoft Entra ID): who signs in on a device.

    Not a portal account: directory users cannot sign in to the admin center, only to Setup
    Assistant's web view and the Company Portal app.
    """

    tenant = tenant_field()
    upn = models.CharField(_("User principal name"), max_length=254)
    display_name = models.CharField(_("Display name"), max_length=200)
    job_title = models.CharField(_("Job title"), max_length=100, blank=True)
    password = models.CharField(max_length=128)  # a Django password hash, never the password
    enabled = models.BooleanField(_("Account enabled"), default=True)
    created_at = models.DateTimeField()

    objects = TenantScopedManager()

    class Meta:
        ordering = ["display_name", "upn"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "upn"], name="unique_directory_upn_per_tenant")
        ]

    def __str__(self) -> str:
        return self.upn


class DeviceAppInstall(models.Model):
    """An app the Company Portal installed on a device (the check-in hands the list to it)."""

    tenant = tenant_field()
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="app_installs")
    bundle_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    installed_by = models.ForeignKey(
        DirectoryUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    installed_at = models.DateTimeField()

    objects = TenantScopedManager()

    class Meta:
        ordering = ["installed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["device", "bundle_id"], name="unique_app_install_per_device")
        ]

    def __str__(self) -> str:
        return f"{self.bundle_id} on {self.device_id}"

"""Microsoft Entra app registrations, the part of Entra ID that Microsoft Graph needs.

An application (client) is registered in a tenant, holds client secrets (stored as a SHA-256
digest: a secret is 40 random characters, so a slow hash would only slow the token endpoint
without protecting anything more) and optional certificates, and is granted one of the two
application permissions of the enrollment program with an administrator's consent. The keys
that sign the access tokens are the tenant's own, encrypted at rest.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from asm_portal.models import TenantScopedManager, tenant_field
from encrypted_fields import EncryptedTextField

READ_ROLE = "DeviceManagementServiceConfig.Read.All"
READ_WRITE_ROLE = "DeviceManagementServiceConfig.ReadWrite.All"


class Permission(models.TextChoices):
    READ = "Read", READ_ROLE
    READ_WRITE = "ReadWrite", READ_WRITE_ROLE


# Intune's managed devices (Graph's deviceManagement/managedDevices): reads need Read.All or
# ReadWrite.All, the remote actions PrivilegedOperations.All (wipe and retire also accept
# ReadWrite.All), DELETE ReadWrite.All — as each Graph page lists.
DEVICES_READ_ROLE = "DeviceManagementManagedDevices.Read.All"
DEVICES_READ_WRITE_ROLE = "DeviceManagementManagedDevices.ReadWrite.All"
DEVICES_PRIVILEGED_ROLE = "DeviceManagementManagedDevices.PrivilegedOperations.All"
DEVICE_ROLES = (DEVICES_READ_ROLE, DEVICES_READ_WRITE_ROLE, DEVICES_PRIVILEGED_ROLE)


class AppRegistration(models.Model):
    """An application registered in the tenant (Entra "App registrations")."""

    tenant = tenant_field()
    client_id = models.UUIDField(
        _("Application (client) ID"), default=uuid.uuid4, unique=True, editable=False
    )
    display_name = models.CharField(_("Display name"), max_length=120)
    permission = models.CharField(_("API permission"), max_length=16, choices=Permission.choices)
    # The managed-device permissions (DEVICE_ROLES) the app asks for besides, none by default.
    device_permissions = models.JSONField(_("Managed device permissions"), default=list, blank=True)
    # Application permissions take effect only once an administrator consents for the tenant.
    consent_granted_at = models.DateTimeField(null=True, blank=True)
    consent_granted_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenantScopedManager()

    class Meta:
        ordering = ["display_name", "id"]
        verbose_name = _("app registration")
        verbose_name_plural = _("app registrations")

    def __str__(self) -> str:
        return self.display_name

    @property
    def role(self) -> str:
        return READ_WRITE_ROLE if self.permission == Permission.READ_WRITE else READ_ROLE

    @property
    def granted_roles(self) -> list[str]:
        """The roles an access token of this app carries: none until an administrator consents."""
        return [self.role, *self.device_roles] if self.consent_granted_at else []

    @property
    def device_roles(self) -> list[str]:
        asked = set(self.device_permissions or ())
        return [role for role in DEVICE_ROLES if role in asked]


class ClientSecret(models.Model):
    """A client secret: its value is shown once, when it is added; only its digest stays."""

    tenant = tenant_field()
    app = models.ForeignKey(AppRegistration, on_delete=models.CASCADE, related_name="secrets")
    secret_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    description = models.CharField(_("Description"), max_length=120, blank=True)
    # The first three characters, as Entra shows them ("abc*******").
    hint = models.CharField(max_length=3)
    secret_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(_("Expires"))

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.hint}*** ({self.description})"


class AppCertificate(models.Model):
    """A certificate uploaded to the app: a client assertion signed with its key authenticates."""

    tenant = tenant_field()
    app = models.ForeignKey(AppRegistration, on_delete=models.CASCADE, related_name="certificates")
    # SHA-1 of the DER, as Entra shows it and as a client assertion's x5t names it.
    thumbprint = models.CharField(max_length=40)
    certificate_pem = models.TextField()
    subject = models.CharField(max_length=500)
    not_after = models.DateTimeField()
    uploaded_at = models.DateTimeField()

    objects = TenantScopedManager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["app", "thumbprint"], name="unique_certificate_per_app")
        ]

    def __str__(self) -> str:
        return self.thumbprint


class SigningKey(models.Model):
    """The RSA key that signs the tenant's access tokens (published at discovery/v2.0/keys)."""

    tenant = tenant_field()
    kid = models.CharField(max_length=64, unique=True)
    private_key = EncryptedTextField()
    public_jwk = models.JSONField()
    created_at = models.DateTimeField()

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.kid

"""What the device-facing server keeps: the tenant's directory users and the apps the Company
Portal installed on enrolled devices (the devices themselves are the devices app's)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from asm_portal.models import TenantScopedManager, tenant_field
from devices.models import Device
from encrypted_fields import EncryptedTextField


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


# --- The Apple MDM server (issue 22) -------------------------------------------------------------


class ManagementState(models.TextChoices):
    """Graph's managedDevice.managementState values the portal uses."""

    MANAGED = "managed", _("Managed")
    RETIRE_PENDING = "retirePending", _("Retire pending")
    RETIRED = "retired", _("Retired")
    WIPE_PENDING = "wipePending", _("Wipe pending")
    WIPED = "wiped", _("Wiped")
    DELETE_PENDING = "deletePending", _("Delete pending")


class ManagedDevice(models.Model):
    """An iPad enrolled into this tenant's MDM server (Intune's / Graph's managedDevice).

    Created when the device first authenticates (check-in `Authenticate`) with an identity
    certificate the tenant's CA issued; `identity_sha256` is that certificate's fingerprint, and
    every later request must be signed with it.
    """

    tenant = tenant_field()
    udid = models.CharField(_("UDID"), max_length=64)
    device = models.OneToOneField(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_device"
    )
    serial_number = models.CharField(_("Serial number"), max_length=32, db_index=True)
    device_name = models.CharField(_("Device name"), max_length=255, blank=True)
    model_name = models.CharField(_("Model"), max_length=100, blank=True)
    product_name = models.CharField(_("Product name"), max_length=32, blank=True)
    os_version = models.CharField(_("OS version"), max_length=16, blank=True)
    build_version = models.CharField(_("Build version"), max_length=16, blank=True)
    is_supervised = models.BooleanField(_("Supervised"), default=True)
    is_shared_ipad = models.BooleanField(_("Shared iPad"), default=False)
    user_principal_name = models.CharField(_("Primary user UPN"), max_length=254, blank=True)
    management_state = models.CharField(
        _("Management state"), max_length=16, choices=ManagementState, default=ManagementState.MANAGED
    )
    awaiting_configuration = models.BooleanField(_("Awaiting final configuration"), default=False)
    enrolled_at = models.DateTimeField(_("Enrolled"))
    last_checkin_at = models.DateTimeField(_("Last check-in"), null=True, blank=True)
    push_token = models.CharField(max_length=128, blank=True)  # hex of the device's APNs token
    push_magic = models.CharField(max_length=64, blank=True)
    push_topic = models.CharField(max_length=255, blank=True)
    unlock_token = EncryptedTextField(blank=True)  # base64 of the device's UnlockToken
    identity_sha256 = models.CharField(max_length=64, blank=True)
    # Shared iPad: the user channels' TokenUpdates, keyed by UserID.
    user_channels = models.JSONField(default=dict, blank=True)
    inventory = models.JSONField(default=dict, blank=True)  # DeviceInformation's QueryResponses
    security_info = models.JSONField(default=dict, blank=True)
    installed_profiles = models.JSONField(default=list, blank=True)
    installed_apps = models.JSONField(default=list, blank=True)
    lost_mode_enabled = models.BooleanField(_("Lost mode"), default=False)
    # The device's answer to ActivationLockBypassCode (Disable Activation Lock): a secret that
    # clears Activation Lock, so encrypted at rest and kept out of the command's stored reply.
    activation_lock_bypass_code = EncryptedTextField(blank=True)
    activation_lock_bypass_code_at = models.DateTimeField(null=True, blank=True)
    last_push_at = models.DateTimeField(null=True, blank=True)
    last_push_error = models.CharField(max_length=200, blank=True)
    push_failures = models.PositiveIntegerField(default=0)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["device_name", "serial_number", "id"]
        verbose_name = _("managed device")
        verbose_name_plural = _("managed devices")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "udid"], name="unique_managed_device_udid_per_tenant")
        ]
        # The Devices blade at 200,000 devices (benchmarks/managed_devices_list.py): its two orders
        # (device name, Intune's default; last check-in), and its count by management state. The
        # prefix searches' indexes are PostgreSQL's own (migration 0007).
        indexes = [
            models.Index(fields=["tenant", "device_name", "serial_number", "id"], name="mdm_device_name"),
            models.Index(
                fields=["tenant", "last_checkin_at", "serial_number", "id"], name="mdm_device_checkin"
            ),
            models.Index(fields=["tenant", "management_state"], name="mdm_device_state"),
        ]

    def __str__(self) -> str:
        return self.device_name or self.serial_number


class DeviceActionState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class DeviceAction(models.Model):
    """One remote action asked on one device (a row of Intune's Monitor › Device actions); carried
    out by one or more DeviceCommands, whose replies decide its state."""

    tenant = tenant_field()
    device = models.ForeignKey(ManagedDevice, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=32)
    state = models.CharField(max_length=16, choices=DeviceActionState, default=DeviceActionState.PENDING)
    parameters = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("device action")
        verbose_name_plural = _("device actions")
        # Monitor › Device actions (newest first) and the daily caps (a tenant's actions of a kind
        # since midnight).
        indexes = [
            models.Index(fields=["tenant", "-requested_at", "-id"], name="mdm_action_requested"),
            models.Index(fields=["tenant", "kind", "requested_at"], name="mdm_action_kind_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.device_id}"


class CommandStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ERROR = "error", _("Error")
    NOT_NOW = "not_now", _("Not now")
    CANCELLED = "cancelled", _("Cancelled")


class DeviceCommand(models.Model):
    """One MDM command in a device's durable queue, and the device's reply to it."""

    tenant = tenant_field()
    device = models.ForeignKey(ManagedDevice, on_delete=models.CASCADE, related_name="commands")
    action = models.ForeignKey(
        DeviceAction, null=True, blank=True, on_delete=models.CASCADE, related_name="commands"
    )
    command_uuid = models.UUIDField(unique=True)
    request_type = models.CharField(max_length=64)
    # The Command dictionary's keys besides RequestType (bytes as {"$data": base64}).
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=CommandStatus, default=CommandStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reply = models.JSONField(null=True, blank=True)
    error_chain = models.JSONField(null=True, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["queued_at", "id"]
        verbose_name = _("device command")
        verbose_name_plural = _("device commands")
        indexes = [
            # The next command of a device (mdm.commands.command_next: ORDER BY queued_at, id
            # LIMIT 1 among its pending ones) read from the index in order, no sort, however
            # many commands it has queued or finished; finished commands leave the index.
            models.Index(
                fields=["device", "queued_at", "id"],
                name="mdm_command_pending",
                condition=models.Q(status__in=["queued", "sent", "not_now"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_type} {self.command_uuid}"


class CertificateAuthority(models.Model):
    """The tenant's own CA: it signs the enrollment profiles and, through SCEP, issues the device
    identity certificates. Created on first use; the key is encrypted at rest."""

    tenant = tenant_field()
    private_key = EncryptedTextField()
    certificate_pem = models.TextField()
    created_at = models.DateTimeField()

    objects = TenantScopedManager()

    class Meta:
        verbose_name = _("MDM certificate authority")
        verbose_name_plural = _("MDM certificate authorities")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_mdm_ca_per_tenant")]

    def __str__(self) -> str:
        return f"MDM CA of tenant {self.tenant_id}"


class ScepChallenge(models.Model):
    """A one-time SCEP challenge password, handed out in one device's enrollment profile."""

    tenant = tenant_field()
    challenge_sha256 = models.CharField(max_length=64, unique=True)  # never the challenge itself
    serial_number = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    certificate_serial = models.CharField(max_length=80, blank=True)  # of the certificate issued

    objects = TenantScopedManager()

    class Meta:
        verbose_name = _("SCEP challenge")
        verbose_name_plural = _("SCEP challenges")

    def __str__(self) -> str:
        return f"SCEP challenge for {self.serial_number}"


class IssuedCertificate(models.Model):
    """A device identity certificate the tenant's CA issued (found by its fingerprint when a
    device signs a request)."""

    tenant = tenant_field()
    sha256 = models.CharField(max_length=64, unique=True)
    serial = models.CharField(max_length=80)
    serial_number = models.CharField(max_length=32)  # the device's
    certificate_pem = models.TextField()
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    objects = TenantScopedManager()

    class Meta:
        verbose_name = _("device identity certificate")
        verbose_name_plural = _("device identity certificates")

    def __str__(self) -> str:
        return f"Identity certificate {self.serial}"


class PushFailure(models.Model):
    """A push the device did not get: APNs refused it or could not be reached, or the portal did
    not send it (no valid Apple MDM Push certificate). The Apple MDM Push certificate blade
    counts the recent ones by reason, as Intune shows; the device blade shows its last one.
    Kept PUSH_FAILURES_KEPT_DAYS (mdm.apns)."""

    tenant = tenant_field(db_index=False)
    device = models.ForeignKey(
        ManagedDevice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    failed_at = models.DateTimeField()
    status = models.PositiveSmallIntegerField()  # APNs' HTTP status; 0: no answer, or not sent
    reason = models.CharField(max_length=64)  # APNs' reason, or the portal's (mdm.apns.REASONS)
    retried = models.BooleanField(default=False)  # pushed again later (429, 5xx, unreachable)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-failed_at", "-id"]
        verbose_name = _("push failure")
        verbose_name_plural = _("push failures")
        indexes = [
            models.Index(fields=["tenant", "failed_at"], name="mdm_push_failure_recent"),
            models.Index(fields=["device", "-failed_at"], name="mdm_push_failure_device"),
        ]

    def __str__(self) -> str:
        return f"Push {self.status} {self.reason} at {self.failed_at:%Y-%m-%d %H:%M}"

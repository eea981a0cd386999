"""The Apple MDM Push certificate and the enrollment program tokens, as Intune keeps them.

Names follow Microsoft Graph: `applePushNotificationCertificate` and `depOnboardingSetting`.
Private keys and the four OAuth values are encrypted at rest (encrypted_fields).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from asm_portal import clock
from asm_portal.models import TenantScopedManager, tenant_field
from encrypted_fields import EncryptedTextField

# Intune warns from 30 days before an expiry (token and push certificate alike).
EXPIRING_WITHIN = timedelta(days=30)


class ExpiryStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRING = "expiring", _("Expiring")
    EXPIRED = "expired", _("Expired")
    ERROR = "error", _("Error")


def expiry_status(expires_at: datetime | None, now: datetime) -> ExpiryStatus:
    if expires_at is None or expires_at <= now:
        return ExpiryStatus.EXPIRED
    if expires_at - now <= EXPIRING_WITHIN:
        return ExpiryStatus.EXPIRING
    return ExpiryStatus.ACTIVE


class ApplePushCertificate(models.Model):
    """A certificate signing request for the Apple MDM Push certificate, then the certificate.

    A row starts when an administrator downloads the CSR: its RSA key stays here, encrypted.
    It becomes the tenant's certificate when the certificate Apple signed for that key is
    uploaded; the previous certificate and the other pending requests are then removed.
    """

    private_key = EncryptedTextField()
    public_key_sha256 = models.CharField(max_length=64, db_index=True)
    tenant = tenant_field()
    csr_pem = models.TextField()
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    certificate_pem = models.TextField(blank=True)
    apple_id = models.EmailField(blank=True)  # Graph appleIdentifier
    topic = models.CharField(max_length=255, blank=True)  # Graph topicIdentifier
    subject = models.CharField(max_length=1000, blank=True)
    serial_number = models.CharField(max_length=80, blank=True)  # Graph certificateSerialNumber
    not_before = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # Graph expirationDateTime
    uploaded_at = models.DateTimeField(null=True, blank=True)  # Graph lastModifiedDateTime

    objects = TenantScopedManager()

    class Meta:
        verbose_name = _("Apple MDM Push certificate")
        verbose_name_plural = _("Apple MDM Push certificates")

    def __str__(self) -> str:
        return self.topic or f"CSR {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def status(self) -> ExpiryStatus:
        return expiry_status(self.expires_at, clock.now())


class TokenEncryptionKey(models.Model):
    """The public key of one add-token or renew-token request (Graph getEncryptionPublicKey).

    An RSA-2048 key pair with a self-signed certificate: the administrator uploads the
    certificate (.pem) to the MDM server in Apple School Manager, Apple encrypts the server
    token to it, and the upload decrypts the .p7m with this private key. It is used once.
    """

    private_key = EncryptedTextField()
    tenant = tenant_field()
    certificate_pem = models.TextField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set for a renewal: the token whose new server token this key will decrypt.
    token = models.ForeignKey(
        "EnrollmentProgramToken",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="encryption_keys",
    )
    data_sharing_consent = models.BooleanField(default=False)

    objects = TenantScopedManager()

    class Meta:
        verbose_name = _("token public key")
        verbose_name_plural = _("token public keys")

    def __str__(self) -> str:
        return f"Public key {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


# The four OAuth values: loaded (and decrypted) only by the code that calls Apple.
SECRET_FIELDS = ("consumer_key", "consumer_secret", "access_token", "access_secret")


def token_secrets_via(relation: str) -> tuple[str, ...]:
    """The secrets seen through a relation, for `.defer()` after `select_related(relation)`:
    e.g. `Device.objects.select_related("token").defer(*token_secrets_via("token"))`."""
    return tuple(f"{relation}__{name}" for name in SECRET_FIELDS)


class TokenQuerySet(models.QuerySet["EnrollmentProgramToken"]):
    def with_secrets(self) -> TokenQuerySet:
        """Load the four OAuth values too: only the code that builds a DEP client needs them."""
        return self.defer(None)


class TokenManager(models.Manager["EnrollmentProgramToken"]):
    """Tokens without their secrets: blades, lists and relations never decrypt the OAuth values."""

    def get_queryset(self) -> TokenQuerySet:
        return TokenQuerySet(self.model, using=self._db).defer(*SECRET_FIELDS)

    def with_secrets(self) -> TokenQuerySet:
        return self.get_queryset().with_secrets()


if TYPE_CHECKING:
    _ScopedTokenManagerBase = TokenManager
else:
    _ScopedTokenManagerBase = type(ScopedManager(_manager_class=TokenManager, tenant="tenant"))


class ScopedTokenManager(_ScopedTokenManagerBase):
    """The current tenant's tokens, without their secrets (django-scopes over TokenManager)."""


class EnrollmentProgramToken(models.Model):
    """An enrollment program token (Graph depOnboardingSetting): one MDM server of Apple's.

    The token name is the MDM server's name in Apple School Manager; the four OAuth values
    of the server token are encrypted at rest, and the consumer key is also kept as a digest
    so that the same server token cannot be uploaded twice.
    """

    class TokenType(models.TextChoices):
        DEP = "dep", _("Device Enrollment Program")
        APPLE_SCHOOL_MANAGER = "appleSchoolManager", _("Apple School Manager")

    tenant = tenant_field()
    token_name = models.CharField(max_length=200)  # Apple's server_name
    apple_id = models.EmailField()  # Graph appleIdentifier, kept for the yearly renewal
    token_type = models.CharField(max_length=32, choices=TokenType.choices)
    org_name = models.CharField(max_length=200, blank=True)
    org_id = models.CharField(max_length=64, blank=True)
    server_uuid = models.CharField(max_length=64, unique=True)
    consumer_key = EncryptedTextField()
    consumer_key_sha256 = models.CharField(max_length=64, unique=True)
    consumer_secret = EncryptedTextField()
    access_token = EncryptedTextField()
    access_secret = EncryptedTextField()
    expires_at = models.DateTimeField()  # Graph tokenExpirationDateTime
    last_sync_requested_at = models.DateTimeField(null=True, blank=True)  # lastSyncTriggeredDateTime
    last_successful_sync_at = models.DateTimeField(null=True, blank=True)  # lastSuccessfulSyncDateTime
    # The Apple error code of the last failed call to Apple (empty when the last call worked).
    last_sync_error_code = models.CharField(max_length=64, blank=True)  # lastSyncErrorCode
    last_sync_error_at = models.DateTimeField(null=True, blank=True)
    data_sharing_consent = models.BooleanField(default=False)  # dataSharingConsentGranted
    shared_with_sds = models.BooleanField(default=False)  # shareTokenWithSchoolDataSyncService
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()  # Graph lastModifiedDateTime

    SECRET_FIELDS = SECRET_FIELDS  # on the class too, for the code that holds a token

    objects = ScopedTokenManager()

    class Meta:
        # Related access (device.token, profile.token) defers the secrets too.
        base_manager_name = "objects"
        ordering = ["token_name", "id"]
        verbose_name = _("enrollment program token")
        verbose_name_plural = _("enrollment program tokens")

    def __str__(self) -> str:
        return self.token_name

    def refresh_from_db(
        self, using: str | None = None, fields: Any = None, from_queryset: Any = None
    ) -> None:
        # Reading a deferred secret reloads it through the base manager, which defers the
        # secrets: ask for them, or Django would reload every column and overwrite unsaved ones.
        if from_queryset is None and fields is not None and set(fields) & set(SECRET_FIELDS):
            from_queryset = type(self).objects.with_secrets()
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    @property
    def status(self) -> ExpiryStatus:
        status = expiry_status(self.expires_at, clock.now())
        if status != ExpiryStatus.EXPIRED and self.last_sync_error_code:
            return ExpiryStatus.ERROR
        return status

    @property
    def is_apple_school_manager(self) -> bool:
        return self.token_type == self.TokenType.APPLE_SCHOOL_MANAGER

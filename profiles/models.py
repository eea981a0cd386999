from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from asm_portal.models import Tenant, TenantScopedManager, current_tenant_id, tenant_field
from profiles.choices import Affinity, AuthMethod, Pairing, RulesEdition
from profiles.rules import ProfileValues


class ProfileSettings(models.Model):
    """Tenant-wide choices for enrollment profiles (one row per tenant)."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, related_name="+", default=current_tenant_id
    )
    rules_edition = models.CharField(
        _("Profile rules"), max_length=16, choices=RulesEdition.choices, default=RulesEdition.ARTICLE_2017
    )
    max_profiles_per_token = models.PositiveIntegerField(
        _("Maximum profiles per token"),
        default=1000,
        help_text=_("Intune allows 1,000 enrollment profiles per token."),
    )

    objects = TenantScopedManager()

    def __str__(self) -> str:
        return str(self.get_rules_edition_display())

    @classmethod
    def load(cls) -> ProfileSettings:
        # One row per tenant, made on first use.
        return cls.objects.get_or_create()[0]


class VppToken(models.Model):
    """An Apple Volume Purchase Program location token, used to install the Company Portal."""

    tenant = tenant_field()
    name = models.CharField(max_length=200)
    organization = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    device_licenses = models.PositiveIntegerField(default=0)

    objects = TenantScopedManager()

    def __str__(self) -> str:
        return self.name


class EnrollmentProfile(models.Model):
    """An Automated Device Enrollment profile (Graph `depIOSEnrollmentProfile`) under a token."""

    tenant = tenant_field()
    token = models.ForeignKey(
        "tokens.EnrollmentProgramToken", on_delete=models.PROTECT, related_name="profiles"
    )
    # A stable id for URLs, Graph and Apple's org_magic.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("Name"), max_length=125)
    description = models.TextField(_("Description"), blank=True)
    # The token's default profile goes to devices that enroll without an explicit assignment.
    is_default = models.BooleanField(_("Default profile"), default=False)

    user_affinity = models.CharField(_("User affinity"), max_length=16, choices=Affinity.choices)
    authentication_method = models.CharField(
        _("Select where users must authenticate"), max_length=32, choices=AuthMethod.choices, blank=True
    )
    install_company_portal = models.BooleanField(_("Install Company Portal"), default=False)
    vpp_token = models.ForeignKey(
        VppToken,
        verbose_name=_("Install Company Portal with VPP"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="profiles",
    )
    single_app_mode = models.BooleanField(
        _("Run Company Portal in Single App Mode until authentication"), default=False
    )

    supervised = models.BooleanField(_("Supervised"), default=True)
    locked_enrollment = models.BooleanField(_("Locked enrollment"), default=False)
    shared_ipad = models.BooleanField(_("Shared iPad"), default=False)
    max_cached_users = models.PositiveSmallIntegerField(_("Maximum cached users"), null=True, blank=True)
    passcode_grace_seconds = models.PositiveIntegerField(
        _("Maximum seconds after screen lock before password is required"), null=True, blank=True
    )
    user_session_timeout = models.PositiveIntegerField(
        _("Maximum seconds of inactivity until user session logs out"), null=True, blank=True
    )
    temporary_session_only = models.BooleanField(
        _("Require Shared iPad temporary session only"), default=False
    )
    temporary_session_timeout = models.PositiveIntegerField(
        _("Maximum seconds of inactivity until temporary session logs out"), null=True, blank=True
    )
    pairing = models.CharField(_("Sync with computers"), max_length=16, choices=Pairing.choices)
    await_final_configuration = models.BooleanField(_("Await final configuration"), default=True)
    apply_device_name_template = models.BooleanField(_("Apply device name template"), default=False)
    device_name_template = models.CharField(_("Device name template"), max_length=63, blank=True)
    cellular_data_plan = models.BooleanField(_("Activate cellular data plan"), default=False)
    carrier_activation_url = models.URLField(_("Carrier activation server URL"), max_length=500, blank=True)

    department = models.CharField(_("Department name"), max_length=200, blank=True)
    department_phone = models.CharField(_("Department phone"), max_length=100, blank=True)
    hidden_screens = models.JSONField(_("Hidden Setup Assistant screens"), default=list, blank=True)

    # What Apple knows: the uuid of the last definition and a digest of the JSON sent, so an
    # edit that changes what Apple receives defines a new profile (Apple profiles are immutable).
    apple_profile_uuid = models.CharField(max_length=64, blank=True)
    apple_definition_digest = models.CharField(max_length=64, blank=True)
    apple_defined_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenantScopedManager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("enrollment program profile")
        verbose_name_plural = _("enrollment program profiles")
        constraints = [
            models.UniqueConstraint(fields=["token", "name"], name="unique_profile_name_per_token"),
            models.UniqueConstraint(
                fields=["token"], condition=models.Q(is_default=True), name="one_default_profile_per_token"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def values(self) -> ProfileValues:
        return ProfileValues(
            name=self.name,
            description=self.description,
            user_affinity=self.user_affinity,
            authentication_method=self.authentication_method,
            install_company_portal=self.install_company_portal,
            vpp_token=str(self.vpp_token_id or ""),
            single_app_mode=self.single_app_mode,
            supervised=self.supervised,
            locked_enrollment=self.locked_enrollment,
            shared_ipad=self.shared_ipad,
            max_cached_users=self.max_cached_users,
            passcode_grace_seconds=self.passcode_grace_seconds,
            user_session_timeout=self.user_session_timeout,
            temporary_session_only=self.temporary_session_only,
            temporary_session_timeout=self.temporary_session_timeout,
            pairing=self.pairing,
            await_final_configuration=self.await_final_configuration,
            apply_device_name_template=self.apply_device_name_template,
            device_name_template=self.device_name_template,
            cellular_data_plan=self.cellular_data_plan,
            carrier_activation_url=self.carrier_activation_url,
            department=self.department,
            department_phone=self.department_phone,
            hidden_screens=frozenset(self.hidden_screens),
        )

    def apply(self, values: ProfileValues) -> None:
        for name in ProfileValues.__dataclass_fields__:
            if name == "vpp_token":
                self.vpp_token_id = int(values.vpp_token) if values.vpp_token else None
            elif name == "hidden_screens":
                self.hidden_screens = sorted(values.hidden_screens)
            else:
                setattr(self, name, getattr(values, name))


class ConfiguratorCertificate(models.Model):
    """An Apple Configurator certificate that may pair with supervised devices (at most 10)."""

    tenant = tenant_field()
    profile = models.ForeignKey(EnrollmentProfile, on_delete=models.CASCADE, related_name="certificates")
    file_name = models.CharField(max_length=255)
    der = models.BinaryField()
    subject = models.CharField(max_length=500)
    thumbprint = models.CharField(max_length=40)
    not_after = models.DateTimeField()
    uploaded_at = models.DateTimeField()

    objects = TenantScopedManager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "thumbprint"], name="unique_certificate_per_profile")
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.thumbprint})"

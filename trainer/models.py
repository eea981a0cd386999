"""A class of trainees: each has an Intune tenant of their own and a paired Apple School Manager
organisation in the mock. The class and its trainees belong to the trainer's tenant; the
trainees' tenants belong to nobody's view but the trainer's (the classroom board)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from asm_portal.models import LeasedJob, Tenant, TenantScopedManager, tenant_field
from encrypted_fields import EncryptedTextField

MAX_TRAINEES = 60


class Classroom(models.Model):
    class State(models.TextChoices):
        CREATING = "creating", _("Creating")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    tenant = tenant_field()  # the trainer's
    name = models.CharField(_("Class name"), max_length=100)
    # A short label the trainees' domains start with (letters and digits, unique).
    label = models.CharField(max_length=24, unique=True)
    preset_key = models.CharField(_("Preset"), max_length=40)
    language = models.CharField(_("Language"), max_length=8, choices=settings.LANGUAGES)
    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="unique_classroom_name_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class Trainee(LeasedJob):
    """One trainee's accounts: the Intune administrator of their tenant and the administrator of
    their Apple School Manager organisation. The passwords are kept (encrypted) for the account
    sheet the trainer prints."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CREATING = "creating", _("Creating")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    tenant = tenant_field()  # the trainer's, like the class
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="trainees")
    number = models.PositiveSmallIntegerField()
    # The trainee's own tenant; null until it is created, and after the class ends.
    trainee_tenant = models.OneToOneField(
        Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="trainee"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    intune_upn = models.CharField(max_length=254, blank=True)
    intune_password = EncryptedTextField(blank=True)
    apple_organization_id = models.CharField(max_length=32, blank=True)
    asm_apple_id = models.CharField(max_length=254, blank=True)
    asm_password = EncryptedTextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["classroom", "number"]
        constraints = [models.UniqueConstraint(fields=["classroom", "number"], name="unique_trainee_number")]

    def __str__(self) -> str:
        return f"{self.classroom} #{self.number:02d}"


class PresetReset(LeasedJob):
    """A preset reset run by a worker: the row is the job's truth (queued, running, its outcome),
    so that the page and the reconciler know it without the cache. The label of the step in
    progress lives in the cache too: the reset is one transaction, so a label written to this row
    inside it would stay invisible until the end; without the cache the page shows the state."""

    # The page follows the job by this id (a uuid hex), not by the row's number.
    reset_id = models.CharField(max_length=64, primary_key=True)
    # The tenant being reset (the reconciler's, and the page's: another tenant's job is a 404),
    # and the trainer, the only one who sees it (a plain number, as the cache entry had it).
    tenant = tenant_field()
    user_id = models.BigIntegerField(null=True, blank=True)
    preset = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=16, default="queued")
    label = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    seconds = models.FloatField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects = TenantScopedManager()

    def __str__(self) -> str:
        return f"{self.preset} reset {self.reset_id} ({self.state})"

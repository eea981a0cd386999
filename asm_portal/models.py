from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager, get_scope

from asm_portal.texts import stored


class Tenant(models.Model):
    """A Microsoft Entra tenant: it owns every row of the portal's data (tokens, profiles,
    devices, rosters, audit log…). A user belongs to one tenant, and the tenant of a request
    follows from the signed-in user, never from a URL parameter (see asm_portal.tenancy)."""

    # Entra's tenant ID (a GUID), as Graph and the token endpoint name it.
    tenant_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(_("Name"), max_length=200)
    # <name>.onmicrosoft.com: the domain of the tenant's first accounts.
    initial_domain = models.CharField(_("Initial domain"), max_length=253, unique=True)
    # The Apple School Manager organisation paired with this tenant in the mock Apple service
    # (its org_id); empty for the mock's default organisation.
    apple_organization_id = models.CharField(max_length=32, blank=True)
    # How far the trainer moved this tenant's clock (see asm_portal.clock).
    clock_offset_seconds = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["display_name", "pk"]

    def __str__(self) -> str:
        return self.display_name


class TenantMembership(models.Model):
    """The one tenant a user belongs to (Django's user model stays as it is)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant}"


def current_tenant_id() -> int | None:
    """The default of every `tenant` column: the tenant of the scope the code runs in. Outside
    a scope there is no right answer: None, which the column's NOT NULL refuses on save (an
    unsaved instance, e.g. a blank form's, needs no tenant)."""
    tenant = get_scope().get("tenant")
    if tenant is None:
        return None
    return int(tenant.pk if isinstance(tenant, Tenant) else tenant)


_M = TypeVar("_M", bound=models.Model)

# django-scopes builds its manager class at run time; a class of our own on top of it lets the
# type checker (and django-stubs) see an ordinary Manager.
if TYPE_CHECKING:
    _ScopedByTenant = models.Manager
else:
    _ScopedByTenant = type(ScopedManager(tenant="tenant"))


class TenantScopedManager(_ScopedByTenant[_M]):
    """The default manager of every tenant's table: inside a tenant scope it sees that tenant's
    rows only; outside one, every query raises django_scopes.ScopeError (asm_portal.tenancy)."""


def tenant_field(*, db_index: bool = True) -> models.ForeignKey[Tenant, Tenant]:
    """The column that says which tenant owns a row; filled from the current scope."""
    return models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", default=current_tenant_id, db_index=db_index
    )


class UserPreference(models.Model):
    """Per-user choices that follow the user from browser to browser."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True)
    # The columns a user hid in a grid (« Columns »), by grid: {"devices": ["color", ...]}.
    hidden_columns = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.language or '-'})"


class AuditEvent(models.Model):
    """One change made through the portal: who, when, what, on which object, and how it ended."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")

    class Category(models.TextChoices):
        # Intune's audit log categories (stored in English, shown in the reader's language).
        DEVICE = "Device", _("Device")
        ENROLLMENT = "Enrollment", _("Enrollment")
        ROLE = "Role", _("Role")
        SCHOOL_DATA_SYNC = "School Data Sync", _("School Data Sync")
        TRAINER = "Trainer", _("Trainer")

    tenant = tenant_field()
    # When it happened on the tenant's clock (the demo clock, when the trainer moved it)…
    occurred_at = models.DateTimeField(db_index=True)
    # …and in real time, which orders the log: going back from a moved clock keeps the order.
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Kept apart from the foreign key so the log survives the deletion of the user.
    actor_name = models.CharField(max_length=254)
    # An actor that is not a person but has words (« DMPQ000001 (appareil) », « système »): a
    # stored text (asm_portal.texts), shown in the reader's language; `actor_name` in English.
    actor_text = models.JSONField(default=dict, blank=True)
    category = models.CharField(max_length=64, choices=Category.choices)
    action = models.CharField(max_length=128)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_name = models.CharField(max_length=255, blank=True)
    # The target's name as a message id and its parameters (asm_portal.texts), when it has words
    # of its own (a fault drill, a preset, the demo clock): shown in the reader's language.
    target_text = models.JSONField(default=dict, blank=True)
    result = models.CharField(max_length=16, choices=Result.choices, default=Result.SUCCESS)
    details = models.JSONField(default=dict, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"

    # The action and the target's type are stored in English (message ids the code marks with
    # gettext_noop) and shown in the reader's language; an older row's words stay as stored.
    def action_display(self) -> str:
        return gettext(self.action) if self.action else ""

    def target_type_display(self) -> str:
        # A model's verbose name is lower case (« profil de programme d’inscription »).
        return capfirst(gettext(self.target_type)) if self.target_type else ""

    def target_display(self) -> str:
        return stored(self.target_text, self.target_name)

    def actor_display(self) -> str:
        return stored(self.actor_text, self.actor_name)

    def demo_time_differs(self) -> bool:
        """The tenant's clock was moved when it happened (by more than a minute)."""
        return abs((self.occurred_at - self.recorded_at).total_seconds()) > 60


class Notification(models.Model):
    """What a toast said, archived for the notifications panel (the bell)."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        SUCCESS = "success", _("Success")
        WARNING = "warning", _("Warning")
        ERROR = "error", _("Error")
        IN_PROGRESS = "in_progress", _("In progress")

    tenant = tenant_field()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField()
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.INFO)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    read = models.BooleanField(default=False)
    toasted = models.BooleanField(default=False)
    # The title and body as message ids with their parameters (asm_portal.texts), rendered in
    # the reader's language; `title` and `body` keep the words in the sender's language (older
    # rows have only those, and are shown as stored).
    text = models.JSONField(default=dict, blank=True)

    objects = TenantScopedManager()

    class Meta:
        # In the order they were sent (real time): one sent while the demo clock was moved
        # forward stays below those sent after going back (created_at is the tenant's time).
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read"])]

    def __str__(self) -> str:
        return self.title

    def title_display(self) -> str:
        return stored(self.text.get("title"), self.title)

    def body_display(self) -> str:
        return stored(self.text.get("body"), self.body)


class SignInFailure(models.Model):
    """Failed sign-ins, counted per user name and per address to slow down guessing."""

    occurred_at = models.DateTimeField(db_index=True)
    username = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} at {self.occurred_at:%Y-%m-%d %H:%M}"


class WorkerHeartbeat(models.Model):
    """Last time a Celery worker ran the heartbeat task; the shell warns when it is stale."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return self.hostname


class LeasedJob(models.Model):
    """A background job's row that one worker at a time holds while it runs it
    (`asm_portal.jobs.job_lease_take`): who holds it, until when, and how many times a worker
    took it (a job that kills its worker each time ends failed instead of looping)."""

    lease_owner = models.CharField(max_length=200, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True


class BackgroundService(models.Model):
    """The broker as the web processes last found it (one row): a job row whose message could
    not be sent stays queued, and the blades say so until a message gets through again."""

    last_send_failed_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "background service"

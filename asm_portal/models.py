from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserPreference(models.Model):
    """Per-user choices that follow the user from browser to browser."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.language or '-'})"


class AuditEvent(models.Model):
    """One change made through the portal: who, when, what, on which object, and how it ended."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")

    class Category(models.TextChoices):
        # Intune's audit log categories (stored in English, shown in the reader's language).
        ENROLLMENT = "Enrollment", _("Enrollment")
        ROLE = "Role", _("Role")
        SCHOOL_DATA_SYNC = "School Data Sync", _("School Data Sync")
        TRAINER = "Trainer", _("Trainer")

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Kept apart from the foreign key so the log survives the deletion of the user.
    actor_name = models.CharField(max_length=254)
    category = models.CharField(max_length=64, choices=Category.choices)
    action = models.CharField(max_length=128)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_name = models.CharField(max_length=255, blank=True)
    result = models.CharField(max_length=16, choices=Result.choices, default=Result.SUCCESS)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


class Notification(models.Model):
    """What a toast said, archived for the notifications panel (the bell)."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        SUCCESS = "success", _("Success")
        WARNING = "warning", _("Warning")
        ERROR = "error", _("Error")
        IN_PROGRESS = "in_progress", _("In progress")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField()
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.INFO)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    read = models.BooleanField(default=False)
    toasted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read"])]

    def __str__(self) -> str:
        return self.title


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


class ClockOffset(models.Model):
    """How far the trainer moved the application's clock forward (one row, pk=1)."""

    seconds = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.seconds:+d} s"

"""Enrollment program devices, their sync with Apple, and profile assignments.

A device is what Microsoft Graph calls an `importedAppleDeviceIdentity`, plus what Apple's DEP
API reports about it and what the devices grid shows. Sync progress and assignment results live
in our own rows (SyncRun, ProfileAssignment): the pages poll them, never Celery's result backend.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from asm_portal.models import Tenant, TenantScopedManager, current_tenant_id, tenant_field


class EnrollmentState(models.TextChoices):
    """Graph `enrollmentState`."""

    UNKNOWN = "unknown", _("Unknown")
    ENROLLED = "enrolled", _("Enrolled")
    # Enrolled with another profile than the one now assigned: the device must be reset.
    PENDING_RESET = "pendingReset", _("Reset required")
    FAILED = "failed", _("Failed")
    NOT_CONTACTED = "notContacted", _("Not contacted")
    BLOCKED = "blocked", _("Blocked")


# The states of a device that has enrolled (a Reset required device is still managed).
ENROLLED_STATES = (EnrollmentState.ENROLLED, EnrollmentState.PENDING_RESET)


class ProfileStatus(models.TextChoices):
    """Apple's `profile_status`, and what the last assignment answered when Apple refused it."""

    EMPTY = "empty", _("Not assigned")
    ASSIGNED = "assigned", _("Assigned")
    PUSHED = "pushed", _("Pushed")
    REMOVED = "removed", _("Removed")
    FAILED = "failed", _("Failed")
    # Apple answered THROTTLED: the assignment is tried again after Apple's delay.
    PENDING = "pending", _("Pending")


# The grid's sortable columns that have an index of their own (devices.selectors.SORTS): the
# state and profile status sort on the pills' indexes, the profile and token names per group.
SORTED_COLUMNS = {
    "description": "details",
    "model": "model",
    "color": "color",
    "asset_tag": "tag",
    "os": "os",
    "profile_assigned_at": "passigned",
    "last_contacted_at": "contacted",
    "device_name": "name",
    "enrolled_user_name": "user",
}


class Device(models.Model):
    """A device Apple assigns to a token's MDM server, as Intune lists it."""

    # No index of its own: every query of devices also names the token, and the indexes lead
    # with it (one more index would slow the sync's writes for nothing).
    tenant = tenant_field(db_index=False)
    token = models.ForeignKey(
        "tokens.EnrollmentProgramToken",
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("Token"),
        db_index=False,  # the unique (token, serial number) index leads with it
    )
    serial_number = models.CharField(_("Serial number"), max_length=32)  # Graph serialNumber
    model = models.CharField(_("Model"), max_length=100, blank=True)
    description = models.CharField(_("Details"), max_length=200, blank=True)  # Graph description
    color = models.CharField(_("Color"), max_length=50, blank=True)
    asset_tag = models.CharField(_("Asset tag"), max_length=100, blank=True)
    os = models.CharField(_("OS"), max_length=20, blank=True)
    device_family = models.CharField(_("Device family"), max_length=20, blank=True)
    device_assigned_date = models.DateTimeField(null=True, blank=True)  # to the MDM server, by Apple
    device_assigned_by = models.CharField(max_length=254, blank=True)

    # Apple's view of the profile.
    profile_status = models.CharField(
        _("Profile status"), max_length=16, choices=ProfileStatus.choices, default=ProfileStatus.EMPTY
    )
    apple_profile_uuid = models.CharField(max_length=64, blank=True)
    apple_profile_assign_time = models.DateTimeField(null=True, blank=True)
    apple_profile_push_time = models.DateTimeField(null=True, blank=True)

    # Intune's view: Graph requestedEnrollmentProfileId / …AssignmentDateTime.
    assigned_profile = models.ForeignKey(
        "profiles.EnrollmentProfile",
        null=True,
        blank=True,
        # A profile with devices cannot be deleted (profiles.services.profile_delete says why).
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("Assigned profile"),
        db_index=False,  # the (assigned profile, serial number) index leads with it
    )
    profile_assigned_at = models.DateTimeField(_("Profile assigned"), null=True, blank=True)

    enrollment_state = models.CharField(
        _("State"), max_length=16, choices=EnrollmentState.choices, default=EnrollmentState.NOT_CONTACTED
    )
    last_contacted_at = models.DateTimeField(_("Last contacted"), null=True, blank=True)
    # Apple reported the device deleted (released, moved to another server): Graph isDeleted.
    removed_by_apple = models.BooleanField(default=False)
    removed_at = models.DateTimeField(null=True, blank=True)

    # Filled in by enrollment (mdm.enrollment): who uses the device and what it is called.
    enrolled_user_name = models.CharField(_("User"), max_length=254, blank=True)  # the user's UPN
    device_name = models.CharField(_("Device name"), max_length=255, blank=True)
    # The device's hardware identity (the CN of its Apple device certificate): it survives an erase.
    # Database defaults: the sync engine inserts rows with SQL that does not name these columns.
    udid = models.CharField(_("UDID"), max_length=64, blank=True, db_default="")
    product = models.CharField(max_length=32, blank=True, db_default="")  # e.g. iPad13,18
    os_version = models.CharField(_("OS version"), max_length=16, blank=True, db_default="")
    enrolled_at = models.DateTimeField(_("Enrolled"), null=True, blank=True)
    # Await final configuration: the device waits on « Configuring your iPad » until this is set.
    configured_at = models.DateTimeField(_("Configured"), null=True, blank=True)
    # What the last configuration installed (names of the policies), for the device blade.
    configuration = models.JSONField(null=True, blank=True)
    # Why the last enrollment attempt failed (an enrollment error code, e.g. NO_PROFILE).
    enrollment_error = models.CharField(max_length=32, blank=True, db_default="")
    enrolled_profile = models.ForeignKey(
        "profiles.EnrollmentProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        # Read only with a device; every index costs the 200,000-device sync its writes.
        db_index=False,
    )

    created_at = models.DateTimeField()  # Graph createdDateTime
    updated_at = models.DateTimeField()
    # The full sync that last found the device in Apple's list: the ones it did not find are gone.
    last_seen_run_id = models.BigIntegerField(null=True, blank=True)

    # Set on the rows of a grid page (devices.selectors.names_attach), not stored.
    profile_name: str
    token_name: str

    objects = TenantScopedManager()

    class Meta:
        verbose_name = _("enrollment program device")
        verbose_name_plural = _("enrollment program devices")
        constraints = [
            models.UniqueConstraint(fields=["token", "serial_number"], name="unique_device_serial_per_token")
        ]
        # The grid at a million devices (issue 20: five tokens of 200,000 in a tenant). Every
        # grid query names the tenant (the scope): the indexes lead with it, then give the page's
        # order — serial number, or one sortable column then the serial number — then the token
        # (an index condition for one token's grid: its entries are skipped in the index, not
        # read from the table) and the id (the page's ids come from the index alone, the 50 rows
        # are then read by id: a page far in skips index entries, not rows). Each index is also
        # written by the sync: the sortable columns cost it one index each (see the README).
        indexes = [
            models.Index(fields=["tenant", "serial_number", "token", "id"], name="device_tenant_serial"),
            models.Index(
                fields=["tenant", "enrollment_state", "serial_number", "token", "id"],
                name="device_tenant_state",
            ),
            models.Index(
                fields=["tenant", "profile_status", "serial_number", "token", "id"],
                name="device_tenant_pstatus",
            ),
            models.Index(fields=["assigned_profile", "serial_number", "token", "id"], name="device_profile"),
            *(
                models.Index(
                    fields=["tenant", column, "serial_number", "token", "id"], name=f"device_sort_{name}"
                )
                for column, name in SORTED_COLUMNS.items()
            ),
            models.Index(
                fields=["removed_at"], condition=models.Q(removed_by_apple=True), name="device_removed"
            ),
        ]

    def __str__(self) -> str:
        return self.serial_number


class DeviceTally(models.Model):
    """How many devices a token has in one (state, profile status, profile, removed) group: the
    grid's totals and the blades' counts at a million devices, exact without counting rows.

    Kept by the database itself, in the transaction of every write of devices, whoever writes
    (the sync's SQL, assignment, enrollment, deletion, a preset): triggers on the devices table
    (devices/counts.py). On PostgreSQL each statement appends one row per group it changed,
    +n or -n (appending never waits on another writer, so no lock order can deadlock) and the
    readers sum them; `device_tallies_compact` folds them together. On SQLite (one writer at a
    time) each row's write adds to its group's one row. A total is the SUM over a token's or a
    tenant's few rows.
    """

    # Plain columns, no foreign-key constraints: the rows are written by triggers while tokens,
    # profiles and tenants are being deleted (a constraint would refuse the -n rows of the
    # devices deleted with them); `device_tallies_compact` removes the rows of tokens gone.
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        default=current_tenant_id,
        db_index=False,
    )
    token = models.ForeignKey(
        "tokens.EnrollmentProgramToken",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    enrollment_state = models.CharField(max_length=16)
    profile_status = models.CharField(max_length=16)
    profile_id = models.BigIntegerField()  # the assigned profile's id, 0 for none
    removed_by_apple = models.BooleanField()
    devices = models.BigIntegerField()

    objects = TenantScopedManager()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "token"], name="devicetally_tenant_token"),
            models.Index(fields=["token"], name="devicetally_token"),
        ]

    def __str__(self) -> str:
        return f"token {self.token_id}: {self.devices}"


class DeletedDevice(models.Model):
    """A device an administrator deleted: it comes back only with the next full sync."""

    tenant = tenant_field()
    token = models.ForeignKey("tokens.EnrollmentProgramToken", on_delete=models.CASCADE, related_name="+")
    serial_number = models.CharField(max_length=32)
    deleted_at = models.DateTimeField()
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenantScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "serial_number"], name="unique_deleted_serial_per_token")
        ]

    def __str__(self) -> str:
        return self.serial_number


class TokenSyncState(models.Model):
    """What the sync engine keeps between syncs of one token."""

    tenant = tenant_field()
    token = models.OneToOneField(
        "tokens.EnrollmentProgramToken", on_delete=models.CASCADE, related_name="device_sync"
    )
    # Apple's cursor for the next delta (/devices/sync), left by the last successful sync.
    cursor = models.TextField(blank=True)
    last_full_sync_at = models.DateTimeField(null=True, blank=True)
    # A failed delta, a lost cursor or no sync yet: the next sync reads every serial again.
    next_must_be_full = models.BooleanField(default=True)

    objects = TenantScopedManager()

    def __str__(self) -> str:
        return f"sync state of token {self.token_id}"


class SyncRun(models.Model):
    """One sync request of one token and how it went: what the Sync blade shows and polls."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full sync")
        DELTA = "delta", _("Delta sync")
        NEW_SERIALS = "newSerials", _("New serial numbers only")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("Manual")
        AUTOMATIC = "automatic", _("Automatic")
        TOKEN_UPLOAD = "tokenUpload", _("Token upload")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("In progress")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        FETCH = "fetch", _("Reading every device")
        SYNC = "sync", _("Reading changes")

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    tenant = tenant_field()
    token = models.ForeignKey(
        "tokens.EnrollmentProgramToken", on_delete=models.CASCADE, related_name="sync_runs"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    # The request's time to finish (SYNC_REQUEST_WINDOW_SECONDS after it was made).
    deadline_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Where the run is: the phase and Apple's cursor after the last page written. A page and the
    # cursor that follows it are saved in one transaction, so a redelivered task resumes here.
    phase = models.CharField(max_length=8, choices=Phase.choices, default=Phase.FETCH)
    cursor = models.TextField(blank=True)
    pages = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    # A delta whose cursor Apple no longer accepts starts again as a full fetch.
    restarted_full = models.BooleanField(default=False)

    error_code = models.CharField(max_length=64, blank=True)  # Graph lastSyncErrorCode
    # Not an error: e.g. Apple's echoed-cursor bug stopped the run early, cleanly.
    warning_code = models.CharField(max_length=64, blank=True)

    # One worker at a time: the lease is renewed with every page; an expired one is taken over.
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One sync per token at a time, whatever the number of web processes and workers.
            models.UniqueConstraint(
                fields=["token"],
                condition=models.Q(state__in=["queued", "running"]),
                name="one_active_sync_per_token",
            )
        ]
        indexes = [models.Index(fields=["token", "-requested_at"], name="syncrun_token_requested")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of token {self.token_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES


class ProfileAssignment(models.Model):
    """One « Assign »: a profile, the serial numbers chosen, and Apple's answer for each."""

    class Source(models.TextChoices):
        PROFILE = "profile", _("Device assignments")
        DEVICES = "devices", _("Enrollment program devices")
        PROFILE_EDIT = "profileEdit", _("Profile edited")
        # The token's default profile, given to synced devices that have no profile yet.
        DEFAULT_PROFILE = "defaultProfile", _("Default profile")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("In progress")
        # Apple answered THROTTLED for some serial numbers: they are tried again after its delay.
        WAITING = "waiting", _("Waiting to retry")
        SUCCEEDED = "succeeded", _("Succeeded")
        COMPLETED_WITH_ERRORS = "completedWithErrors", _("Completed with errors")
        FAILED = "failed", _("Failed")

    ACTIVE_STATES = (State.QUEUED, State.RUNNING, State.WAITING)

    tenant = tenant_field()
    profile = models.ForeignKey(
        "profiles.EnrollmentProfile", on_delete=models.CASCADE, related_name="assignments"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    state = models.CharField(max_length=24, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    apple_profile_uuid = models.CharField(max_length=64, blank=True)
    device_count = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    not_accessible = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    throttled = models.PositiveIntegerField(default=0)
    reset_required = models.PositiveIntegerField(default=0)
    # Rounds of POST /profile/devices; THROTTLED serial numbers get another round after Apple's delay.
    rounds = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    # One worker at a time, as a sync run: a round renews the lease with every batch; a lease
    # left to expire, or held by a process that is gone, is taken over (asm_portal.jobs).
    lease_owner = models.CharField(max_length=200, blank=True, db_default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.profile_id}: {self.device_count} devices ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES


class AssignmentDevice(models.Model):
    """Apple's answer for one serial number of an assignment."""

    class Status(models.TextChoices):
        PENDING = "", _("Pending")
        SUCCESS = "SUCCESS", _("Assigned")
        NOT_ACCESSIBLE = "NOT_ACCESSIBLE", _("Not accessible")
        FAILED = "FAILED", _("Failed")
        THROTTLED = "THROTTLED", _("Throttled")

    tenant = tenant_field()
    assignment = models.ForeignKey(ProfileAssignment, on_delete=models.CASCADE, related_name="items")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    serial_number = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedManager()

    class Meta:
        indexes = [models.Index(fields=["assignment", "status"], name="assignmentdevice_status")]

    def __str__(self) -> str:
        return f"{self.serial_number}: {self.status or 'pending'}"

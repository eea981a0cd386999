"""School Data Sync: sync profiles, their roster uploads and validation reports, and the roster.

The roster (schools, people, memberships, classes, enrollments) is what the last accepted
upload of each sync profile said. Nothing is deleted when a record stops appearing: it turns
inactive, so that whatever was pushed on from it (Apple School Manager accounts) can be dealt
with knowingly rather than silently.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from asm_portal.models import LeasedJob, TenantScopedManager, tenant_field
from encrypted_fields import EncryptedBinaryField
from sds import formats
from sds.issue_messages import issue_message


class SyncProfile(models.Model):
    """An inbound CSV flow of SDS: one format, one set of files, one roster."""

    class Format(models.TextChoices):
        V1 = formats.V1.code, _("Classic SDS CSV (v1)")
        V2_1 = formats.V2_1.code, _("SDS v2.1 CSV")

    tenant = tenant_field()
    name = models.CharField(_("name"), max_length=100)
    roster_format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # Classic SDS appends this suffix to usernames that have no domain (OKlein -> OKlein@contoso.edu).
    domain_suffix = models.CharField(_("domain suffix"), max_length=253, blank=True)
    # The files of the first accepted upload, and any added since: a later upload that leaves
    # one out marks its records inactive, with a warning (SDS's "same set of files" rule).
    file_set = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("sync profile")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="sds_unique_profile_name_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def spec(self) -> formats.RosterFormat:
        return formats.FORMATS[self.roster_format]


class RosterUpload(LeasedJob):
    """One upload of a sync profile's files, from queued to imported or rejected."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        VALIDATING = "validating", _("Validating")
        IMPORTING = "importing", _("Importing")
        SUCCEEDED = "succeeded", _("Succeeded")
        REJECTED = "rejected", _("Validation error")
        FAILED = "failed", _("Failed")

    PENDING_STATES = (State.QUEUED, State.VALIDATING, State.IMPORTING)

    tenant = tenant_field()
    profile = models.ForeignKey(SyncProfile, on_delete=models.CASCADE, related_name="uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    uploaded_by_name = models.CharField(max_length=254)
    created_at = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # The uploader's language, for the notification the worker sends when it is done.
    language = models.CharField(max_length=8, default="en")
    file_names = models.JSONField(default=list)
    total_bytes = models.PositiveBigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    # What the accepted upload left active, and how many records it turned inactive.
    school_count = models.PositiveIntegerField(default=0)
    person_count = models.PositiveIntegerField(default=0)
    class_count = models.PositiveIntegerField(default=0)
    enrollment_count = models.PositiveIntegerField(default=0)
    deactivated_count = models.PositiveIntegerField(default=0)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("roster upload")

    def __str__(self) -> str:
        return f"{self.profile} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        return self.state in self.PENDING_STATES

    def uploaded_by_display(self) -> str:
        """Who uploaded it; an upload made by no user (a command) says « system » in the
        reader's language."""
        return gettext("system") if self.uploaded_by_name == "system" else self.uploaded_by_name


class RosterFile(models.Model):
    """A file of an upload, kept (encrypted: rosters may carry passwords) only until processed."""

    tenant = tenant_field()
    upload = models.ForeignKey(RosterUpload, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    # Fernet ciphertext at rest, rotated by `reencrypt_secrets`; None once the upload is processed.
    content = EncryptedBinaryField(null=True, blank=True, default=None)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ValidationIssue(models.Model):
    """A line of an upload's validation report. The message is rendered in the reader's language."""

    class Severity(models.TextChoices):
        ERROR = "error", _("Error")
        WARNING = "warning", _("Warning")

    tenant = tenant_field()
    upload = models.ForeignKey(RosterUpload, on_delete=models.CASCADE, related_name="issues")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    file = models.CharField(max_length=255)
    line = models.PositiveIntegerField(null=True, blank=True)
    column = models.CharField(max_length=255, blank=True)
    code = models.CharField(max_length=64)
    message_id = models.CharField(max_length=64)
    params = models.JSONField(default=dict)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.code}"

    @property
    def message(self) -> str:
        return issue_message(self.message_id, self.params)


class RosterRecord(models.Model):
    """What every roster row has: its profile, its state, and the upload that last carried it."""

    profile = models.ForeignKey(SyncProfile, on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField(default=True)
    last_upload = models.ForeignKey(
        RosterUpload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


class School(RosterRecord):
    """A school (classic SDS) or an organisation of any type (SDS v2.1 orgs.csv)."""

    tenant = tenant_field()
    sis_id = models.CharField(_("SIS ID"), max_length=255)
    name = models.CharField(_("name"), max_length=255)
    org_type = models.CharField(max_length=32, default="school")
    parent_sis_id = models.CharField(max_length=255, blank=True)
    number = models.CharField(max_length=255, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("school")
        constraints = [models.UniqueConstraint(fields=["profile", "sis_id"], name="sds_school_unique_sis_id")]
        indexes = [models.Index(fields=["name"], name="sds_school_name")]

    def __str__(self) -> str:
        return self.name


class Person(RosterRecord):
    """A student, a teacher or another member of staff (or a guardian, in v2.1)."""

    tenant = tenant_field()
    sis_id = models.CharField(_("SIS ID"), max_length=255)
    username = models.CharField(_("username"), max_length=320)
    email = models.CharField(_("email"), max_length=320, blank=True)
    given_name = models.CharField(_("first name"), max_length=255, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=255, blank=True)
    family_name = models.CharField(_("last name"), max_length=255, blank=True)
    # The SDS role, camelCase: student, teacher, professor, administrator… (the primary one
    # when roles.csv gives several); empty for v2.1 users without a role (guardians).
    role = models.CharField(_("role"), max_length=32, blank=True)
    grade = models.CharField(_("grade"), max_length=32, blank=True)
    number = models.CharField(_("number"), max_length=255, blank=True)
    schools: models.ManyToManyField[School, Membership] = models.ManyToManyField(
        School, through="Membership", related_name="people"
    )

    objects = TenantScopedManager()

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        verbose_name = _("person")
        constraints = [models.UniqueConstraint(fields=["profile", "sis_id"], name="sds_person_unique_sis_id")]
        indexes = [models.Index(fields=["family_name", "given_name"], name="sds_person_name")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part) or self.username

    @property
    def is_student(self) -> bool:
        return self.role in formats.STUDENT_ROLES


class Membership(RosterRecord):
    """A person's role at a school (classic SDS: the School SIS ID of the row; v2.1: roles.csv)."""

    tenant = tenant_field()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32)
    is_primary = models.BooleanField(default=True)

    objects = TenantScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "school", "role"], name="sds_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.role} at {self.school_id}"


class SchoolClass(RosterRecord):
    """A section (classic SDS) or a class (SDS v2.1), taught at one school."""

    tenant = tenant_field()
    sis_id = models.CharField(_("SIS ID"), max_length=255)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classes")
    title = models.CharField(_("title"), max_length=255)
    code = models.CharField(_("code"), max_length=255, blank=True)
    course = models.CharField(_("course"), max_length=255, blank=True)
    term = models.CharField(_("term"), max_length=255, blank=True)
    people: models.ManyToManyField[Person, Enrollment] = models.ManyToManyField(
        Person, through="Enrollment", related_name="classes"
    )

    objects = TenantScopedManager()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("class")
        constraints = [models.UniqueConstraint(fields=["profile", "sis_id"], name="sds_class_unique_sis_id")]
        indexes = [models.Index(fields=["title"], name="sds_class_title")]

    def __str__(self) -> str:
        return self.title


class Enrollment(RosterRecord):
    """A person in a class, as a student or as one of its teachers."""

    tenant = tenant_field()
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="enrollments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="enrollments")
    # The SDS role in the class: student, teacher, professor…; anything but student teaches.
    role = models.CharField(max_length=32)

    objects = TenantScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school_class", "person", "role"], name="sds_enrollment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.role} in {self.school_class_id}"

    @property
    def is_teacher(self) -> bool:
        return self.role not in formats.STUDENT_ROLES


class AppleRosterSync(LeasedJob):
    """One sync of a sync profile's roster to Apple School Manager, through the enrollment
    program token shared with School Data Sync; a worker fills it in, the pages poll it."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Syncing")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        # The token stopped being shared before the worker got to it: nothing was sent.
        CANCELLED = "cancelled", _("Cancelled")

    class Trigger(models.TextChoices):
        IMPORT = "import", _("Roster imported")
        MANUAL = "manual", _("Sync to Apple School Manager")
        SHARED = "shared", _("Token shared")

    PENDING_STATES = (State.QUEUED, State.RUNNING)

    tenant = tenant_field()
    profile = models.ForeignKey(SyncProfile, on_delete=models.CASCADE, related_name="apple_syncs")
    upload = models.ForeignKey(
        RosterUpload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The history outlives the token: its name is kept.
    token = models.ForeignKey(
        "tokens.EnrollmentProgramToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_name = models.CharField(max_length=200)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The requester's language, for the notification the worker sends when it is done.
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    batches_total = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    locations_created = models.PositiveIntegerField(default=0)
    locations_updated = models.PositiveIntegerField(default=0)
    people_created = models.PositiveIntegerField(default=0)
    people_updated = models.PositiveIntegerField(default=0)
    people_deactivated = models.PositiveIntegerField(default=0)
    people_failed = models.PositiveIntegerField(default=0)
    classes_created = models.PositiveIntegerField(default=0)
    classes_updated = models.PositiveIntegerField(default=0)
    classes_switched_to_manual = models.PositiveIntegerField(default=0)
    classes_failed = models.PositiveIntegerField(default=0)
    members_not_found = models.PositiveIntegerField(default=0)
    # Records Apple School Manager refused: {"record", "id", "code", "field"}, the first ones.
    failures = models.JSONField(default=list, blank=True)
    # Why the whole sync stopped: Apple's code (or HTTP status), empty when it did not.
    error_code = models.CharField(max_length=64, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sync to Apple School Manager")
        verbose_name_plural = _("syncs to Apple School Manager")

    def __str__(self) -> str:
        return f"{self.profile} → {self.token_name} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        return self.state in self.PENDING_STATES

    @property
    def failure_count(self) -> int:
        return self.people_failed + self.classes_failed

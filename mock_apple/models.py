"""Apple's side: an Apple School Manager organisation, its inventory and its MDM servers.

These tables live in the `apple` database (see asm_portal.routers); the portal never reads
them, it only talks to the mock over HTTP.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from encrypted_fields import EncryptedTextField
from mock_apple import tenancy


class Organization(models.Model):
    """An Apple School Manager (or Apple Business Manager) organisation."""

    class OrgType(models.TextChoices):
        EDU = "edu", _("Education")
        ORG = "org", _("Business")

    name = models.CharField(max_length=200)
    org_id = models.CharField(max_length=32, unique=True)
    email = models.EmailField()
    phone = models.CharField(max_length=50, blank=True)
    address = models.CharField(max_length=300, blank=True)
    domain = models.CharField(max_length=200, help_text=_("The organisation's verified domain."))
    org_type = models.CharField(max_length=8, choices=OrgType.choices, default=OrgType.EDU)
    # v1 = legacy programmes (DEP), v2 = Apple School Manager / Apple Business Manager.
    org_version = models.CharField(max_length=4, default="v2")
    # The published terms and the version the administrator accepted. The API answers
    # T_C_NOT_SIGNED while they differ.
    terms_version = models.PositiveIntegerField(default=1)
    terms_accepted_version = models.PositiveIntegerField(default=0)
    # The language its portal opens in, until someone picks another (a trainee's own organisation).
    language = models.CharField(max_length=8, default="en")

    def __str__(self) -> str:
        return self.name

    @property
    def terms_accepted(self) -> bool:
        return self.terms_accepted_version >= self.terms_version


class AppleAccount(models.Model):
    """Someone who signs in to the mock Apple School Manager portal."""

    class Role(models.TextChoices):
        ADMINISTRATOR = "administrator", _("Administrator")
        SITE_MANAGER = "site_manager", _("Site Manager")
        DEVICE_ENROLLMENT_MANAGER = (
            "device_enrollment_manager",
            _("Device Enrollment Manager"),
        )
        # Sees the inventory and the MDM servers, changes nothing.
        STAFF = "staff", _("Staff")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="accounts")
    apple_id = models.EmailField(unique=True)
    password = models.CharField(max_length=200)  # a Django password hash
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.ADMINISTRATOR)
    # A deactivated account cannot sign in, and the server tokens it downloaded answer
    # ACCESS_DENIED, as Apple does when the person behind a token loses access.
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.apple_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PurchaseOrder(models.Model):
    """An order of devices; ASM lets admins pick devices by order number."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="orders")
    order_number = models.CharField(max_length=64)
    order_date = models.DateField()
    supplier = models.CharField(max_length=100, default="Apple")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "order_number"], name="unique_order_number")
        ]

    def __str__(self) -> str:
        return self.order_number


class MdmServer(models.Model):
    """An MDM server as the ASM administrator registered it ("Add MDM server")."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="mdm_servers")
    name = models.CharField(max_length=200)
    server_uuid = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=254, blank=True)
    # The MDM vendor's public-key certificate (PEM) that server tokens are encrypted to.
    certificate_pem = models.TextField(blank=True)
    certificate_uploaded_at = models.DateTimeField(null=True, blank=True)
    # Fault injection: the DEP API answers 403 ACCESS_DENIED for this server's tokens.
    access_denied = models.BooleanField(default=False)
    # POST /account-driven-enrollment/profile: where account-driven enrollment sends users.
    ade_discovery_url = models.CharField(max_length=2000, blank=True)
    ade_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_mdm_server_name")
        ]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """A device the organisation bought, with the fields Apple's DEP API reports."""

    class ProfileStatus(models.TextChoices):
        EMPTY = "empty", _("Empty")
        ASSIGNED = "assigned", _("Assigned")
        PUSHED = "pushed", _("Pushed")
        REMOVED = "removed", _("Removed")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="devices")
    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="devices")
    serial_number = models.CharField(max_length=20, unique=True)
    model = models.CharField(max_length=100)
    description = models.CharField(max_length=200)
    color = models.CharField(max_length=50)
    asset_tag = models.CharField(max_length=50, blank=True)
    device_family = models.CharField(max_length=20)  # iPad, iPhone, Mac, AppleTV
    os = models.CharField(max_length=20)  # iOS, iPadOS (protocol >= 7), OSX, tvOS
    mdm_server = models.ForeignKey(
        MdmServer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
    )
    device_assigned_date = models.DateTimeField(null=True, blank=True)
    device_assigned_by = models.CharField(max_length=254, blank=True)
    profile_uuid = models.CharField(max_length=32, blank=True)
    profile_status = models.CharField(
        max_length=16, choices=ProfileStatus.choices, default=ProfileStatus.EMPTY
    )
    profile_assign_time = models.DateTimeField(null=True, blank=True)
    profile_push_time = models.DateTimeField(null=True, blank=True)
    # The id of the DeviceEvent that brought the device to its current server: a fetch walk
    # lists only the devices whose assignment precedes the walk's snapshot.
    assignment_seq = models.BigIntegerField(null=True, blank=True)
    activation_locked = models.BooleanField(default=False)
    # Disowned devices leave the organisation for good (POST /devices/disown).
    disowned_at = models.DateTimeField(null=True, blank=True)
    # What the School Manager API says of the device and never changes (its serial, model, colour,
    # order and what is derived from them), as JSON text written when the device is bought
    # (mock_apple.axm_devices.fixed_text): a page of orgDevices joins it as it is. Empty for a
    # device written without it; the API then derives it on each read.
    api_attributes = models.TextField(blank=True, default="", editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["mdm_server", "id"]),
            # The keyset of orgDevices pages: an organisation's devices in id order.
            models.Index(fields=["organization", "id"]),
        ]

    def __str__(self) -> str:
        return self.serial_number


class ServerToken(models.Model):
    """The OAuth 1.0a credentials of a server token (.p7m); a new download revokes the previous one.

    The two secrets are encrypted at rest (encrypted_fields, the library the portal uses too,
    so that `reencrypt_secrets` rotates them with the portal's); the consumer key and the access
    token are identifiers and stay readable for the look-up at /session.
    """

    mdm_server = models.ForeignKey(MdmServer, on_delete=models.CASCADE, related_name="tokens")
    consumer_key = models.CharField(max_length=128, unique=True)
    consumer_secret = EncryptedTextField()
    access_token = models.CharField(max_length=160, unique=True)
    access_secret = EncryptedTextField()
    access_token_expiry = models.DateTimeField()
    created_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        AppleAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="server_tokens"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.mdm_server} {self.consumer_key[:12]}…"


class OAuthNonce(models.Model):
    """Nonces seen at /session, kept for the timestamp window so that a replay is refused."""

    consumer_key = models.CharField(max_length=128)
    nonce = models.CharField(max_length=128)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consumer_key", "nonce"], name="unique_oauth_nonce")]

    def __str__(self) -> str:
        return self.nonce


class AuthSession(models.Model):
    """An X-ADM-Auth-Session; only a SHA-256 digest of the opaque value is stored."""

    token_digest = models.CharField(max_length=64, unique=True)
    server_token = models.ForeignKey(ServerToken, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"session {self.token_digest[:8]}…"


class DeviceEvent(models.Model):
    """One line of an MDM server's change feed (POST /devices/sync), in id order."""

    class OpType(models.TextChoices):
        ADDED = "added", _("Added")
        MODIFIED = "modified", _("Modified")
        DELETED = "deleted", _("Deleted")

    mdm_server = models.ForeignKey(MdmServer, on_delete=models.CASCADE, related_name="events")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    op_type = models.CharField(max_length=16, choices=OpType.choices)
    op_date = models.DateTimeField()
    actor = models.CharField(max_length=254, blank=True)

    class Meta:
        indexes = [models.Index(fields=["mdm_server", "id"])]

    def __str__(self) -> str:
        return f"{self.op_type} {self.device_id}"


class Profile(models.Model):
    """A cloud configuration (DEP profile) defined by an MDM server through POST /profile."""

    mdm_server = models.ForeignKey(MdmServer, on_delete=models.CASCADE, related_name="profiles")
    profile_uuid = models.CharField(max_length=32, unique=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.profile_uuid


def current_organization_id() -> int | None:
    """The organisation the code acts for (mock_apple.tenancy), else the default one: the oldest."""
    acting = tenancy.acting_organization_id()
    if acting is not None:
        return acting
    return Organization.objects.order_by("pk").values_list("pk", flat=True).first()


def current_organization_pk() -> int:
    """current_organization_id() for a filter: 0, which no row has, before any organisation exists."""
    return current_organization_id() or 0


def acting_q(field: str = "organization") -> models.Q:
    """The rows of the organisation the code acts for; before any organisation exists, those of
    none (the switches and faults of a bare mock)."""
    organization_id = current_organization_id()
    if organization_id is None:
        return models.Q(**{f"{field}__isnull": True})
    return models.Q(**{f"{field}_id": organization_id})


class MockConfig(models.Model):
    """The mock's own switches, one row per organisation: clock, sessions and fault injection."""

    # Null only before any organisation exists (a bare mock still has a clock).
    organization = models.OneToOneField(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="mock_config"
    )
    clock_offset_seconds = models.BigIntegerField(default=0)
    session_ttl_seconds = models.PositiveIntegerField(default=180)
    # When on, every authenticated answer carries a new X-ADM-Auth-Session header.
    session_rotation = models.BooleanField(default=False)
    # Apple's echoed-cursor bug: the next N syncs answer the request's cursor, more_to_follow.
    echoed_cursor_remaining = models.PositiveIntegerField(default=0)
    throttle_rate = models.FloatField(default=0.0)
    throttle_serials = models.JSONField(default=list, blank=True)
    failed_serials = models.JSONField(default=list, blank=True)
    retry_after_seconds = models.PositiveIntegerField(default=3600)
    # What the new server's feed says when a device moves between servers: Apple says
    # "modified" (clients keyed on "added" miss it); "added" is the textbook answer.
    move_op_type = models.CharField(max_length=16, default="modified")
    # depsim quoted its error codes ("INVALID_CURSOR"); Apple sends them bare.
    quoted_errors = models.BooleanField(default=False)
    profile_not_found_status = models.PositiveSmallIntegerField(default=400)
    # The School Manager / Business API's rate limits, counted per organisation (0 = no limit):
    # the defaults are what clients observed at Apple; a trainer or a test lifts them.
    api_get_per_minute = models.PositiveIntegerField(default=20)
    api_activity_posts_per_hour = models.PositiveIntegerField(default=10)
    # How long an activity stays IN_PROGRESS before it completes (see services.api_activities).
    api_activity_seconds = models.PositiveIntegerField(default=5)

    def __str__(self) -> str:
        return "mock configuration"

    @classmethod
    def load(cls) -> MockConfig:
        """The switches of the organisation the code acts for (before any organisation exists,
        those of the bare mock)."""
        organization_id = current_organization_id()
        if organization_id is None:
            found = cls.objects.filter(organization__isnull=True).order_by("pk").first()
            return found or cls.objects.create()
        config, _ = cls.objects.get_or_create(organization_id=organization_id)
        return config


class ForcedResponse(models.Model):
    """A queued fault: the next `remaining` calls of `endpoint` get this answer (or this delay);
    only the calls made for its organisation."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    endpoint = models.CharField(max_length=32)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    code = models.CharField(max_length=64, blank=True)
    retry_after = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    remaining = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.status or ''} {self.code} ×{self.remaining}"


class CertificateAuthority(models.Model):
    """A mock Apple CA, generated once, key encrypted at rest: one signs push certificates, the
    other ("Apple iPhone Device CA") the identity certificates of virtual devices."""

    class Purpose(models.TextChoices):
        PUSH = "push", _("Push certificates")
        DEVICE = "device", _("Device identities")

    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.PUSH)
    name = models.CharField(max_length=200)
    certificate_pem = models.TextField()
    private_key = EncryptedTextField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class PushCertificate(models.Model):
    """An Apple MDM push certificate issued by the Apple Push Certificates portal (/push/)."""

    account = models.ForeignKey(AppleAccount, on_delete=models.CASCADE, related_name="push_certificates")
    topic = models.CharField(max_length=100)  # com.apple.mgmt.External.<uuid>
    serial_number = models.CharField(max_length=64)
    subject = models.CharField(max_length=300)
    certificate_pem = models.TextField()
    not_after = models.DateTimeField()
    created_at = models.DateTimeField()
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.topic


# --- The roster: locations, people with Managed Apple Accounts, classes ----------------------


class RosterSource(models.TextChoices):
    """Where a roster record came from, as Apple School Manager's lists show it."""

    # Microsoft School Data Sync, sent by an MDM server with its token (this emulator's own
    # endpoint, POST /roster/import: Apple has none that accepts rosters from an MDM).
    SDS = "sds", _("SDS")
    MANUAL = "manual", _("Manual")


class Location(models.Model):
    """A location (a school or another unit). The primary one is named after the organisation."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="locations")
    # The SIS identifier (location_id of Apple's templates); empty for the primary location.
    location_id = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255)
    is_primary = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=RosterSource.choices, default=RosterSource.MANUAL)
    source_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["-is_primary", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "location_id"],
                condition=~models.Q(location_id=""),
                name="unique_location_id",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """Someone of the organisation's roster, with a Managed Apple Account (a Managed Apple ID).

    What a Shared iPad signs in with: `managed_apple_id` and a password, checked by
    mock_apple.roster.passwords.person_password_check (the temporary one until the person
    chooses their own: person_must_change_password, person_password_change). Inactive people
    cannot sign in.
    """

    class Role(models.TextChoices):
        STUDENT = "student", _("Student")
        INSTRUCTOR = "instructor", _("Instructor")
        STAFF = "staff", _("Staff")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="people")
    person_id = models.CharField(max_length=255)  # the SIS identifier, unique in the organisation
    person_number = models.CharField(max_length=255, blank=True)
    first_name = models.CharField(max_length=255, blank=True)
    middle_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=320, blank=True)
    sis_username = models.CharField(max_length=320, blank=True)
    grade_level = models.CharField(max_length=32, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    managed_apple_id = models.CharField(max_length=128, unique=True)
    locations = models.ManyToManyField(Location, related_name="people", blank=True)
    source = models.CharField(max_length=16, choices=RosterSource.choices, default=RosterSource.SDS)
    source_name = models.CharField(max_length=255, blank=True)  # e.g. the SDS sync profile
    synced_by = models.CharField(max_length=200, blank=True)  # the MDM server that sent it
    # Inactive when the source no longer carries the person: nothing is deleted.
    is_active = models.BooleanField(default=True)
    # The temporary password (Fernet ciphertext) until the person chooses their own; it is
    # shown once, on a sign-in sheet.
    temporary_password = EncryptedTextField(blank=True)
    temporary_password_shown = models.BooleanField(default=False)
    password = models.CharField(max_length=200, blank=True)  # a Django password hash, once chosen
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "person_id"], name="unique_person_id")]
        indexes = [models.Index(fields=["organization", "last_name", "first_name"], name="asm_person_name")]

    def __str__(self) -> str:
        return self.managed_apple_id

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)

    @property
    def display_name(self) -> str:
        """First and last name, as the lists show people (the person ID when both are empty)."""
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.person_id


class RosterClass(models.Model):
    """A class: a course at a location, its instructors and its students."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="classes")
    class_id = models.CharField(max_length=255)  # the SIS identifier, unique in the organisation
    class_number = models.CharField(max_length=255, blank=True)
    course_name = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255)  # class_display_name, the "Class Nickname"
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="classes")
    instructors = models.ManyToManyField(Person, related_name="classes_taught", blank=True)
    students = models.ManyToManyField(Person, related_name="classes_attended", blank=True)
    # A class the source stops sending turns Manual and loses its students, as Apple does.
    source = models.CharField(max_length=16, choices=RosterSource.choices, default=RosterSource.SDS)
    source_name = models.CharField(max_length=255, blank=True)
    synced_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "class_id"], name="unique_class_id")]

    def __str__(self) -> str:
        return self.display_name


class RosterSettings(models.Model):
    """The organisation's Preferences for accounts: the Managed Apple Account format."""

    DEFAULT_FORMAT = "{first}.{last}@appleid.{domain}"

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="roster_settings"
    )
    managed_apple_id_format = models.CharField(max_length=200, default=DEFAULT_FORMAT)
    modified_at = models.DateTimeField(null=True, blank=True)
    modified_by = models.CharField(max_length=254, blank=True)

    def __str__(self) -> str:
        return self.managed_apple_id_format


# --- Virtual devices: the hardware side of a serial number -----------------------------------


class VirtualDevice(models.Model):
    """What a serial number of the inventory does when someone powers it on (/ipad/).

    Its identity (UDID, key, certificate from the device CA) is the hardware's and survives an
    erase; everything else is what the device remembers, and an erase forgets it.
    """

    class State(models.TextChoices):
        OFF = "off", _("Off")
        SETUP = "setup", _("Setup Assistant")
        HOME = "home", _("Home Screen")

    class Session(models.TextChoices):
        NONE = "", _("No one")
        USER = "user", _("User")
        GUEST = "guest", _("Guest")

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="virtual")
    udid = models.CharField(max_length=64, unique=True)
    private_key = EncryptedTextField()
    certificate_pem = models.TextField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.OFF)
    pane = models.CharField(max_length=40, blank=True)
    # The Setup Assistant panes still ahead, derived at activation (Apple's order).
    panes_ahead = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=8, blank=True)
    region = models.CharField(max_length=8, blank=True)
    wifi_network = models.CharField(max_length=64, blank=True)
    # The cloud configuration received at activation; null when Apple had none.
    activated_at = models.DateTimeField(null=True, blank=True)
    activation = models.JSONField(null=True, blank=True)
    # Where the device reports without a profile (its MDM server's last known enrollment URL).
    enrollment_url = models.CharField(max_length=2000, blank=True)
    enrolled = models.BooleanField(default=False)
    device_name = models.CharField(max_length=100, blank=True)
    apps = models.JSONField(default=list, blank=True)
    # The last error shown on the screen: a code and the organisation it names.
    error_code = models.CharField(max_length=40, blank=True)
    error_detail = models.CharField(max_length=300, blank=True)
    session_kind = models.CharField(max_length=8, choices=Session.choices, default=Session.NONE, blank=True)
    session_user = models.ForeignKey(
        "SharedIPadUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The Shared iPad sign-in flow: the class picked, the person picked.
    signin_class = models.ForeignKey(
        RosterClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signin_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Which app is open on the home screen ("" = the grid).
    open_app = models.CharField(max_length=40, blank=True)
    powered_on_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    last_checkin_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    # --- The MDM protocol (issue 23): what the engine (mock_apple.ipad.engine) keeps ---------
    # The com.apple.mdm payload of the installed enrollment profile, as the device uses it:
    # ServerURL, CheckInURL, Topic, SignMessage, CheckOutWhenRemoved, AccessRights,
    # ServerCapabilities, IdentityCertificateUUID, and the profile's PayloadIdentifier.
    mdm_payload = models.JSONField(null=True, blank=True)
    # The identity the MDM knows the device by (SCEP or PKCS#12), not the hardware one above.
    mdm_certificate_pem = models.TextField(blank=True)
    mdm_private_key = EncryptedTextField(blank=True)
    # What TokenUpdate told the MDM: the APNs token (hex) and the push magic it must send back.
    push_token = models.CharField(max_length=200, blank=True, db_index=True)
    push_magic = models.CharField(max_length=64, blank=True)
    # The DEP profile awaits DeviceConfigured: Setup Assistant shows « Awaiting final configuration ».
    awaiting_configuration = models.BooleanField(default=False)
    # The outcome of the last enrollment attempt ("" = none or enrolled): a FailureCode.
    enrollment_failure = models.CharField(max_length=40, blank=True)
    enrollment_failure_detail = models.CharField(max_length=300, blank=True)
    # DeviceLock: the lock screen's message and phone number (until the screen is unlocked).
    locked = models.BooleanField(default=False)
    lock_message = models.CharField(max_length=500, blank=True)
    lock_phone_number = models.CharField(max_length=64, blank=True)
    passcode_present = models.BooleanField(default=False)
    # Lost Mode (EnableLostMode / DisableLostMode).
    lost_mode = models.BooleanField(default=False)
    lost_mode_message = models.CharField(max_length=500, blank=True)
    lost_mode_phone_number = models.CharField(max_length=64, blank=True)
    lost_mode_footnote = models.CharField(max_length=500, blank=True)
    lost_mode_sound_at = models.DateTimeField(null=True, blank=True)
    # What the device is doing that the screen shows instead of Setup Assistant or the home
    # screen: "" (nothing), "erasing", "restarting", "shutting_down"; and until when.
    activity = models.CharField(max_length=16, blank=True)
    activity_until = models.DateTimeField(null=True, blank=True)
    # Settings the MDM applied (TimeZone, OrganizationInfo, MDMOptions, SharedDeviceConfiguration…).
    mdm_settings = models.JSONField(default=dict, blank=True)
    # EraseDevice with ReturnToService: the Wi-Fi and MDM profile data to set up with, unattended.
    return_to_service = models.JSONField(null=True, blank=True)
    last_session_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.device.serial_number} ({self.state})"


class InstalledProfile(models.Model):
    """A configuration profile installed on a virtual iPad (Settings › General › VPN & Device
    Management): the enrollment profile, and those InstallProfile added."""

    virtual_device = models.ForeignKey(
        VirtualDevice, on_delete=models.CASCADE, related_name="installed_profiles"
    )
    identifier = models.CharField(max_length=255)  # PayloadIdentifier: one profile per identifier
    uuid = models.CharField(max_length=64)  # PayloadUUID
    version = models.PositiveIntegerField(default=1)
    display_name = models.CharField(max_length=255, blank=True)
    organization = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    # [{"type", "identifier", "uuid", "display_name"}] for each payload of PayloadContent.
    payloads = models.JSONField(default=list, blank=True)
    # Installed by the MDM (or the enrollment), and whether the user may remove it.
    is_managed = models.BooleanField(default=True)
    is_enrollment = models.BooleanField(default=False)
    removal_disallowed = models.BooleanField(default=False)
    # base64 DER of the signer's chain when the profile came signed.
    signer_certificates = models.JSONField(default=list, blank=True)
    # The profile as installed (the plist, after unwrapping the signature), for ProfileList.
    content = models.BinaryField()
    installed_at = models.DateTimeField()

    class Meta:
        ordering = ["installed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["virtual_device", "identifier"], name="unique_installed_profile")
        ]

    def __str__(self) -> str:
        return self.identifier


class MdmExchange(models.Model):
    """The command log of a virtual iPad: one row per message to its MDM and what came back,
    check-ins (Authenticate, TokenUpdate, CheckOut), each command and its reply, and the
    enrollment requests (MachineInfo, SCEP). Kept across an erase, for MDM developers."""

    class Kind(models.TextChoices):
        ENROLLMENT = "enrollment", _("Enrollment")
        CHECKIN = "checkin", _("Check-in")
        COMMAND = "command", _("Command")

    virtual_device = models.ForeignKey(VirtualDevice, on_delete=models.CASCADE, related_name="exchanges")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The check-in MessageType, the command's RequestType, or the enrollment step.
    request_type = models.CharField(max_length=64)
    command_uuid = models.CharField(max_length=128, blank=True)
    # The reply's Status (Acknowledged, Error, NotNow, CommandFormatError) for a command.
    status = models.CharField(max_length=32, blank=True)
    # The HTTP status the MDM answered the device's message with (0 = unreachable).
    http_status = models.PositiveSmallIntegerField(default=0)
    # The plists as XML text (the command the server sent, the reply the device sent).
    request_plist = models.TextField(blank=True)
    reply_plist = models.TextField(blank=True)
    received_at = models.DateTimeField()
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["virtual_device", "-received_at"], name="mock_exchange_device")]

    def __str__(self) -> str:
        return f"{self.request_type} {self.status}"


class SharedIPadUser(models.Model):
    """A user cached on a Shared iPad: their partition stays until evicted (oldest first) or erased."""

    virtual_device = models.ForeignKey(VirtualDevice, on_delete=models.CASCADE, related_name="cached_users")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="shared_ipad_caches")
    first_signed_in_at = models.DateTimeField()
    last_signed_in_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_signed_in_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["virtual_device", "person"], name="unique_cached_user")
        ]

    def __str__(self) -> str:
        return str(self.person)


# --- The Apple School Manager API (and Apple Business API): OAuth 2 and JSON:API --------------


class ApiAccount(models.Model):
    """An API account of Preferences › API: a client id, a key id and the public half of the
    P-256 key whose private half was downloaded once."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_accounts")
    name = models.CharField(max_length=200)
    client_id = models.CharField(max_length=64, unique=True)  # SCHOOLAPI.<uuid> or BUSINESSAPI.<uuid>
    key_id = models.CharField(max_length=64, unique=True)
    public_key_pem = models.TextField()
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField()
    revoked_by = models.CharField(max_length=254, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class ApiAccessToken(models.Model):
    """An OAuth 2 access token; only a SHA-256 digest of the opaque value is stored."""

    token_digest = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(ApiAccount, on_delete=models.CASCADE, related_name="tokens")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token {self.token_digest[:8]}…"


class ApiAssertionId(models.Model):
    """The `jti` of every client assertion accepted, kept until the assertion expires."""

    client_id = models.CharField(max_length=64)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client_id", "jti"], name="unique_assertion_jti")]

    def __str__(self) -> str:
        return self.jti


class ApiRateWindow(models.Model):
    """How many calls of a kind an organisation made in the current window of the rate limit."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)  # "get" or "activity"
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "window_start"], name="unique_rate_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.window_start} {self.count}"


class ApiActivity(models.Model):
    """An orgDeviceActivity: accepted IN_PROGRESS, completed when due, with a CSV log per serial."""

    class Status(models.TextChoices):
        IN_PROGRESS = "IN_PROGRESS", _("In progress")
        COMPLETED = "COMPLETED", _("Completed")
        STOPPED = "STOPPED", _("Stopped")
        FAILED = "FAILED", _("Failed")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_activities")
    activity_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(
        ApiAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    activity_type = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    sub_status = models.CharField(max_length=40, default="SUBMITTED")
    mdm_server = models.ForeignKey(
        MdmServer, null=True, blank=True, on_delete=models.SET_NULL, related_name="api_activities"
    )
    serials = models.JSONField(default=list)
    deadline = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    log_csv = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.activity_type} {self.activity_id}"


class SignInFailure(models.Model):
    """One failed sign-in (the ASM portal, or a Shared iPad's password), for the attempt limits
    of mock_apple.attempts: counted per account and per client address over a sliding window,
    so a lock-out decays by itself. The account is the name that was typed, whether an account
    has it or not (a digest of it: no stranger's typing is kept in clear)."""

    subject = models.CharField(max_length=80)  # "<what>:<sha-256 of the account or address>"
    failed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["subject", "failed_at"], name="signin_failure_subject")]

    def __str__(self) -> str:
        return f"{self.subject[:16]}… {self.failed_at:%Y-%m-%d %H:%M:%S}"


class ActivityLog(models.Model):
    """The organisation's own record of what was done to its API accounts, shown under Activity on
    Preferences › API: who created or revoked which account, and when (on the mock's clock)."""

    class Action(models.TextChoices):
        API_ACCOUNT_CREATED = "API_ACCOUNT_CREATED", _("API account created")
        API_ACCOUNT_REVOKED = "API_ACCOUNT_REVOKED", _("API account revoked")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="activity_log")
    created_at = models.DateTimeField()
    # The Apple ID of the signed-in account, or what acted without one (the command line, the
    # control API).
    actor = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    subject = models.CharField(max_length=200)  # the API account's name
    client_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="mock_activity_org_created")]

    def __str__(self) -> str:
        return f"{self.action} {self.subject}"


# --- Apple Push Notification service (the MDM pushes) -------------------------------------------


class ApnsDeviceToken(models.Model):
    """A device token APNs knows: seen in a push, or marked unregistered (410) by the control
    API, as a device that was erased or removed its MDM profile."""

    token = models.CharField(max_length=200, unique=True)  # lower-case hex
    topic = models.CharField(max_length=255, blank=True)
    unregistered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.token


class ApnsPush(models.Model):
    """One notification a provider sent to APNs (POST /3/device/<token>) and what APNs answered."""

    token = models.CharField(max_length=200, db_index=True)
    topic = models.CharField(max_length=255, blank=True)
    push_type = models.CharField(max_length=32, blank=True)
    apns_id = models.CharField(max_length=64)
    payload = models.TextField(blank=True)
    status = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=64, blank=True)
    certificate = models.ForeignKey(
        PushCertificate, null=True, blank=True, on_delete=models.SET_NULL, related_name="pushes"
    )
    received_at = models.DateTimeField()
    # When a powered-on virtual iPad with this token ran the session this push asked for: a push
    # not yet delivered survives a restart of the mock, and a device powered on later gets it.
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(
                fields=["token"],
                condition=models.Q(delivered_at__isnull=True, status=200),
                name="mock_apns_push_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.token}"

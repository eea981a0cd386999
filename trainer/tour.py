"""The guided tour of the article's six steps: the steps, their check marks from the real state
of the tenant, and the step the panel shows. Only the Trainer role sees it (roles.require_trainer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from asm_portal import roles
from asm_portal.roles import Actor
from devices.models import Device, EnrollmentState, SyncRun
from profiles.models import EnrollmentProfile
from tokens.models import EnrollmentProgramToken, TokenEncryptionKey

# The tour panel's state lives in the session: it survives navigation and reloads.
SESSION_TOUR_OPEN = "trainer.tour.open"
SESSION_TOUR_STEP = "trainer.tour.step"


@dataclass(frozen=True)
class TourCheck:
    key: str
    label: str | Promise
    done: bool


@dataclass(frozen=True)
class TourStep:
    number: int
    key: str
    title: str | Promise
    text: str | Promise
    url: str
    checks: list[TourCheck] = field(default_factory=list)
    optional: bool = False

    @property
    def done(self) -> bool:
        return all(check.done for check in self.checks)


def _tour_facts() -> dict[str, bool]:
    """What the tenant really holds, one cheap query per check."""

    token = EnrollmentProgramToken.objects.exists()
    devices = Device.objects.filter(removed_by_apple=False)
    return {
        # An upload uses up the key it was encrypted to: a token proves a key was downloaded.
        "public_key": token or TokenEncryptionKey.objects.exists(),
        "token": token,
        "profile": EnrollmentProfile.objects.exists(),
        "sds": EnrollmentProgramToken.objects.filter(shared_with_sds=True).exists(),
        "sync": SyncRun.objects.filter(state=SyncRun.State.SUCCEEDED).exists(),
        "assigned": devices.filter(assigned_profile__isnull=False).exists(),
        "enrolled": devices.filter(enrollment_state=EnrollmentState.ENROLLED).exists(),
    }


def _first_token_id() -> int | None:

    tokens = EnrollmentProgramToken.objects.order_by("pk")
    asm = tokens.filter(token_type=EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER).first()
    first = asm or tokens.first()
    return first.pk if first else None


# The article's six steps (« Étapes d'inscription ASM »), each in its own words. Step 1 has two
# checks: the public key (.pem) goes to Apple, the token (.p7m) comes back.
_STEPS: tuple[tuple[str, Promise, Promise, tuple[tuple[str, Promise], ...]], ...] = (
    (
        "token",
        gettext_lazy("Get the ASM token and assign devices"),
        gettext_lazy(
            "Download the Intune public key (.pem), add an MDM server with it in Apple School "
            "Manager, assign devices to the server, then upload the server token (.p7m)."
        ),
        (("public_key", gettext_lazy("Public key downloaded")), ("token", gettext_lazy("Token uploaded"))),
    ),
    (
        "profile",
        gettext_lazy("Create an Apple enrollment profile"),
        gettext_lazy(
            "A device enrollment profile defines the settings applied to a group of devices during enrollment."
        ),
        (("profile", gettext_lazy("Profile created")),),
    ),
    (
        "sds",
        gettext_lazy("Connect School Data Sync (optional)"),
        gettext_lazy(
            "Choose Allow Microsoft School Data Sync to use this token, so that class rosters sync "
            "with Apple School Manager."
        ),
        (("sds", gettext_lazy("School Data Sync connected")),),
    ),
    (
        "sync",
        gettext_lazy("Sync ASM-managed devices"),
        gettext_lazy("Sync Intune with the ASM service to see your managed devices in the Intune portal."),
        (("sync", gettext_lazy("Sync done")),),
    ),
    (
        "assign",
        gettext_lazy("Assign an ASM profile to devices"),
        gettext_lazy(
            "ASM devices managed by Intune must be assigned an ASM profile before they are enrolled."
        ),
        (("assigned", gettext_lazy("Profile assigned")),),
    ),
    (
        "distribute",
        gettext_lazy("Distribute devices to users"),
        gettext_lazy("When an ASM iOS device is turned on, it is enrolled for management by Intune."),
        (("enrolled", gettext_lazy("A device enrolled")),),
    ),
)

STEP_KEYS = tuple(key for key, *_rest in _STEPS)
# The seven checks of the six steps, in order: the columns of the class board.
TOUR_CHECKS: tuple[tuple[str, Promise], ...] = tuple(check for *_rest, checks in _STEPS for check in checks)


def _step_urls(token_id: int | None) -> dict[str, str]:
    """The blade each step opens: the token's own blades once there is a token."""
    if token_id is None:
        return {
            "token": reverse("tokens:add"),
            "profile": reverse("profiles:list"),
            "sds": reverse("tokens:list"),
            "sync": reverse("devices:list"),
            "assign": reverse("profiles:list"),
            "distribute": reverse("devices:list"),
        }
    return {
        "token": reverse("tokens:detail", args=[token_id]),
        "profile": reverse("profiles:token_profiles", args=[token_id]),
        "sds": reverse("sds:token_sharing", args=[token_id]),
        "sync": reverse("devices:sync", args=[token_id]),
        "assign": reverse("devices:token_devices", args=[token_id]),
        "distribute": reverse("devices:token_devices", args=[token_id]),
    }


def tour_steps(user: Actor) -> list[TourStep]:
    """The six steps with check marks computed from the real state of the tenant."""
    roles.require_trainer(user)
    facts = _tour_facts()
    urls = _step_urls(_first_token_id())
    return [
        TourStep(
            number=number,
            key=key,
            title=title,
            text=text,
            url=urls[key],
            checks=[TourCheck(check, label, facts[check]) for check, label in checks],
            optional=key == "sds",
        )
        for number, (key, title, text, checks) in enumerate(_STEPS, start=1)
    ]


def tour_current_step(steps: list[TourStep], chosen: str | None) -> str:
    """The step the trainer last opened, else the first one not done yet."""
    if chosen in STEP_KEYS:
        return str(chosen)
    for step in steps:
        if not step.done and not step.optional:
            return step.key
    return steps[-1].key


@dataclass(frozen=True)
class TourState:
    """What the tour panel shows: the steps, the current one, and the progress."""

    steps: list[TourStep]
    current: str

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / len(self.steps))


def tour_state(user: Actor, *, chosen: str | None) -> TourState:
    steps = tour_steps(user)
    return TourState(steps, tour_current_step(steps, chosen))

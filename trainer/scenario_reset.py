"""Reset the whole tenant, portal and mock Apple, to a scenario preset.

`scenario_reset` wipes the portal's tenant data, asks the mock Apple service (over HTTP, POST
/_mock/scenario) to wipe and rebuild its organisation, then builds the portal part through the
real services, as an administrator would: so the data is exactly what the real flow produces.
The portal side is one transaction: when Apple fails at any step, the portal is left as it was
and the error says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock, roles, texts
from asm_portal.models import AuditEvent, Notification
from asm_portal.refusals import Refusal
from asm_portal.roles import Actor
from asm_portal.services import audit_record, notification_send
from asm_portal.tenancy import require_tenant, tenant_rows_delete
from asm_portal.texts import Text
from devices.assignment import profile_assign
from devices.assignment_rounds import assignment_run
from devices.models import Device, ProfileAssignment, SyncRun
from devices.selection import MAX_SELECTION
from devices.sync_rules import sync_error_message
from devices.tasks import sync_run
from profiles import rules
from profiles.services import ProfileRefused, profile_create, profile_define_on_apple, profile_set_default
from sds.apple_roster_sync import apple_error_text, apple_roster_sync_run
from sds.apple_roster_sync_queue import apple_roster_sync_after_import
from sds.models import AppleRosterSync, RosterUpload
from sds.receivers import roster_syncs_suppressed
from sds.roster_import import roster_upload_process
from sds.sharing import token_sds_share
from sds.sync_profiles import sync_profile_create
from sds.uploads import roster_upload_create
from tokens import push_certificates
from tokens import services as token_services
from tokens.dep_client import DepError
from tokens.models import EnrollmentProgramToken
from tokens.refusals import UploadError
from trainer import apple_control
from trainer.presets import PRESETS_DIR, Preset, localized_value, preset_get

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

# Tables of the tenant a reset keeps: what people did (the audit log), the directory's users
# (added by another app; matched by name), the trainer's classes (their trainees' tenants are
# not this one's data) and the reset jobs (the running one among them). Every other table of the
# tenant's data is wiped, so that a model added later is wiped without anyone remembering to list
# it. The tenant itself, its accounts, their roles and preferences are not tenant data and stay.
KEEP_LABELS = frozenset(
    {
        "asm_portal.auditevent",
        "mdm.directoryuser",
        "trainer.classroom",
        "trainer.trainee",
        "trainer.presetreset",
    }
)


class ResetFailed(Refusal):
    """The reset could not be done; nothing was changed on the portal. The message is for people."""


def _tenant_wipe() -> None:
    """Empty the tenant's tables (its rows only: the other tenants are not touched)."""
    tenant_rows_delete(require_tenant(), keep=KEEP_LABELS)


# --- The reset ----------------------------------------------------------------------------------


@dataclass
class ResetOutcome:
    preset: Preset
    seconds: float = 0.0
    apple_devices: int = 0
    devices: int = 0
    tokens: int = 0
    profiles: int = 0
    assigned: int = 0
    people: int = 0
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return str(self.text)

    @property
    def text(self) -> Text:
        """The toast of a finished reset, rendered in the reader's language when shown."""
        parts = [
            texts.ngettext("%(count)s device", "%(count)s devices", "count", count=self.devices),
            texts.ngettext("%(count)s token", "%(count)s tokens", "count", count=self.tokens),
            texts.ngettext("%(count)s profile", "%(count)s profiles", "count", count=self.profiles),
        ]
        if self.assigned:
            parts.append(
                texts.ngettext("%(count)s assigned", "%(count)s assigned", "count", count=self.assigned)
            )
        if self.people:
            parts.append(
                texts.ngettext(
                    "%(count)s person in the roster",
                    "%(count)s people in the roster",
                    "count",
                    count=self.people,
                )
            )
        return texts.gettext(
            "Tenant reset to “%(name)s” — %(counts)s in %(seconds)s s",
            name=texts.localized(self.preset.names),
            counts=texts.join(*parts, separator=", "),
            seconds=f"{self.seconds:.1f}",
        )


class _Build:
    """The portal part of a preset, built through the real services (inside the reset's transaction)."""

    def __init__(self, actor: User, preset: Preset, outcome: ResetOutcome, progress: Progress) -> None:
        self.actor = actor
        self.preset = preset
        self.outcome = outcome
        self.progress = progress
        self.started = time.monotonic()
        self.mark = self.started

    def step(self, name: str, label: str) -> None:
        now = time.monotonic()
        self.outcome.steps[name] = round(now - self.mark, 3)
        self.mark = now
        self.progress(label)

    def run(self) -> None:

        portal = self.preset.portal
        self.step("start", _("Emptying the tenant…"))
        _tenant_wipe()
        clock.set_offset(timedelta(0))
        push_request = (
            push_certificates.push_certificate_request_create(actor=self.actor)
            if portal.get("push_certificate")
            else None
        )
        keys = {
            spec["mdm_server"]: token_services.token_public_key_create(
                actor=self.actor, data_sharing_consent=True
            )
            for spec in portal.get("tokens", [])
        }
        self.step("wipe", _("Building the Apple School Manager organisation…"))
        try:
            answer = apple_control.scenario_build(
                {
                    "apple": self._apple_part(),
                    "seed": self.preset.key,
                    "push_csr": push_request.csr_pem if push_request else "",
                    "server_certificates": {name: key.certificate_pem for name, key in keys.items()},
                }
            )
        except apple_control.AppleControlError as error:
            raise ResetFailed(str(error)) from None
        self.outcome.apple_devices = int(answer.get("devices", 0))
        self.step("apple", _("Uploading the push certificate and the tokens…"))
        apple_id = portal.get("apple_id", "")
        if push_request is not None:
            self._guard(
                push_certificates.push_certificate_upload,
                actor=self.actor,
                apple_id=apple_id,
                data=answer["push_certificate"].encode(),
            )
        for spec in portal.get("tokens", []):
            server = answer["servers"][spec["mdm_server"]]
            token = self._guard(
                token_services.token_upload,
                actor=self.actor,
                apple_id=apple_id,
                data=server["token_file"].encode(),
                key_ids=[keys[spec["mdm_server"]].pk],
            )
            self.outcome.tokens += 1
            self._token_build(token, spec)
        if portal.get("sds"):
            self._sds_build(portal["sds"])
        self.step("portal", _("Done."))

    def _apple_part(self) -> dict[str, Any]:
        """The preset's Apple side. A trainee's organisation keeps its own name (the class's and
        the trainee's), not the preset's school district."""
        tenant = require_tenant()
        if tenant.apple_organization_id:
            return {key: value for key, value in self.preset.apple.items() if key != "organization"}
        return dict(self.preset.apple)

    def _guard(self, call: Callable[..., Any], **kwargs: Any) -> Any:
        """A refusal of a real service stops the reset with its own (translated) message."""

        try:
            return call(**kwargs)
        except UploadError as error:
            raise ResetFailed(error.message) from None
        except ProfileRefused as error:
            raise ResetFailed(
                " ".join(str(m) for messages in error.errors.values() for m in messages)
            ) from None

    def _token_build(self, token: Any, spec: dict[str, Any]) -> None:

        if spec.get("sync", True):
            self.progress(_("Syncing the devices of “%(name)s”…") % {"name": token.token_name})
            run = SyncRun.objects.filter(token=token, state__in=SyncRun.ACTIVE_STATES).first()
            if run is not None:
                sync_run(run_id=run.pk)
                run.refresh_from_db()
                if run.state != SyncRun.State.SUCCEEDED:
                    raise ResetFailed(
                        _("The first sync of the token failed: %(reason)s")
                        % {"reason": sync_error_message(run.error_code)}
                    )
            self.step(f"sync:{token.token_name}", _("Creating the profiles…"))
        self.outcome.devices += Device.objects.filter(token=token).count()
        for profile_spec in spec.get("profiles", []):
            values = replace(rules.ProfileValues(), **_profile_values(profile_spec["settings"]))
            profile = self._guard(profile_create, actor=self.actor, token=token, values=values).profile
            try:
                profile_define_on_apple(profile=profile)
            except DepError as error:
                raise ResetFailed(
                    _("Apple refused the profile “%(name)s”: %(reason)s")
                    % {
                        "name": profile.name,
                        "reason": sync_error_message(error.code or str(error.status or "")),
                    }
                ) from None
            self.outcome.profiles += 1
            if profile_spec.get("default"):
                profile_set_default(actor=self.actor, profile=profile)
                self._assignments_run(self._pending_assignments(profile))
            if profile_spec.get("assign"):
                self._assign(profile, profile_spec["assign"])
        self.step(f"profiles:{token.token_name}", _("Assigning the profiles…"))

    @staticmethod
    def _pending_assignments(profile: Any) -> list[int]:

        return list(
            ProfileAssignment.objects.filter(
                profile=profile, state=ProfileAssignment.State.QUEUED
            ).values_list("pk", flat=True)
        )

    def _assign(self, profile: Any, target: str | dict[str, Any]) -> None:
        """Assign profile, as the Devices blade does: batches of 1,000 selected devices."""

        devices = Device.objects.filter(token=profile.token, removed_by_apple=False).order_by("serial_number")
        serials = list(devices.values_list("serial_number", flat=True))
        if isinstance(target, dict):
            serials = self._order_serials(profile.token, target["order"], serials)
            serials = serials[: target.get("count", len(serials))]
        ids = []
        for start in range(0, len(serials), MAX_SELECTION):
            ids.append(
                profile_assign(
                    actor=self.actor, profile=profile, serials=serials[start : start + MAX_SELECTION]
                ).pk
            )
        self._assignments_run(ids)

    def _order_serials(self, token: Any, order: str, serials: list[str]) -> list[str]:
        """The devices of one purchase order: the scenario answer does not list serials, so the
        order's devices are those Apple reports in the same order (the preset's order numbers)."""

        # Devices keep no order number in the portal (Apple's DEP API has none); the mock gives
        # each order its own model and colour, which the sync does keep.
        orders = {o["number"]: o for o in self.preset.apple.get("orders", [])}
        kinds = {(item["model"], item.get("color", "")) for item in orders[order].get("items", [])}
        chosen = set(
            Device.objects.filter(token=token)
            .filter(models.Q(*[models.Q(model=m, color=c) for m, c in kinds], _connector=models.Q.OR))
            .values_list("serial_number", flat=True)
        )
        return [serial for serial in serials if serial in chosen]

    def _assignments_run(self, ids: list[int]) -> None:

        for assignment_id in ids:
            assignment_run(assignment_id=assignment_id)
            assignment = ProfileAssignment.objects.get(pk=assignment_id)
            if assignment.state != ProfileAssignment.State.SUCCEEDED:
                raise ResetFailed(
                    _("The profile assignment did not succeed: %(reason)s")
                    % {
                        "reason": sync_error_message(assignment.error_code)
                        if assignment.error_code
                        else assignment.state
                    }
                )
            self.outcome.assigned += assignment.succeeded

    def _sds_build(self, spec: dict[str, Any]) -> None:

        self.progress(_("Connecting School Data Sync and importing the roster…"))
        for token in EnrollmentProgramToken.objects.filter(
            token_type=EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER
        ):
            if any(t.get("sds") for t in self.preset.portal["tokens"] if t["mdm_server"] == token.token_name):
                token_sds_share(actor=self.actor, token=token)
        profile_spec = spec["profile"]
        profile = sync_profile_create(
            actor=self.actor,
            name=profile_spec["name"],
            roster_format=profile_spec["format"],
            domain_suffix=profile_spec.get("domain_suffix", ""),
        )
        folder = PRESETS_DIR / spec["roster"]
        files = {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}
        upload = roster_upload_create(actor=self.actor, profile=profile, files=files)
        upload = roster_upload_process(upload_id=upload.pk)
        if upload.state != RosterUpload.State.SUCCEEDED:
            raise ResetFailed(
                _("The preset's roster was not accepted (%(count)s errors).") % {"count": upload.error_count}
            )
        self.step("sds-import", _("Sending the roster to Apple School Manager…"))
        # What the import's receiver would queue after the commit, run here (see _roster_syncs_inline).
        sync = apple_roster_sync_after_import(profile=profile, upload=upload)
        if sync is not None:
            sync = apple_roster_sync_run(sync_id=sync.pk)
            if sync.state != AppleRosterSync.State.SUCCEEDED:
                raise ResetFailed(
                    _("Apple School Manager refused the roster: %(reason)s")
                    % {"reason": apple_error_text(sync.error_code)}
                )
            self.outcome.people = sync.people_created + sync.people_updated
        self.step("sds-sync", _("Done."))


def _profile_values(settings_: dict[str, Any]) -> dict[str, Any]:
    """A profile's settings in the tenant's language (names, description, department)."""
    values = {key: localized_value(value) for key, value in settings_.items()}
    if "hidden_screens" in values:
        values["hidden_screens"] = frozenset(values["hidden_screens"])
    return values


def scenario_reset(
    *, actor: Actor, preset_key: str, scale: float = 1.0, progress: Progress | None = None
) -> ResetOutcome:
    """Reset the tenant (portal and mock Apple) to the preset; audited, all or nothing on the portal.

    `scale` multiplies the preset's device counts (tests load the large presets scaled down).
    """
    roles.require_trainer(actor)
    roles.require_change_permission(actor)  # the real services check it too: say so up front
    assert isinstance(actor, User)
    preset = preset_get(preset_key)
    if scale != 1.0:
        preset = preset.scaled(scale)

    outcome = ResetOutcome(preset=preset)
    started = time.monotonic()
    try:
        with roster_syncs_suppressed(), transaction.atomic():
            _Build(actor, preset, outcome, progress or (lambda label: None)).run()
            outcome.seconds = time.monotonic() - started
            # The build's own toasts (sync finished, roster imported…) would bury the one that matters.
            Notification.objects.filter(user=actor).delete()
            audit_record(
                actor=actor,
                category=AuditEvent.Category.TRAINER,
                action=gettext_noop("Reset tenant to scenario preset"),
                target_type=gettext_noop("Scenario preset"),
                target_text=texts.localized(preset.names),
                details={
                    "preset": preset.key,
                    "scale": scale,
                    "devices": outcome.devices,
                    "apple_devices": outcome.apple_devices,
                    "profiles": outcome.profiles,
                    "assigned": outcome.assigned,
                    "people": outcome.people,
                    "seconds": round(outcome.seconds, 2),
                    "steps": outcome.steps,
                },
            )
            notification_send(
                user=actor,
                title=outcome.text,
                level=Notification.Level.SUCCESS,
                link=reverse("trainer:home"),
            )
    except ResetFailed as error:
        audit_record(
            actor=actor,
            category=AuditEvent.Category.TRAINER,
            action=gettext_noop("Reset tenant to scenario preset"),
            target_type=gettext_noop("Scenario preset"),
            target_text=texts.localized(preset.names),
            result="failure",
            details={"preset": preset.key, "error": str(error)},
        )
        raise
    logger.info("Tenant reset to %s in %.2f s: %s", preset.key, outcome.seconds, outcome.steps)
    return outcome

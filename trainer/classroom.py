"""The classroom: a class of trainees, each with an Intune tenant and an Apple School Manager
organisation of their own, built from a trainer preset; and what the trainer does to them.

The class and its trainee rows live in the trainer's tenant. Everything done *to* a trainee
(build, reset, clock, fault drills) runs in the trainee's tenant scope, with the trainer as the
actor, through the same services the trainer uses on their own tenant. Ending the class deletes
every row of the trainees' tenants, on both sides.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock, roles, texts
from asm_portal.jobs import job_lease_release, job_lease_take, job_out_of_attempts, worker_id
from asm_portal.models import AuditEvent, Tenant, UserPreference
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from asm_portal.tenancy import every_tenant, tenant_join, tenant_models, tenant_rows_delete, tenant_scope
from asm_portal.texts import Text
from mdm.directory import directory_users_seed
from trainer import apple_control
from trainer.apple_control import AppleControlError
from trainer.models import MAX_TRAINEES, Classroom, Trainee
from trainer.presets import PresetNotFound, preset_get
from trainer.refusals import TrainerError
from trainer.scenario_reset import ResetFailed, scenario_reset

logger = logging.getLogger(__name__)

AUDIT_CLASSROOM = gettext_noop("Classroom")
AUDIT_TRAINEE = gettext_noop("Trainee")


class ClassroomRefused(TrainerError):
    """The class could not be created or changed as asked; nothing was changed."""


# --- Names, domains, passwords -----------------------------------------------------------------


def _label_of(name: str) -> str:
    """Letters and digits of the class name, then a random part: the start of every trainee's
    domain (Entra's initial domains take letters and digits only)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    letters = re.sub(r"[^a-z0-9]", "", ascii_name)[:12] or "class"
    return f"{letters}{secrets.token_hex(3)}"


def trainee_name(number: int) -> str:
    """« Trainee 07 » in the active language."""
    return str(trainee_words(number))


def trainee_words(number: int) -> Text:
    """`trainee_name` as a stored text (a toast shows it in the reader's language)."""
    return texts.gettext("Trainee %(number)02d", number=number)


def _password() -> str:
    """Readable on a printed card, never guessed: two hex words, a capital and a symbol."""
    return f"Class-{secrets.token_hex(3)}-{secrets.token_hex(3)}!"


def _intune_domain(classroom: Classroom, number: int) -> str:
    return f"{classroom.label}t{number:02d}.onmicrosoft.com"


def _apple_domain(classroom: Classroom, number: int) -> str:
    return f"{classroom.label}t{number:02d}.edu"


# --- Creating a class ------------------------------------------------------------------------


def classroom_create(*, actor: Actor, name: str, trainees: int, preset_key: str, language: str) -> Classroom:
    """The class and its trainees, to be built by workers (`classroom_trainee_build`); the
    caller sends the build tasks once this commits."""
    roles.require_trainer(actor)
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise ClassroomRefused(_("Give the class a name of 1 to 100 characters."))
    if not 1 <= trainees <= MAX_TRAINEES:
        raise ClassroomRefused(
            _("A class has from 1 to %(max)d trainees.") % {"max": MAX_TRAINEES}, code="TRAINEES"
        )
    if language not in dict(settings.LANGUAGES):
        raise ClassroomRefused(_("Choose the class's language."), code="LANGUAGE")
    try:
        preset = preset_get(preset_key)
    except PresetNotFound:
        raise ClassroomRefused(_("Choose a preset for the trainees to start from."), code="PRESET") from None
    if Classroom.objects.filter(name__iexact=name).exists():
        raise ClassroomRefused(_("A class with this name already exists."), code="DUPLICATE")
    try:
        with transaction.atomic():
            classroom = Classroom.objects.create(
                name=name,
                label=_label_of(name),
                preset_key=preset.key,
                language=language,
                created_by=actor if isinstance(actor, User) else None,
                created_at=clock.now(),
            )
            Trainee.objects.bulk_create(
                Trainee(classroom=classroom, number=number) for number in range(1, trainees + 1)
            )
            audit_record(
                actor=actor,
                category=AuditEvent.Category.TRAINER,
                action=gettext_noop("Create class"),
                target=classroom,
                target_type=AUDIT_CLASSROOM,
                details={"trainees": trainees, "preset": preset.key, "language": language},
            )
    except IntegrityError:
        raise ClassroomRefused(_("A class with this name already exists."), code="DUPLICATE") from None
    return classroom


def classroom_trainee_build(*, trainee_id: int, worker: str | None = None) -> Trainee:
    """Build one trainee (a worker's job, in the trainer's tenant scope): their tenant and
    Intune administrator, their Apple School Manager organisation and administrator, then the
    class's preset in both. A failure is kept on the trainee, in the class's language.

    The trainee's row is the job's truth (asm_portal.jobs): one worker at a time holds its lease;
    a worker lost in the middle (the trainee left *Creating*) is resumed by the next one from
    what the row and Apple hold (each step is written with what it made, an organisation Apple
    made for a lost worker is found by its domain and made again); a trainee lost
    JOBS_MAX_ATTEMPTS times fails with its reason."""
    worker = worker or worker_id()
    rows = Trainee.objects.all()
    attempt = job_lease_take(
        rows, pk=trainee_id, worker=worker, states=(Trainee.State.PENDING, Trainee.State.CREATING)
    )
    trainee = Trainee.objects.select_related("classroom", "classroom__created_by").get(pk=trainee_id)
    if attempt is None:
        return trainee  # built already (a message delivered twice), or another worker is at it
    classroom = trainee.classroom
    try:
        with translation.override(classroom.language):
            if job_out_of_attempts(attempt):
                trainee.state, trainee.error = Trainee.State.FAILED, trainee_lost_message()
                trainee.save(update_fields=["state", "error"])
            else:
                _trainee_attempt(trainee, classroom, resumed=attempt > 1)
    finally:
        job_lease_release(rows, pk=trainee_id, worker=worker)
    _classroom_state_update(classroom)
    return trainee


def trainee_lost_message() -> str:
    return _(
        "Building this trainee's tenant stopped unexpectedly each time it was started. End the "
        "class and create it again."
    )


def _trainee_attempt(trainee: Trainee, classroom: Classroom, *, resumed: bool) -> None:
    Trainee.objects.filter(pk=trainee.pk).update(state=Trainee.State.CREATING, error="")
    try:
        _trainee_build(trainee, classroom, resumed=resumed)
    except (AppleControlError, ResetFailed, TrainerError) as error:
        trainee.state, trainee.error = Trainee.State.FAILED, str(error)
    except Exception:
        logger.exception("Building trainee %s failed", trainee.pk)
        trainee.state = Trainee.State.FAILED
        trainee.error = _("The trainee's tenant could not be created. End the class and create it again.")
        trainee.save(update_fields=["state", "error"])
        _classroom_state_update(classroom)
        raise
    else:
        trainee.state = Trainee.State.READY
    trainee.save()


def _trainee_build(trainee: Trainee, classroom: Classroom, *, resumed: bool = False) -> None:
    trainer = classroom.created_by
    if trainer is None:
        raise ClassroomRefused(_("The trainer who created the class no longer exists."))
    number = trainee.number
    tenant = trainee.trainee_tenant
    if tenant is None:
        with transaction.atomic():  # the tenant and the row that names it, or neither
            tenant = Tenant.objects.create(
                display_name=f"{classroom.name} – {trainee_name(number)}",
                initial_domain=_intune_domain(classroom, number),
            )
            trainee.trainee_tenant = tenant
            trainee.save(update_fields=["trainee_tenant"])
    if not trainee.apple_organization_id:
        domain = _apple_domain(classroom, number)
        if resumed:
            _apple_orphan_delete(domain)
        organization = apple_control.organization_create(
            name=tenant.display_name,
            domain=domain,
            admin_first_name=trainee_name(number),
            admin_last_name=classroom.name[:50],
            language=classroom.language,
        )
        trainee.apple_organization_id = organization["org_id"]
        trainee.asm_apple_id = organization["admin_apple_id"]
        trainee.asm_password = organization["admin_password"]
        trainee.save(update_fields=["apple_organization_id", "asm_apple_id", "asm_password"])
        Tenant.objects.filter(pk=tenant.pk).update(apple_organization_id=trainee.apple_organization_id)
        tenant.apple_organization_id = trainee.apple_organization_id
    if trainee.user_id is None:
        password = _password()
        upn = f"admin@{tenant.initial_domain}"
        with transaction.atomic():  # the account and the row that names it, or neither
            user = User.objects.create_user(
                username=upn,
                email=upn,
                password=password,
                first_name=trainee_name(number),
                last_name=classroom.name[:150],
            )
            user.groups.set([Group.objects.get_or_create(name=roles.ADMINISTRATOR)[0]])
            tenant_join(user=user, tenant=tenant)
            UserPreference.objects.update_or_create(user=user, defaults={"language": classroom.language})
            trainee.user, trainee.intune_upn, trainee.intune_password = user, upn, password
            trainee.save(update_fields=["user", "intune_upn", "intune_password"])
    with tenant_scope(tenant):
        # The teachers and students who sign in on the trainee's iPads (step 6), in the
        # trainee's domain, with the trainee's password (the account sheet says so).
        directory_users_seed(password=trainee.intune_password, domain=tenant.initial_domain)
        scenario_reset(actor=trainer, preset_key=classroom.preset_key)


def _apple_orphan_delete(domain: str) -> None:
    """A worker lost between Apple's answer and the row's update left an organisation nobody
    knows the administrator's password of: Apple's list of organisations says so; it is
    deleted, and made again."""
    for organization in apple_control.organizations_list():
        if organization.get("domain", "").lower() == domain.lower():
            logger.warning(
                "Deleting organisation %s, made for a worker that was lost", organization["org_id"]
            )
            apple_control.organization_delete(org_id=organization["org_id"])


def _classroom_state_update(classroom: Classroom) -> None:
    """Ready once no trainee waits; failed when none could be built."""
    states = set(Trainee.objects.filter(classroom=classroom).values_list("state", flat=True))
    if states & {Trainee.State.PENDING, Trainee.State.CREATING}:
        return
    state = Classroom.State.FAILED if states == {Trainee.State.FAILED} else Classroom.State.READY
    Classroom.objects.filter(pk=classroom.pk).update(state=state)


# --- Acting on a trainee ------------------------------------------------------------------------


@contextmanager
def in_trainee_tenant(trainee: Trainee) -> Iterator[Tenant]:
    """Act in the trainee's tenant (the trainer's services then see only that tenant)."""
    if trainee.trainee_tenant_id is None or trainee.state != Trainee.State.READY:
        raise ClassroomRefused(_("This trainee's tenant is not ready."), code="NOT_READY")
    with tenant_scope(trainee.trainee_tenant_id) as tenant:
        yield tenant


def classroom_look_audit(*, actor: Actor, trainee: Trainee) -> None:
    """The trainer looks at the trainee's tenant, read-only: in both audit logs."""
    roles.require_trainer(actor)
    audit_record(
        actor=actor,
        category=AuditEvent.Category.TRAINER,
        action=gettext_noop("Look at trainee's tenant"),
        target=trainee,
        target_type=AUDIT_TRAINEE,
    )
    with in_trainee_tenant(trainee) as tenant:
        audit_record(
            actor=actor,
            category=AuditEvent.Category.TRAINER,
            action=gettext_noop("Look at trainee's tenant"),
            target=tenant,
            target_type=gettext_noop("Tenant"),
        )


# --- Ending a class ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassroomEnded:
    trainees: int
    portal_rows: int
    apple_rows: int


def classroom_end(*, actor: Actor, classroom: Classroom) -> ClassroomEnded:
    """Delete every row of the trainees' tenants on both sides, their accounts, then the class.

    Apple's side first, organisation by organisation: when Apple cannot be reached nothing of
    that trainee is deleted, the class stays, and ending it again finishes the job."""
    roles.require_trainer(actor)
    portal_rows = apple_rows = 0
    trainees = list(Trainee.objects.filter(classroom=classroom).select_related("trainee_tenant"))
    for trainee in trainees:
        if trainee.apple_organization_id:
            deleted = apple_control.organization_delete(org_id=trainee.apple_organization_id)
            apple_rows += sum(deleted.values())
            Trainee.objects.filter(pk=trainee.pk).update(apple_organization_id="")
        tenant = trainee.trainee_tenant
        with transaction.atomic():
            if tenant is not None:
                portal_rows += sum(tenant_rows_delete(tenant).values())
                members = User.objects.filter(membership__tenant=tenant)
                portal_rows += members.count()
                members.delete()
                tenant.delete()
            if trainee.user_id is not None:
                User.objects.filter(pk=trainee.user_id).delete()
    with transaction.atomic():
        Trainee.objects.filter(classroom=classroom).delete()
        audit_record(
            actor=actor,
            category=AuditEvent.Category.TRAINER,
            action=gettext_noop("End class"),
            target=classroom,
            target_type=AUDIT_CLASSROOM,
            details={"trainees": len(trainees), "portal_rows": portal_rows, "apple_rows": apple_rows},
        )
        classroom.delete()
    return ClassroomEnded(len(trainees), portal_rows, apple_rows)


def tenant_rows_left(tenant_ids: list[int]) -> int:
    """Rows still owned by these tenants, in every tenant table (the "nothing left" check)."""
    with every_tenant():
        return sum(
            model._default_manager.filter(tenant_id__in=tenant_ids).count() for model in tenant_models()
        )

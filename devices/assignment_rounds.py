"""The rounds of a profile assignment at Apple (what `profile_assignment_task` runs), and the
assignments the portal records for itself (a default profile, an edited profile). Nothing here
sends a task: `devices.assignment` and `devices.tasks` send the assignments recorded here.

A profile is assigned to at most 1,000 devices at a time, in one call to Apple.

Reliability: one worker at a time holds the assignment's lease. A round that finds the
assignment *running* (its worker died mid-round, after Apple may have answered) never sends
blindly again: it first reads what Apple holds for the serial numbers still pending (device
details) and records those Apple already assigns this profile, then sends only the others.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse

from asm_portal import clock, texts
from asm_portal.jobs import owner_gone, worker_id
from asm_portal.models import Notification
from asm_portal.services import notification_send
from devices.models import AssignmentDevice, Device, EnrollmentState, ProfileAssignment, ProfileStatus
from devices.selection import MAX_SELECTION
from devices.sync_rules import sync_error_text
from profiles.models import EnrollmentProfile
from profiles.services import profile_define_on_apple
from tokens.apple_retry import Reschedule, apple_call, error_code
from tokens.dep_client import DepClient, DepError
from tokens.models import token_secrets_via
from tokens.services import token_apple_call_failed, token_apple_call_succeeded, token_dep_client

logger = logging.getLogger(__name__)

# Apple advises at most 1,000 serial numbers per assignment call.
APPLE_BATCH = 1000


class AssignmentLeaseLost(Exception):
    """Another worker took the assignment over: this one stops without writing more."""


def assignment_create(
    *,
    profile: EnrollmentProfile,
    devices: Mapping[str, int],
    source: str,
    requested_by: User | None,
) -> ProfileAssignment:
    """A queued assignment of `devices` (serial number → id); the caller sends its task."""
    assignment = ProfileAssignment.objects.create(
        profile=profile,
        source=source,
        requested_by=requested_by,
        requested_at=clock.now(),
        device_count=len(devices),
    )
    AssignmentDevice.objects.bulk_create(
        (
            AssignmentDevice(assignment=assignment, device_id=pk, serial_number=serial)
            for serial, pk in devices.items()
        ),
        batch_size=2000,
    )
    return assignment


def default_profile_assignments_create(*, token_id: int) -> list[ProfileAssignment]:
    """Devices of the token with no profile get its default profile (Intune's setDefaultProfile).

    The docs urge setting a default profile early: a synced device with no profile that is
    powered on fails enrollment. Batches of at most 1,000, as Apple advises.
    """
    profile = EnrollmentProfile.objects.filter(token_id=token_id, is_default=True).first()
    if profile is None:
        return []
    devices = list(
        Device.objects.filter(
            token_id=token_id,
            assigned_profile__isnull=True,
            removed_by_apple=False,
            enrollment_state=EnrollmentState.NOT_CONTACTED,
        )
        .order_by("serial_number")
        .values_list("serial_number", "pk")
    )
    assignments = []
    for start in range(0, len(devices), MAX_SELECTION):
        batch = dict(devices[start : start + MAX_SELECTION])
        with transaction.atomic():
            assignments.append(
                assignment_create(
                    profile=profile,
                    devices=batch,
                    source=ProfileAssignment.Source.DEFAULT_PROFILE,
                    requested_by=None,
                )
            )
    return assignments


def profile_reassign_after_edit(*, profile_id: int) -> ProfileAssignment | None:
    """Apple gave an edited profile a new uuid: its devices are assigned to the new one.

    Returns the assignment to run (the task sends it on its own queue), or None."""
    profile = (
        EnrollmentProfile.objects.select_related("token")
        .defer(*token_secrets_via("token"))
        .get(pk=profile_id)
    )
    devices = dict(
        Device.objects.filter(assigned_profile=profile, removed_by_apple=False).values_list(
            "serial_number", "pk"
        )
    )
    if not devices:
        return None
    with transaction.atomic():
        return assignment_create(
            profile=profile, devices=devices, source=ProfileAssignment.Source.PROFILE_EDIT, requested_by=None
        )


def _record_answers(assignment: ProfileAssignment, answers: Mapping[str, str], apple_uuid: str) -> None:
    """Apple's answer for each serial, on the assignment and on the devices, in one transaction."""
    now = clock.now()
    profile = assignment.profile
    by_status: dict[str, list[str]] = {}
    for serial, status in answers.items():
        known = status if status in AssignmentDevice.Status.values else AssignmentDevice.Status.FAILED
        by_status.setdefault(known, []).append(serial)
    with transaction.atomic():
        for status, serials in by_status.items():
            AssignmentDevice.objects.filter(assignment=assignment, serial_number__in=serials).update(
                status=status, answered_at=now
            )
        token_devices = Device.objects.filter(token_id=profile.token_id)
        succeeded = by_status.get(AssignmentDevice.Status.SUCCESS, [])
        if succeeded:
            # An enrolled device now has another profile than the one it enrolled with:
            # users see « Reset required » until it is wiped and enrolls again.
            reset = (
                token_devices.filter(serial_number__in=succeeded, enrollment_state=EnrollmentState.ENROLLED)
                .exclude(enrolled_profile=profile)
                .update(enrollment_state=EnrollmentState.PENDING_RESET, updated_at=now)
            )
            assignment.reset_required += reset
            token_devices.filter(serial_number__in=succeeded).update(
                assigned_profile=profile,
                profile_assigned_at=now,
                profile_status=ProfileStatus.ASSIGNED,
                apple_profile_uuid=apple_uuid,
                apple_profile_assign_time=now,
                updated_at=now,
            )
        for status, device_status in (
            (AssignmentDevice.Status.FAILED, ProfileStatus.FAILED),
            (AssignmentDevice.Status.THROTTLED, ProfileStatus.PENDING),
        ):
            if by_status.get(status):
                token_devices.filter(serial_number__in=by_status[status]).update(
                    profile_status=device_status, updated_at=now
                )
        assignment.save(update_fields=["reset_required"])


def _assignment_counts(assignment: ProfileAssignment) -> None:
    counts = dict(
        AssignmentDevice.objects.filter(assignment=assignment)
        .values("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    assignment.succeeded = counts.get(AssignmentDevice.Status.SUCCESS, 0)
    assignment.not_accessible = counts.get(AssignmentDevice.Status.NOT_ACCESSIBLE, 0)
    assignment.failed = counts.get(AssignmentDevice.Status.FAILED, 0)
    assignment.throttled = counts.get(AssignmentDevice.Status.THROTTLED, 0)


def _pending_serials(assignment: ProfileAssignment) -> list[str]:
    return list(
        AssignmentDevice.objects.filter(
            assignment=assignment,
            status__in=[AssignmentDevice.Status.PENDING, AssignmentDevice.Status.THROTTLED],
        )
        .order_by("id")
        .values_list("serial_number", flat=True)
    )


def _already_at_apple(client: DepClient, serials: Sequence[str], apple_uuid: str) -> list[str]:
    """The serial numbers to which Apple already assigns the profile (device details)."""
    wanted = apple_uuid.replace("-", "").upper()
    done = []
    for start in range(0, len(serials), APPLE_BATCH):
        details = apple_call(partial(client.device_details, serials=serials[start : start + APPLE_BATCH]))
        for serial, device in details.items():
            uuid = str(device.get("profile_uuid") or "").replace("-", "").upper()
            status = device.get("profile_status")
            if uuid == wanted and status in (ProfileStatus.ASSIGNED, ProfileStatus.PUSHED):
                done.append(serial)
    return done


def _lease_renew(assignment: ProfileAssignment, worker: str) -> None:
    expires = clock.now() + timedelta(seconds=settings.ASSIGNMENT_LEASE_SECONDS)
    if not ProfileAssignment.objects.filter(pk=assignment.pk, lease_owner=worker).update(
        lease_expires_at=expires
    ):
        raise AssignmentLeaseLost()


def _assign_round(assignment: ProfileAssignment, *, worker: str, resumed: bool) -> int | None:
    """POST /profile/devices for every serial still to do; Apple's throttling delay, if any."""
    profile = assignment.profile
    apple_uuid = profile_define_on_apple(profile=profile)
    client = token_dep_client(token=profile.token)
    pending = _pending_serials(assignment)
    if resumed and pending:
        # The last worker died mid-round: Apple may have assigned some of them already.
        done = _already_at_apple(client, pending, apple_uuid)
        if done:
            logger.info("Assignment %s resumed: Apple already assigns %d device(s)", assignment.pk, len(done))
            _record_answers(assignment, dict.fromkeys(done, AssignmentDevice.Status.SUCCESS), apple_uuid)
            _lease_renew(assignment, worker)
            pending = _pending_serials(assignment)
    delay: int | None = None
    for start in range(0, len(pending), APPLE_BATCH):
        _lease_renew(assignment, worker)
        batch = pending[start : start + APPLE_BATCH]
        try:
            answer = apple_call(partial(client.assign_profile, profile_uuid=apple_uuid, serials=batch))
        except DepError as error:
            if error.code != "PROFILE_NOT_FOUND":
                raise
            # Apple no longer knows the profile (its uuid was lost): define it again, once.
            apple_uuid = profile_define_on_apple(profile=profile, force=True)
            answer = apple_call(partial(client.assign_profile, profile_uuid=apple_uuid, serials=batch))
        # Serials Apple did not mention are not its devices.
        answers = {
            serial: answer.devices.get(serial, AssignmentDevice.Status.NOT_ACCESSIBLE) for serial in batch
        }
        _record_answers(assignment, answers, apple_uuid)
        if AssignmentDevice.Status.THROTTLED in answers.values():
            # Below protocol version 10 Apple gives no delay: wait a minute.
            delay = max(delay or 0, answer.retry_after_seconds or 60)
    assignment.apple_profile_uuid = apple_uuid
    return delay


def assignments_to_resend(*, now: datetime, queued_before: datetime) -> list[int]:
    """The assignments nobody is doing: queued before `queued_before` and never started,
    waiting well past their retry time (the retry's message was lost), or running with a lease
    that expired or whose owner process is gone."""
    grace = now - queued_before  # a retry's message is as late as a queued job's
    rows = ProfileAssignment.objects.filter(state__in=ProfileAssignment.ACTIVE_STATES).values_list(
        "pk", "state", "requested_at", "retry_at", "lease_owner", "lease_expires_at"
    )
    resend = []
    for pk, state, requested_at, retry_at, owner, expires in rows:
        if owner and expires is not None and expires > now and not owner_gone(owner):
            continue  # a live worker holds it
        if state == ProfileAssignment.State.QUEUED and requested_at > queued_before:
            continue  # its message is probably on its way
        if state == ProfileAssignment.State.WAITING and retry_at and retry_at + grace > now:
            continue  # its retry's message is due
        resend.append(pk)
    return resend


def _lease_take(assignment_id: int, worker: str) -> str | None:
    """Take the assignment if it is active and nobody holds a live lease on it; the state it
    had (RUNNING: its last worker died mid-round), or None when it is not to take."""
    now = clock.now()
    row = (
        ProfileAssignment.objects.filter(pk=assignment_id, state__in=ProfileAssignment.ACTIVE_STATES)
        .values_list("state", "lease_owner")
        .first()
    )
    if row is None:
        return None
    state, holder = row
    free = Q(lease_owner="") | Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
    if holder and owner_gone(holder):
        free |= Q(lease_owner=holder)
    taken = (
        ProfileAssignment.objects.filter(pk=assignment_id, state=state, lease_owner=holder)
        .filter(free)
        .update(
            lease_owner=worker,
            lease_expires_at=now + timedelta(seconds=settings.ASSIGNMENT_LEASE_SECONDS),
        )
    )
    return state if taken else None


def assignment_run(*, assignment_id: int) -> float | None:
    """One round of an assignment (the task's body). Seconds until the next round, or None."""
    assignment = (
        ProfileAssignment.objects.select_related("profile__token")
        .defer(*token_secrets_via("profile__token"))
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or not assignment.is_active:
        return None
    now = clock.now()
    if assignment.retry_at and now < assignment.retry_at:
        return (assignment.retry_at - now).total_seconds()  # delivered early: wait the rest
    worker = worker_id()
    previous = _lease_take(assignment_id, worker)
    if previous is None:
        logger.info("Assignment %s: another worker holds it, this delivery stops", assignment_id)
        return None
    assignment.lease_owner = worker
    assignment.state = ProfileAssignment.State.RUNNING
    assignment.started_at = assignment.started_at or now
    assignment.rounds += 1
    assignment.save(update_fields=["state", "started_at", "rounds"])
    token = assignment.profile.token
    try:
        delay = _assign_round(assignment, worker=worker, resumed=previous == ProfileAssignment.State.RUNNING)
    except AssignmentLeaseLost:
        logger.warning("Assignment %s: another worker took it over", assignment_id)
        return None
    except Reschedule as wait:
        # Apple asked for a long wait (Retry-After): the serial numbers not answered yet go
        # in the next round, after it.
        _assignment_counts(assignment)
        assignment.state = ProfileAssignment.State.WAITING
        assignment.retry_at = clock.now() + timedelta(seconds=wait.delay)
        assignment.lease_owner, assignment.lease_expires_at = "", None
        assignment.save()
        return wait.delay
    except DepError as error:
        assignment.state = ProfileAssignment.State.FAILED
        assignment.error_code = error_code(error)
        token_apple_call_failed(token=token, error=error)
        _assignment_counts(assignment)
        _assignment_finish(assignment)
        return None
    token_apple_call_succeeded(token=token)
    _assignment_counts(assignment)
    if delay is not None and assignment.rounds <= settings.ASSIGNMENT_THROTTLED_RETRIES:
        assignment.state = ProfileAssignment.State.WAITING
        assignment.retry_at = clock.now() + timedelta(seconds=delay)
        assignment.lease_owner, assignment.lease_expires_at = "", None
        assignment.save()
        return float(delay)
    everything = assignment.succeeded == assignment.device_count
    assignment.state = (
        ProfileAssignment.State.SUCCEEDED if everything else ProfileAssignment.State.COMPLETED_WITH_ERRORS
    )
    _assignment_finish(assignment)
    return None


def _assignment_finish(assignment: ProfileAssignment) -> None:
    """Save the ended assignment (its counts are up to date) and tell whoever asked for it."""
    assignment.finished_at = clock.now()
    assignment.retry_at = None
    assignment.lease_owner, assignment.lease_expires_at = "", None
    assignment.save()
    user = assignment.requested_by
    if user is None:
        return
    name = assignment.profile.name
    link = reverse("devices:assignment", args=[assignment.pk])
    if assignment.state == ProfileAssignment.State.FAILED:
        notification_send(
            user=user,
            title=texts.gettext("Profile assignment failed"),
            body=texts.gettext(
                "“%(profile)s” could not be assigned: %(reason)s",
                profile=name,
                reason=sync_error_text(assignment.error_code),
            ),
            level=Notification.Level.ERROR,
            link=link,
        )
        return
    body = texts.ngettext(
        "%(succeeded)d of %(count)d device was assigned “%(profile)s”.",
        "%(succeeded)d of %(count)d devices were assigned “%(profile)s”.",
        "count",
        succeeded=assignment.succeeded,
        count=assignment.device_count,
        profile=name,
    )
    if assignment.reset_required:
        body = texts.join(
            body,
            texts.ngettext(
                "%(count)d enrolled device must be reset to get it.",
                "%(count)d enrolled devices must be reset to get it.",
                "count",
                count=assignment.reset_required,
            ),
        )
    notification_send(
        user=user,
        title=texts.gettext("Profile assigned"),
        body=body,
        level=Notification.Level.SUCCESS
        if assignment.state == ProfileAssignment.State.SUCCEEDED
        else Notification.Level.WARNING,
        link=link,
    )

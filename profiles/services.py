"""Enrollment profiles: create, edit, delete, set default, and define them on Apple."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock, roles
from asm_portal.models import AuditEvent
from asm_portal.refusals import Refusal
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from asm_portal.texts import Text
from profiles import apple, graph, rules, signals
from profiles.apple_limits import body_over_limit
from profiles.certificates import CertificateError, certificate_parse
from profiles.models import ConfiguratorCertificate, EnrollmentProfile, ProfileSettings
from tokens.dep_client import DepError
from tokens.models import EnrollmentProgramToken
from tokens.services import token_dep_client

logger = logging.getLogger(__name__)


def _apple_field_errors() -> dict[str, tuple[str, str]]:
    """Apple's define-profile error codes, and the field of the blade each one concerns."""
    return {
        "CONFIG_NAME_INVALID": (
            "name",
            _("Apple rejected the profile name (Invalid configuration profile name)."),
        ),
        "CONFIG_NAME_REQUIRED": ("name", _("Apple requires a profile name.")),
        "DEPARTMENT_INVALID": ("department", _("Apple rejected the department (Invalid department entry).")),
        "DEPARTMENT_REQUIRED": ("department", _("Apple requires a department.")),
        "SUPPORT_PHONE_INVALID": (
            "department_phone",
            _("Apple rejected the department phone (Invalid support phone number)."),
        ),
        "SUPPORT_PHONE_REQUIRED": ("department_phone", _("Apple requires a department phone.")),
        "FLAGS_INVALID": (
            "locked_enrollment",
            _("Apple rejected the flags: locked enrollment needs Supervised."),
        ),
        "CONFIG_URL_INVALID": ("name", _("Apple rejected this portal's enrollment URL.")),
        "MAGIC_INVALID": ("name", _("Apple rejected the profile's organisation identifier.")),
        "SUPPORT_EMAIL_INVALID": ("department", _("Apple rejected the support e-mail address.")),
    }


class ProfileRefused(Refusal):
    """The profile breaks a rule (or Apple refused it); nothing was saved. Each message is on the
    field it concerns ("__all__" for the profile as a whole)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(
            "; ".join(message for messages in errors.values() for message in messages), errors=errors
        )


@dataclass
class SaveResult:
    profile: EnrollmentProfile
    notices: list[Text] = field(default_factory=list)


# --- URLs and JSON -------------------------------------------------------------------------


def enrollment_url(token: EnrollmentProgramToken) -> str:
    """The portal's enrollment endpoint for this token: where devices fetch their MDM profile."""
    return settings.PORTAL_BASE_URL + reverse("enroll:enroll", kwargs={"token_id": token.pk})


def configuration_web_url(token: EnrollmentProgramToken) -> str:
    """The web view of Setup Assistant with modern authentication."""
    return settings.PORTAL_BASE_URL + reverse("enroll:web_enrollment", kwargs={"token_id": token.pk})


def _certificates_der(profile: EnrollmentProfile) -> list[bytes]:
    return [bytes(certificate.der) for certificate in profile.certificates.all()]


def profile_apple_json(profile: EnrollmentProfile) -> dict[str, Any]:
    return apple.apple_profile(
        profile.values(),
        enrollment_url=enrollment_url(profile.token),
        configuration_web_url=configuration_web_url(profile.token),
        org_magic=str(profile.public_id),
        certificates_der=_certificates_der(profile),
    )


def profile_graph_json(profile: EnrollmentProfile) -> dict[str, Any]:
    return graph.graph_profile(
        profile.values(),
        profile_id=str(profile.public_id),
        is_default=profile.is_default,
        certificates_der=_certificates_der(profile),
        vpp_token_id=str(profile.vpp_token_id) if profile.vpp_token_id else None,
        configuration_endpoint_url=enrollment_url(profile.token),
        created=profile.created_at,
        modified=profile.modified_at,
    )


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# --- Apple -------------------------------------------------------------------------------


def profile_define_on_apple(*, profile: EnrollmentProfile, force: bool = False) -> str:
    """POST /profile unless Apple already has this exact definition; returns the profile uuid.

    Apple's profiles cannot be changed: an edit defines a new one (a new uuid), which the
    devices of the profile must then be assigned to again.
    """
    body = profile_apple_json(profile)
    if (limit := body_over_limit(body)) is not None:
        # What Apple would answer, without asking it: a profile saved before the limits were
        # checked (or changed in the database) fails here, with the field's message.
        raise DepError(
            f"{limit.key} is longer than Apple accepts ({limit.max_length}).", status=400, code=limit.code
        )
    digest = _digest(body)
    if profile.apple_profile_uuid and profile.apple_definition_digest == digest and not force:
        return profile.apple_profile_uuid
    answer = token_dep_client(token=profile.token).request("POST", "/profile", json_body=body)
    uuid = answer.get("profile_uuid") if isinstance(answer, dict) else None
    if not isinstance(uuid, str) or not uuid:
        raise DepError("Apple's define-profile answer has no profile_uuid.", code="INVALID_RESPONSE")
    profile.apple_profile_uuid = uuid
    profile.apple_definition_digest = digest
    profile.apple_defined_at = clock.now()
    profile.save(update_fields=["apple_profile_uuid", "apple_definition_digest", "apple_defined_at"])
    return uuid


def apple_refusal(error: DepError) -> ProfileRefused:
    """Turn Apple's answer into errors next to the field each one concerns."""
    known = _apple_field_errors()
    if error.code in known:
        field_name, message = known[error.code]
        return ProfileRefused({field_name: [message]})
    if error.unreachable:
        return ProfileRefused(
            {"__all__": [_("Apple's service could not be reached. Nothing was saved; try again.")]}
        )
    return ProfileRefused(
        {
            "__all__": [
                _("Apple refused the profile (%(code)s). Nothing was saved.")
                % {"code": error.code or error.status}
            ]
        }
    )


# --- Create, edit, delete ----------------------------------------------------------------


def _parse_uploads(uploads: Sequence[UploadedFile]) -> list[tuple[str, Any]]:
    parsed = []
    for upload in uploads:
        try:
            parsed.append((upload.name or "certificate.cer", certificate_parse(upload.read())))
        except CertificateError as exc:
            raise ProfileRefused({"certificates": [f"{upload.name}: {exc}"]}) from None
    thumbprints = [certificate.thumbprint for _name, certificate in parsed]
    if len(set(thumbprints)) != len(thumbprints):
        raise ProfileRefused({"certificates": [_("The same certificate was chosen twice.")]})
    return parsed


def _check(
    values: rules.ProfileValues, *, previous: rules.ProfileValues | None, certificate_count: int
) -> rules.Outcome:
    edition = ProfileSettings.load().rules_edition
    outcome = rules.check(values, edition=edition, previous=previous, certificate_count=certificate_count)
    if not outcome.ok:
        raise ProfileRefused(outcome.errors)
    return outcome


def _save_certificates(profile: EnrollmentProfile, parsed: list[tuple[str, Any]]) -> None:
    now = clock.now()
    for name, certificate in parsed:
        ConfiguratorCertificate.objects.create(
            profile=profile,
            file_name=name[:255],
            der=certificate.der,
            subject=certificate.subject[:500],
            thumbprint=certificate.thumbprint,
            not_after=certificate.not_after,
            uploaded_at=now,
        )


def profile_create(
    *,
    actor: Actor,
    token: EnrollmentProgramToken,
    values: rules.ProfileValues,
    certificates: Sequence[UploadedFile] = (),
) -> SaveResult:
    roles.require_change_permission(actor)
    parsed = _parse_uploads(certificates)
    outcome = _check(values, previous=None, certificate_count=len(parsed))
    limit = ProfileSettings.load().max_profiles_per_token
    if EnrollmentProfile.objects.filter(token=token).count() >= limit:
        raise ProfileRefused(
            {
                "__all__": [
                    _("There is a limit of %(limit)d enrollment profiles per token.") % {"limit": limit}
                ]
            }
        )
    now = clock.now()
    created_by = actor if isinstance(actor, User) else None
    profile = EnrollmentProfile(token=token, created_at=now, modified_at=now, created_by=created_by)
    profile.apply(outcome.values)
    try:
        with transaction.atomic():
            profile.save()
            _save_certificates(profile, parsed)
    except IntegrityError:
        raise ProfileRefused({"name": [_("This token already has a profile with this name.")]}) from None
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action=gettext_noop("Create enrollment profile"),
        target=profile,
    )
    return SaveResult(profile, outcome.notices)


def profile_update(
    *,
    actor: Actor,
    profile: EnrollmentProfile,
    values: rules.ProfileValues,
    add_certificates: Sequence[UploadedFile] = (),
    remove_certificate_ids: Sequence[int] = (),
) -> SaveResult:
    """Save an edit. If Apple already has the profile, define the new version first: when Apple
    refuses it, nothing is saved and the error is shown next to its field."""
    roles.require_change_permission(actor)
    parsed = _parse_uploads(add_certificates)
    kept = profile.certificates.exclude(pk__in=list(remove_certificate_ids))
    outcome = _check(values, previous=profile.values(), certificate_count=kept.count() + len(parsed))
    before = profile.values()
    try:
        with transaction.atomic():
            locked = EnrollmentProfile.objects.select_for_update().get(pk=profile.pk)
            locked.apply(outcome.values)
            locked.modified_at = clock.now()
            locked.save()
            locked.certificates.filter(pk__in=list(remove_certificate_ids)).delete()
            _save_certificates(locked, parsed)
            if locked.apple_profile_uuid:
                previous_uuid = locked.apple_profile_uuid
                if profile_define_on_apple(profile=locked) != previous_uuid:
                    _devices_reassign_on_commit(locked)
    except IntegrityError:
        raise ProfileRefused({"name": [_("This token already has a profile with this name.")]}) from None
    except DepError as error:
        raise apple_refusal(error) from None
    changed = sorted(
        name
        for name in rules.ProfileValues.__dataclass_fields__
        if getattr(before, name) != getattr(outcome.values, name)
    )
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action=gettext_noop("Update enrollment profile"),
        target=locked,
        details={"changed": changed},
    )
    return SaveResult(locked, outcome.notices)


def _devices_reassign_on_commit(profile: EnrollmentProfile) -> None:
    """Apple's profiles cannot change: the edit is a new Apple profile, and the devices assigned
    the old one are assigned the new one (by the devices app) once the edit is saved."""
    if profile_assigned_device_count(profile):
        transaction.on_commit(
            lambda: signals.profile_replaced_on_apple.send(sender=EnrollmentProfile, profile=profile)
        )


def profile_assigned_device_count(profile: EnrollmentProfile) -> int:
    """Devices whose assigned profile is this one (the devices app provides the relation)."""
    return profile.devices.count()


def profile_delete(*, actor: Actor, profile: EnrollmentProfile) -> None:
    roles.require_change_permission(actor)
    assigned = profile_assigned_device_count(profile)
    if assigned:
        raise ProfileRefused(
            {
                "__all__": [
                    _(
                        "This profile can't be deleted while %(count)d devices are assigned to it. "
                        "Assign them another profile first."
                    )
                    % {"count": assigned}
                ]
            }
        )
    name = profile.name
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action=gettext_noop("Delete enrollment profile"),
        target=profile,
    )
    profile.delete()
    logger.info("Profile %s deleted", name)


def profile_set_default(*, actor: Actor, profile: EnrollmentProfile) -> None:
    roles.require_change_permission(actor)
    with transaction.atomic():
        EnrollmentProfile.objects.filter(token=profile.token, is_default=True).exclude(pk=profile.pk).update(
            is_default=False
        )
        EnrollmentProfile.objects.filter(pk=profile.pk).update(is_default=True)
    profile.is_default = True
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action=gettext_noop("Set default enrollment profile"),
        target=profile,
    )
    # Devices already synced without a profile get the new default, as Intune does.
    signals.default_profile_set.send(sender=EnrollmentProfile, profile=profile)


def rules_edition_set(*, actor: User, edition: str) -> None:
    roles.require_change_permission(actor)
    current = ProfileSettings.load()
    current.rules_edition = edition
    current.save(update_fields=["rules_edition"])
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action=gettext_noop("Change profile rules edition"),
        target_type=gettext_noop("Tenant"),
        details={"rules_edition": edition},
    )

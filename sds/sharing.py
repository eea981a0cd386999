"""Sharing an enrollment program token with School Data Sync (Graph shareForSchoolDataSyncService
and unshareForSchoolDataSyncService): which token School Data Sync may use to push rosters to
Apple School Manager.

The flag itself stays on the token (Graph's `shareTokenWithSchoolDataSyncService`); deciding who
has it, one token at most, and telling School Data Sync when it moves belongs here.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import roles
from asm_portal.models import AuditEvent
from asm_portal.refusals import Refusal
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from sds import signals
from tokens.models import EnrollmentProgramToken
from tokens.services import AUDIT_TOKEN


class SdsShareError(Refusal):
    """Sharing with School Data Sync refused; the message is for people."""


class SdsShareConflict(Refusal):
    """Another token is shared with School Data Sync: replacing it needs a confirmation."""

    def __init__(self, current: EnrollmentProgramToken) -> None:
        super().__init__(
            _("School Data Sync uses the token “%(name)s” now.") % {"name": current.token_name},
            code="shared_elsewhere",
        )
        self.current = current


def token_sds_shared() -> EnrollmentProgramToken | None:
    """The token School Data Sync may use (one at most), without its secrets."""
    return EnrollmentProgramToken.objects.all().filter(shared_with_sds=True).first()


def _sds_sharing_set(actor: Actor | None, token: EnrollmentProgramToken, shared: bool, reason: str) -> None:
    token.shared_with_sds = shared
    token.save(update_fields=["shared_with_sds"])
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action=gettext_noop("Share enrollment program token with School Data Sync")
        if shared
        else gettext_noop("Stop sharing enrollment program token with School Data Sync"),
        target=token,
        target_type=AUDIT_TOKEN,
        details={
            "graph_action": "shareForSchoolDataSyncService" if shared else "unshareForSchoolDataSyncService",
            "reason": reason,
        },
    )
    transaction.on_commit(
        lambda: signals.sds_sharing_changed.send(
            sender=EnrollmentProgramToken, token=token, shared=shared, actor=actor
        )
    )


def token_sds_share(
    *, actor: Actor, token: EnrollmentProgramToken, replace: bool = False
) -> EnrollmentProgramToken | None:
    """Allow School Data Sync to use this token (Graph shareForSchoolDataSyncService).

    Only Apple School Manager tokens can be shared, one at a time: when another token has it,
    `replace` must confirm that it moves here. Returns the token that lost it, if any.
    """
    roles.require_change_permission(actor)
    if not token.is_apple_school_manager:
        raise SdsShareError(_("Only Apple School Manager tokens can be shared with School Data Sync."))
    with transaction.atomic():
        # Every Apple School Manager token row, locked in id order: two administrators sharing
        # two tokens at once cannot both succeed.
        list(
            EnrollmentProgramToken.objects.select_for_update()
            .filter(token_type=EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        token.refresh_from_db(fields=["shared_with_sds"])
        if token.shared_with_sds:
            return None
        current = token_sds_shared()
        if current is not None and not replace:
            raise SdsShareConflict(current)
        if current is not None:
            _sds_sharing_set(actor, current, False, reason=f"Replaced by {token.token_name}")
        _sds_sharing_set(actor, token, True, reason="Allowed")
    return current


def token_sds_unshare(*, actor: Actor, token: EnrollmentProgramToken) -> bool:
    """Block School Data Sync (Graph unshareForSchoolDataSyncService): future roster syncs stop;
    nothing already in Apple School Manager is deleted. False when it was not shared."""
    roles.require_change_permission(actor)
    with transaction.atomic():
        locked = EnrollmentProgramToken.objects.select_for_update().filter(pk=token.pk, shared_with_sds=True)
        if not locked.values_list("pk", flat=True).first():
            token.shared_with_sds = False
            return False
        _sds_sharing_set(actor, token, False, reason="Blocked")
    return True

"""Sharing a token with School Data Sync (Graph shareForSchoolDataSyncService /
unshareForSchoolDataSyncService): Apple School Manager tokens only, one at a time."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from asm_portal.models import AuditEvent
from sds import sharing, signals
from tests.tokens.conftest import make_token
from tokens.models import EnrollmentProgramToken


@pytest.fixture
def sharing_events():
    """The signal's sends (it goes out after the commit: tests run the on-commit callbacks)."""
    events: list[tuple[str, bool]] = []

    def receiver(sender, *, token, shared, actor, **kwargs) -> None:
        events.append((token.token_name, shared))

    signals.sds_sharing_changed.connect(receiver, dispatch_uid="test-sharing-events")
    yield events
    signals.sds_sharing_changed.disconnect(dispatch_uid="test-sharing-events")


def shared_names() -> list[str]:
    return list(
        EnrollmentProgramToken.objects.filter(shared_with_sds=True).values_list("token_name", flat=True)
    )


@pytest.mark.django_db
class TokenSharingTests:
    def test_it_shares_an_apple_school_manager_token(
        self, admin_user, sharing_events, django_capture_on_commit_callbacks
    ) -> None:
        token = make_token(token_name="Lycée A")
        with django_capture_on_commit_callbacks(execute=True):
            assert sharing.token_sds_share(actor=admin_user, token=token) is None
        assert shared_names() == ["Lycée A"] and sharing.token_sds_shared() == token
        assert sharing_events == [("Lycée A", True)]
        event = AuditEvent.objects.get(action="Share enrollment program token with School Data Sync")
        assert event.details["graph_action"] == "shareForSchoolDataSyncService"
        assert event.actor == admin_user and event.target_name == "Lycée A"

    def test_sharing_again_changes_nothing(self, admin_user, sharing_events) -> None:
        token = make_token(shared_with_sds=True)
        assert sharing.token_sds_share(actor=admin_user, token=token) is None
        assert sharing_events == [] and not AuditEvent.objects.exists()

    def test_a_second_token_needs_a_confirmation(self, admin_user, sharing_events) -> None:
        first = make_token(token_name="Lycée A", shared_with_sds=True)
        second = make_token(token_name="Collège B")
        with pytest.raises(sharing.SdsShareConflict) as conflict:
            sharing.token_sds_share(actor=admin_user, token=second)
        assert conflict.value.current == first
        assert shared_names() == ["Lycée A"] and sharing_events == []

    def test_confirmed_it_moves_to_the_second_token(
        self, admin_user, sharing_events, django_capture_on_commit_callbacks
    ) -> None:
        first = make_token(token_name="Lycée A", shared_with_sds=True)
        second = make_token(token_name="Collège B")
        with django_capture_on_commit_callbacks(execute=True):
            assert sharing.token_sds_share(actor=admin_user, token=second, replace=True) == first
        assert shared_names() == ["Collège B"]
        assert sharing_events == [("Lycée A", False), ("Collège B", True)]
        unshared = AuditEvent.objects.get(
            action="Stop sharing enrollment program token with School Data Sync"
        )
        assert unshared.details == {
            "graph_action": "unshareForSchoolDataSyncService",
            "reason": "Replaced by Collège B",
        }

    def test_device_enrollment_program_tokens_cannot_be_shared(self, admin_user) -> None:
        token = make_token(token_type=EnrollmentProgramToken.TokenType.DEP)
        with pytest.raises(sharing.SdsShareError):
            sharing.token_sds_share(actor=admin_user, token=token)
        assert shared_names() == []

    def test_blocking_stops_the_sharing(
        self, admin_user, sharing_events, django_capture_on_commit_callbacks
    ) -> None:
        token = make_token(token_name="Lycée A", shared_with_sds=True)
        with django_capture_on_commit_callbacks(execute=True):
            assert sharing.token_sds_unshare(actor=admin_user, token=token) is True
        assert shared_names() == [] and sharing_events == [("Lycée A", False)]
        assert sharing.token_sds_unshare(actor=admin_user, token=token) is False
        assert AuditEvent.objects.filter(action__startswith="Stop sharing").count() == 1

    def test_read_only_operators_change_nothing(self, operator_user) -> None:
        token = make_token()
        shared = make_token(shared_with_sds=True)
        with pytest.raises(PermissionDenied):
            sharing.token_sds_share(actor=operator_user, token=token)
        with pytest.raises(PermissionDenied):
            sharing.token_sds_unshare(actor=operator_user, token=shared)
        assert shared_names() == [shared.token_name]

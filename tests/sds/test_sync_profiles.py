from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from asm_portal.models import AuditEvent
from sds import sync_profiles


class SyncProfileCreateTests:
    def test_it_creates_and_audits_a_profile(self, admin_user) -> None:
        profile = sync_profiles.sync_profile_create(
            actor=admin_user, name="Fabrikam", roster_format="v2.1", domain_suffix=""
        )
        assert (profile.roster_format, profile.created_by, profile.file_set) == ("v2.1", admin_user, [])
        assert AuditEvent.objects.get(action="Create sync profile").target_name == "Fabrikam"

    def test_read_only_operators_cannot_create_one(self, operator_user) -> None:
        with pytest.raises(PermissionDenied):
            sync_profiles.sync_profile_create(actor=operator_user, name="Fabrikam", roster_format="v1")

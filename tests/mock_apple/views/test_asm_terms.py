"""Terms and Conditions: only an Administrator accepts; the API is blocked until then."""

from __future__ import annotations

import pytest

from mock_apple.models import Organization
from mock_apple.services import organization as organization_services
from tests.mock_apple.conftest import APPLE_DB


@pytest.mark.django_db(databases=APPLE_DB)
class AsmTermsTests:
    def test_new_terms_show_a_banner_and_the_admin_accepts(self, asm_admin, organization) -> None:
        organization_services.terms_publish(organization=organization)
        assert b"New Terms and Conditions are available" in asm_admin.get("/asm/devices/").content
        assert asm_admin.get("/asm/").url == "/asm/terms/"
        response = asm_admin.post("/asm/terms/")
        assert response.status_code == 302
        assert Organization.objects.get().terms_accepted

    def test_others_cannot_accept(self, asm_manager, organization) -> None:
        organization_services.terms_publish(organization=organization)
        assert asm_manager.get("/asm/terms/").status_code == 200
        assert asm_manager.post("/asm/terms/").status_code == 403
        assert not Organization.objects.get().terms_accepted

    def test_it_refuses_other_methods(self, asm_admin) -> None:
        assert asm_admin.delete("/asm/terms/").status_code == 405

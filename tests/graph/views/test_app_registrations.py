"""Tenant administration › App registrations."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from asm_portal.models import AuditEvent
from graph.models import AppRegistration, ClientSecret, Permission
from tests.conftest import make_user
from tests.graph.conftest import app_create

pytestmark = pytest.mark.django_db


def _app() -> AppRegistration:
    app_create(Permission.READ_WRITE, consent=False, name="Enrollment scripts")
    return AppRegistration.objects.get()


class AppListTests:
    def test_full_and_htmx_get(self, admin_client: Client) -> None:
        _app()
        full = admin_client.get(reverse("graph:apps"))
        assert full.status_code == 200
        assert b"<html" in full.content and b"Enrollment scripts" in full.content
        fragment = admin_client.get(reverse("graph:apps"), headers={"HX-Request": "true"})
        assert b"<html" not in fragment.content and b"Enrollment scripts" in fragment.content

    def test_french(self, admin_client: Client) -> None:
        admin_client.cookies["asm_portal_language"] = "fr"
        answer = admin_client.get(reverse("graph:apps"), HTTP_ACCEPT_LANGUAGE="fr")
        assert "Inscriptions d’applications" in answer.content.decode()

    def test_anonymous_is_sent_to_sign_in(self) -> None:
        answer = Client().get(reverse("graph:apps"))
        assert answer.status_code == 302 and "/signin/" in answer["Location"]

    def test_the_tenant_admin_blade_links_to_it(self, admin_client: Client) -> None:
        assert reverse("graph:apps").encode() in admin_client.get(reverse("tenant_admin")).content

    def test_wrong_method(self, admin_client: Client) -> None:
        assert admin_client.post(reverse("graph:apps")).status_code == 405


class RegisterTests:
    def test_an_administrator_registers_an_app(self, admin_client: Client) -> None:
        answer = admin_client.post(
            reverse("graph:app_new"), {"display_name": "Enrollment scripts", "permission": "ReadWrite"}
        )
        app = AppRegistration.objects.get()
        assert answer.status_code == 302 and answer["Location"] == reverse("graph:app_detail", args=[app.pk])
        assert app.permission == Permission.READ_WRITE and app.consent_granted_at is None
        event = AuditEvent.objects.get(action="Add application")
        assert event.actor_name == "admin@contoso.onmicrosoft.com"

    def test_a_blank_name_is_refused_on_the_form(self, admin_client: Client) -> None:
        answer = admin_client.post(reverse("graph:app_new"), {"display_name": " ", "permission": "Read"})
        assert answer.status_code == 200 and b"field-error" in answer.content
        assert not AppRegistration.objects.exists()

    def test_a_read_only_operator_cannot(self, operator_client: Client) -> None:
        assert operator_client.get(reverse("graph:app_new")).status_code == 403
        answer = operator_client.post(reverse("graph:app_new"), {"display_name": "X", "permission": "Read"})
        assert answer.status_code == 403
        assert not AppRegistration.objects.exists()


class AppDetailTests:
    def test_consent_then_a_secret_shown_once(self, admin_client: Client) -> None:
        app = _app()
        admin_client.post(reverse("graph:app_consent", args=[app.pk]))
        app.refresh_from_db()
        assert (
            app.consent_granted_at is not None and app.consent_granted_by == "admin@contoso.onmicrosoft.com"
        )
        answer = admin_client.post(
            reverse("graph:secret_add", args=[app.pk]), {"description": "CI", "days": "90"}
        )
        assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
        secret = ClientSecret.objects.get(description="CI")
        page = answer.content.decode()
        value = page.split('id="secret-value">')[1].split("<")[0]
        assert len(value) == 40 and value[:3] == secret.hint
        again = admin_client.get(reverse("graph:app_detail", args=[app.pk])).content.decode()
        assert value not in again and f"{secret.hint}***" in again
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        assert {"Consent to application", "Add client secret"} <= actions

    def test_revoke_a_secret_and_delete_the_app(self, admin_client: Client) -> None:
        app = _app()
        secret = ClientSecret.objects.get()
        admin_client.post(reverse("graph:secret_delete", args=[app.pk, secret.pk]))
        assert not ClientSecret.objects.exists()
        answer = admin_client.post(reverse("graph:app_delete", args=[app.pk]))
        assert answer.status_code == 302 and not AppRegistration.objects.exists()
        assert AuditEvent.objects.filter(action="Delete application").exists()

    def test_a_bad_certificate_is_refused_on_the_form(self, admin_client: Client) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        app = _app()
        upload = SimpleUploadedFile("cert.cer", b"not a certificate")
        answer = admin_client.post(reverse("graph:certificate_add", args=[app.pk]), {"certificate": upload})
        assert answer.status_code == 200 and b"field-error" in answer.content

    def test_a_read_only_operator_sees_but_cannot_change(self, operator_client: Client) -> None:
        app = _app()
        page = operator_client.get(reverse("graph:app_detail", args=[app.pk]))
        assert page.status_code == 200 and str(app.client_id).encode() in page.content
        assert b"Grant admin consent" not in page.content
        for name in ("graph:app_consent", "graph:secret_add", "graph:app_delete"):
            assert operator_client.post(reverse(name, args=[app.pk])).status_code == 403
        assert AppRegistration.objects.filter(consent_granted_at=None).exists()

    def test_another_tenant_s_app_is_a_404(self) -> None:
        from asm_portal import roles
        from asm_portal.models import Tenant
        from asm_portal.tenancy import tenant_scope

        app = _app()
        other = Tenant.objects.create(display_name="Tailspin", initial_domain="tailspin.onmicrosoft.com")
        with tenant_scope(other):
            user = make_user("admin@tailspin.onmicrosoft.com", roles.ADMINISTRATOR, tenant=other)
        client = Client()
        client.force_login(user)
        assert client.get(reverse("graph:app_detail", args=[app.pk])).status_code == 404
        assert client.post(reverse("graph:app_delete", args=[app.pk])).status_code == 404

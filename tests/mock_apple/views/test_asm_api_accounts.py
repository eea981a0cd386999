"""Apple School Manager › Preferences › API: API accounts, their private key once, revocation."""

from __future__ import annotations

import io
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from mock_apple import tenancy
from mock_apple.models import ActivityLog, ApiAccount, AppleAccount, Organization
from mock_apple.services import api_accounts
from tests.mock_apple.conftest import APPLE_DB, account_create, signed_in
from tests.mock_apple.test_organizations import mock, trainee

URL = "/asm/preferences/api/"


@pytest.mark.django_db(databases=APPLE_DB)
class AsmApiAccountsTests:
    def test_it_lists_nothing_at_first_and_offers_the_form(self, asm_admin) -> None:
        body = asm_admin.get(URL).content.decode()
        assert "No API accounts yet." in body and "data-api-create" in body

    def test_creating_downloads_the_private_key_once(self, asm_admin, organization) -> None:
        response = asm_admin.post(URL, {"name": "Intune sync"})
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith('attachment; filename="intune-sync-')
        key = serialization.load_pem_private_key(response.content, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
        account = ApiAccount.objects.get()
        assert (
            account.client_id.startswith("SCHOOLAPI.") and account.created_by == "admin@appleid.contoso.edu"
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert account.public_key_pem.encode() == public  # only the public half is kept
        page = asm_admin.get(URL).content.decode()
        assert account.client_id in page and account.key_id in page and "PRIVATE KEY" not in page
        assert "was created" in page

    def test_a_name_is_required(self, asm_admin) -> None:
        response = asm_admin.post(URL, {"name": " "})
        assert response.status_code == 200 and b"field-error" in response.content
        assert not ApiAccount.objects.exists()

    def test_at_most_fifty_active_accounts(self, asm_admin, organization) -> None:
        for index in range(api_accounts.MAX_ACCOUNTS):
            api_accounts.api_account_create(actor=None, organization=organization, name=f"A{index}")
        response = asm_admin.post(URL, {"name": "One more"})
        assert b"the most allowed" in response.content
        assert ApiAccount.objects.count() == api_accounts.MAX_ACCOUNTS

    def test_revoking(self, asm_admin, organization) -> None:
        created = api_accounts.api_account_create(actor=None, organization=organization, name="Old")
        response = asm_admin.post(f"{URL}{created.account.pk}/revoke/", follow=True)
        assert b"was revoked" in response.content
        account = ApiAccount.objects.get()
        assert account.revoked_at is not None and account.revoked_by == "admin@appleid.contoso.edu"
        assert asm_admin.get(f"{URL}{created.account.pk}/revoke/").status_code == 405

    def test_site_managers_may_others_may_not(self, apple_settings, organization) -> None:
        manager = signed_in(
            account_create(organization, "sm@appleid.contoso.edu", AppleAccount.Role.SITE_MANAGER)
        )
        assert manager.post(URL, {"name": "SM"}).status_code == 200
        created = api_accounts.api_account_create(actor=None, organization=organization, name="X")
        for role in (AppleAccount.Role.DEVICE_ENROLLMENT_MANAGER, AppleAccount.Role.STAFF):
            other = signed_in(account_create(organization, f"{role}@appleid.contoso.edu", role))
            page = other.get(URL)
            assert page.status_code == 200 and b"data-api-create" not in page.content
            assert other.post(URL, {"name": "No"}).status_code == 403
            assert other.post(f"{URL}{created.account.pk}/revoke/").status_code == 403
        assert ApiAccount.objects.count() == 2

    def test_anonymous_is_sent_to_sign_in(self, apple_settings, organization) -> None:
        response = Client().get(URL)
        assert response.status_code == 302 and "/asm/signin/" in response["Location"]

    def test_the_activity_list_on_device_assignments(self, asm_admin) -> None:
        assert b"No API activity yet." in asm_admin.get("/asm/assignments/").content


@pytest.mark.django_db(databases=APPLE_DB)
def test_the_command_prints_a_new_account_as_json(organization) -> None:
    out = io.StringIO()
    call_command("mock_apple_api_account", "CI", "--json", stdout=out)
    values = json.loads(out.getvalue())
    assert set(values) == {"client_id", "key_id", "private_key_pem", "scope"}
    assert values["scope"] == "school.api" and "PRIVATE KEY" in values["private_key_pem"]
    business = Organization.objects.create(
        name="B", org_id="B1", email="b@b.com", domain="b.com", org_type="org"
    )
    out = io.StringIO()
    call_command("mock_apple_api_account", "CI", "--organization", str(business.pk), "--json", stdout=out)
    assert json.loads(out.getvalue())["client_id"].startswith("BUSINESSAPI.")
    with pytest.raises(CommandError):
        call_command("mock_apple_api_account", "CI", "--organization", "999999")


def _log(organization: Organization) -> list[tuple[str, str, str, str]]:
    return [
        (entry.action, entry.subject, entry.client_id, entry.actor)
        for entry in ActivityLog.objects.filter(organization=organization).order_by("id")
    ]


@pytest.mark.django_db(databases=APPLE_DB)
class ActivityLogTests:
    """Creating and revoking an API account is recorded in the organisation's own activity log,
    whoever does it: the ASM portal, the command line or the control API."""

    def test_the_portal_records_who_created_and_revoked_and_shows_it(self, asm_admin, organization) -> None:
        assert b"No activity yet." in asm_admin.get(URL).content
        asm_admin.post(URL, {"name": "Intune sync"})
        account = ApiAccount.objects.get()
        asm_admin.post(f"{URL}{account.pk}/revoke/")
        asm_admin.post(f"{URL}{account.pk}/revoke/")  # already revoked: nothing more to record
        admin = "admin@appleid.contoso.edu"
        assert _log(organization) == [
            ("API_ACCOUNT_CREATED", "Intune sync", account.client_id, admin),
            ("API_ACCOUNT_REVOKED", "Intune sync", account.client_id, admin),
        ]
        page = asm_admin.get(URL).content.decode()
        assert "data-api-activity" in page and "API account created" in page and "API account revoked" in page
        assert page.count(f'data-client-id="{account.client_id}"') == 3  # the account and two entries

    def test_the_activity_is_in_french(self, asm_admin, organization) -> None:
        api_accounts.api_account_create(actor=None, organization=organization, name="CI", origin="CLI")
        asm_admin.cookies["apple_language"] = "fr"
        page = asm_admin.get(URL).content.decode()
        assert "Activité" in page and "Compte d’API créé" in page and "Par" in page

    def test_the_command_and_the_control_api_are_recorded_as_such(self, apple_settings, organization) -> None:
        out = io.StringIO()
        call_command("mock_apple_api_account", "CI", "--json", stdout=out)
        client_id = json.loads(out.getvalue())["client_id"]
        created = mock("POST", "api-accounts", {"name": "Robot"})
        assert created.status_code == 201
        robot = created.json()["client_id"]
        assert mock("POST", f"api-accounts/{robot}/revoke").status_code == 200
        assert _log(organization) == [
            ("API_ACCOUNT_CREATED", "CI", client_id, "manage.py mock_apple_api_account"),
            ("API_ACCOUNT_CREATED", "Robot", robot, "Control API"),
            ("API_ACCOUNT_REVOKED", "Robot", robot, "Control API"),
        ]

    def test_each_organisation_sees_its_own_activity(self, asm_admin, organization) -> None:
        other = trainee()
        with tenancy.acting_for(other.pk):
            api_accounts.api_account_create(actor=None, organization=other, name="Theirs", origin="CLI")
        api_accounts.api_account_create(actor=None, organization=organization, name="Ours", origin="CLI")
        page = asm_admin.get(URL).content.decode()
        assert "Ours" in page and "Theirs" not in page
        assert [entry[1] for entry in _log(other)] == ["Theirs"]

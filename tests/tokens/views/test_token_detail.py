"""The token blade: essentials, status banners, command bar, menu."""

from __future__ import annotations

from datetime import timedelta

from asm_portal import clock
from tests.conftest import HTMX
from tests.tokens.conftest import APPLE_ID, make_token
from tokens import services
from tokens.dep_client import DepError
from tokens.models import EnrollmentProgramToken


def url(token: EnrollmentProgramToken) -> str:
    return f"/enrollment/apple/tokens/{token.pk}/"


class TokenDetailTests:
    def test_it_shows_the_essentials(self, admin_client) -> None:
        token = make_token(
            token_name="Lycée Jean Moulin", expires_at=clock.now() + timedelta(days=200, hours=1)
        )
        response = admin_client.get(url(token))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Lycée Jean Moulin | Overview" in body
        for label in ("Status", "Apple ID", "Expiration date", "Days until expiration", "Program type"):
            assert f"<dt>{label}</dt>" in body, label
        assert APPLE_ID in body and "200 days" in body and "Apple School Manager" in body
        assert ">Active</span>" in body
        assert "Renew token" in body and f'href="{url(token)}delete/" data-open-dialog="delete-token"' in body
        assert "This action will permanently delete the enrollment program token “Lycée Jean Moulin”" in body
        assert 'class="blade-menu-item is-selected"' in body

    def test_htmx_gets_the_blade_only(self, admin_client) -> None:
        response = admin_client.get(url(make_token()), **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content
        body = response.content.decode()
        assert "Lycée Jean Moulin - Intune" in body and "Renew token" in body

    def test_an_expiring_token_warns(self, admin_client) -> None:
        token = make_token(expires_at=clock.now() + timedelta(days=20, hours=1))
        body = admin_client.get(url(token)).content.decode()
        assert ">Expiring</span>" in body
        assert "This token expires in 20 days. Renew it before it expires." in body

    def test_an_expired_token_says_so(self, admin_client) -> None:
        token = make_token(expires_at=clock.now() - timedelta(days=1))
        body = admin_client.get(url(token)).content.decode()
        assert ">Expired</span>" in body
        assert "This token expired on" in body

    def test_an_apple_error_shows_in_a_banner_until_a_call_works(self, admin_client) -> None:
        token = make_token()
        services.token_apple_call_failed(token=token, error=DepError("x", status=403, code="T_C_NOT_SIGNED"))
        body = admin_client.get(url(token)).content.decode()
        assert ">Error</span>" in body
        assert 'class="banner banner-error"' in body and "T_C_NOT_SIGNED" in body
        services.token_apple_call_succeeded(token=token)
        body = admin_client.get(url(token)).content.decode()
        assert ">Active</span>" in body and "banner-error" not in body

    def test_an_unreachable_apple_is_an_error_too(self, db) -> None:
        token = make_token()
        services.token_apple_call_failed(token=token, error=DepError("unreachable"))
        assert EnrollmentProgramToken.objects.get().status == "error"
        assert EnrollmentProgramToken.objects.get().last_sync_error_code == "UNREACHABLE"

    def test_read_only_operators_see_without_commands(self, operator_client) -> None:
        token = make_token()
        body = operator_client.get(url(token)).content.decode()
        assert APPLE_ID in body
        assert "renew/" not in body and "data-open-dialog" not in body

    def test_an_unknown_token_is_not_found(self, admin_client) -> None:
        assert admin_client.get("/enrollment/apple/tokens/404/").status_code == 404

    def test_anonymous_users_sign_in_first(self, client, db) -> None:
        assert client.get(url(make_token())).status_code == 302

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.post(url(make_token())).status_code == 405

    def test_an_asm_token_offers_school_data_sync(self, admin_client) -> None:
        token = make_token()
        body = admin_client.get(url(token)).content.decode()
        sds_url = f"{url(token)}school-data-sync/"
        # The blue information banner, the Connect SDS command and the menu item open the blade.
        assert f'class="banner banner-info banner-clickable" href="{sds_url}"' in body
        assert "Allow Microsoft School Data Sync to use this token" in body
        assert f'class="command" href="{sds_url}"' in body and "Connect SDS" in body
        assert f'href="{sds_url}" hx-get' in body and "School Data Sync</span>" in body
        assert "<dt>School Data Sync</dt><dd>Blocked</dd>" in body

    def test_a_shared_token_says_so(self, admin_client) -> None:
        body = admin_client.get(url(make_token(shared_with_sds=True))).content.decode()
        assert "Microsoft School Data Sync can use this token" in body
        assert "<dt>School Data Sync</dt><dd>Allowed</dd>" in body

    def test_a_dep_token_has_no_school_data_sync(self, admin_client) -> None:
        token = make_token(token_type=EnrollmentProgramToken.TokenType.DEP)
        body = admin_client.get(url(token)).content.decode()
        assert "school-data-sync" not in body and "Connect SDS" not in body

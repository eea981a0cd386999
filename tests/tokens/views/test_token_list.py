"""The Enrollment program tokens blade: summary, columns, empty state, several tokens."""

from __future__ import annotations

from datetime import timedelta

from asm_portal import clock
from tests.conftest import HTMX
from tests.tokens.conftest import make_token
from tokens.models import EnrollmentProgramToken

URL = "/enrollment/apple/tokens/"


class TokenListTests:
    def test_the_empty_state_offers_add(self, admin_client, push_certificate) -> None:
        body = admin_client.get(URL).content.decode()
        assert "No enrollment program tokens" in body
        assert 'class="button button-primary" href="/enrollment/apple/tokens/add/"' in body

    def test_it_lists_tokens_with_their_columns_and_a_summary(self, admin_client, push_certificate) -> None:
        now = clock.now()
        make_token(token_name="Lycée Jean Moulin", last_successful_sync_at=now - timedelta(hours=2))
        make_token(
            token_name="Contoso DEP",
            token_type=EnrollmentProgramToken.TokenType.DEP,
            expires_at=now + timedelta(days=12),
            last_successful_sync_at=now - timedelta(days=3),
        )
        make_token(token_name="Collège expiré", expires_at=now - timedelta(days=1))
        make_token(token_name="École en erreur", last_sync_error_code="ACCESS_DENIED")
        body = admin_client.get(URL).content.decode()
        for header in ("Token name", "Status", "Program type", "Last sync", "Expiration date"):
            assert f'<th scope="col">{header}</th>' in body
        assert "Active tokens: 2" in body  # active and expiring; not expired, not in error
        oldest = (now - timedelta(days=3)).strftime("%m/%d/%Y")
        assert oldest in body.split("Oldest sync")[1][:200]
        for name, status in (
            ("Lycée Jean Moulin", "Active"),
            ("Contoso DEP", "Expiring"),
            ("Collège expiré", "Expired"),
            ("École en erreur", "Error"),
        ):
            row = body.split(f">{name}</a>")[1].split("</tr>")[0]
            assert f">{status}</span>" in row, name
        assert "Device Enrollment Program" in body and "Apple School Manager" in body
        assert "Showing 1 to 4 of 4 records" in body

    def test_without_a_push_certificate_it_says_what_is_missing(self, admin_client) -> None:
        body = admin_client.get(URL).content.decode()
        assert "needs an active Apple MDM Push certificate" in body

    def test_it_pages_the_grid(self, admin_client, push_certificate) -> None:
        for number in range(52):
            make_token(token_name=f"Token {number:02d}")
        response = admin_client.get(URL + "?page=2&fragment=grid", **HTMX)
        body = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in body and 'id="grid"' in body
        assert "Showing 51 to 52 of 52 records" in body
        assert "Token 51" in body and "Token 00" not in body

    def test_htmx_gets_the_blade_only(self, admin_client) -> None:
        response = admin_client.get(URL, **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert b"Enrollment program tokens" in response.content
        assert b"needs an active Apple MDM Push certificate" in response.content

    def test_read_only_operators_see_but_cannot_add(self, operator_client, push_certificate) -> None:
        make_token(token_name="Lycée Jean Moulin")
        body = operator_client.get(URL).content.decode()
        assert "Lycée Jean Moulin" in body
        assert 'href="/enrollment/apple/tokens/add/"' not in body

    def test_anonymous_users_sign_in_first(self, client, db) -> None:
        assert client.get(URL).status_code == 302

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.post(URL).status_code == 405

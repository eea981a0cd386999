"""« Allow Microsoft School Data Sync to use this token »: the blade of an ASM token."""

from __future__ import annotations

from tests.conftest import HTMX
from tests.tokens.conftest import make_token
from tokens.models import EnrollmentProgramToken


def url(token: EnrollmentProgramToken) -> str:
    return f"/enrollment/apple/tokens/{token.pk}/school-data-sync/"


class TokenSdsTests:
    def test_it_offers_allow_and_block_the_link_and_ok(self, admin_client) -> None:
        token = make_token(token_name="Lycée Jean Moulin")
        response = admin_client.get(url(token))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Lycée Jean Moulin | School Data Sync" in body
        assert "Allow Microsoft School Data Sync to use this token" in body
        assert 'value="allow"' in body and 'value="block"' in body
        assert response.context["form"]["sharing"].value() == "block"
        assert 'href="/sds/"' in body and "Set up Microsoft School Data Sync" in body
        assert ">OK</button>" in body
        assert 'class="blade-menu-item is-selected"' in body and "School Data Sync</span>" in body

    def test_a_shared_token_shows_allow_and_what_block_keeps(self, admin_client) -> None:
        token = make_token(shared_with_sds=True)
        response = admin_client.get(url(token))
        assert response.context["form"]["sharing"].value() == "allow"
        assert "Nothing already in Apple School Manager is deleted" in response.content.decode()

    def test_it_says_which_token_has_school_data_sync_now(self, admin_client) -> None:
        make_token(token_name="Lycée A", shared_with_sds=True)
        body = admin_client.get(url(make_token(token_name="Collège B"))).content.decode()
        assert "School Data Sync uses the token “Lycée A” now." in body

    def test_htmx_gets_the_blade_only(self, admin_client) -> None:
        response = admin_client.get(url(make_token()), **HTMX)
        assert response.status_code == 200 and b"<html" not in response.content

    def test_device_enrollment_program_tokens_do_not_have_it(self, admin_client) -> None:
        token = make_token(token_type=EnrollmentProgramToken.TokenType.DEP)
        assert admin_client.get(url(token)).status_code == 404

    def test_read_only_operators_see_the_setting_but_cannot_change_it(self, operator_client) -> None:
        body = operator_client.get(url(make_token())).content.decode()
        assert "Your role can see this setting but not change it." in body
        assert ">OK</button>" not in body and "disabled" in body

    def test_anonymous_users_sign_in_first(self, client, db) -> None:
        assert client.get(url(make_token())).status_code == 302

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.post(url(make_token())).status_code == 405

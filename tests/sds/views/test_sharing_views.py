"""« Allow Microsoft School Data Sync to use this token »: the blade of an ASM token, and its OK
(allow, block, and the confirmation for a second token)."""

from __future__ import annotations

import re

from django.urls import reverse

from asm_portal.models import Notification
from tests.conftest import HTMX
from tests.tokens.conftest import make_token
from tokens.models import EnrollmentProgramToken


def url(token: EnrollmentProgramToken) -> str:
    return f"/enrollment/apple/tokens/{token.pk}/school-data-sync/"


class TokenSharingTests:
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
        make_token(token_name="Lycée A", shared_with_sds=True)
        response = admin_client.get(url(make_token(token_name="Collège B")), **HTMX)
        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" not in body
        # The journey: the token in the breadcrumb and the title, the token's menu, the form's two
        # choices with Block selected, and the banner naming the token that has School Data Sync.
        assert f'href="{reverse("tokens:detail", args=[response.context["token"].pk])}"' in body
        assert "Collège B | School Data Sync" in body
        assert 'class="blade-menu-item is-selected"' in body
        assert 'value="allow"' in body and 'value="block"' in body
        assert re.search(r'value="block"[^>]*checked', body)
        assert "School Data Sync uses the token “Lycée A” now." in body
        assert f'hx-post="{save_url(response.context["token"])}"' in body

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


def save_url(token: EnrollmentProgramToken) -> str:
    return f"/enrollment/apple/tokens/{token.pk}/school-data-sync/save/"


def shared(token: EnrollmentProgramToken) -> bool:
    return EnrollmentProgramToken.objects.get(pk=token.pk).shared_with_sds


class TokenSharingSaveTests:
    def test_allow_shares_the_token_and_returns_to_it(self, admin_client, admin_user) -> None:
        token = make_token(token_name="Lycée A")
        response = admin_client.post(save_url(token), {"sharing": "allow"})
        assert response.status_code == 302 and response["Location"] == f"/enrollment/apple/tokens/{token.pk}/"
        assert shared(token)
        toast = Notification.objects.get(user=admin_user)
        assert toast.title == "School Data Sync allowed" and "“Lycée A”" in toast.body

    def test_htmx_navigates_back_to_the_token(self, admin_client) -> None:
        token = make_token()
        response = admin_client.post(save_url(token), {"sharing": "allow"}, **HTMX)
        assert (
            response.status_code == 204 and f"/enrollment/apple/tokens/{token.pk}/" in response["HX-Location"]
        )

    def test_a_second_token_asks_for_confirmation_first(self, admin_client) -> None:
        first = make_token(token_name="Lycée A", shared_with_sds=True)
        second = make_token(token_name="Collège B")
        response = admin_client.post(save_url(second), {"sharing": "allow"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "Replace the token School Data Sync uses?" in body
        assert "allowing it on “Collège B” removes it from “Lycée A”" in body
        assert 'name="replace" value="on"' in body
        assert shared(first) and not shared(second)
        response = admin_client.post(save_url(second), {"sharing": "allow", "replace": "on"})
        assert response.status_code == 302 and not shared(first) and shared(second)

    def test_block_stops_sharing_and_says_what_stays(self, admin_client, admin_user) -> None:
        token = make_token(shared_with_sds=True)
        assert admin_client.post(save_url(token), {"sharing": "block"}).status_code == 302
        assert not shared(token)
        toast = Notification.objects.get(user=admin_user)
        assert toast.title == "School Data Sync blocked"
        assert "Nothing already in Apple School Manager was deleted." in toast.body

    def test_block_on_a_token_that_was_not_shared_says_nothing(self, admin_client) -> None:
        assert admin_client.post(save_url(make_token()), {"sharing": "block"}).status_code == 302
        assert not Notification.objects.exists()

    def test_a_missing_choice_re_renders_the_blade(self, admin_client) -> None:
        token = make_token()
        response = admin_client.post(save_url(token), {"sharing": "maybe"})
        assert response.status_code == 200 and b"Select a valid choice." in response.content
        assert not shared(token)

    def test_device_enrollment_program_tokens_are_not_found(self, admin_client) -> None:
        token = make_token(token_type=EnrollmentProgramToken.TokenType.DEP)
        assert admin_client.post(save_url(token), {"sharing": "allow"}).status_code == 404
        assert not shared(token)

    def test_read_only_operators_get_403(self, operator_client) -> None:
        token = make_token()
        assert operator_client.post(save_url(token), {"sharing": "allow"}).status_code == 403
        assert not shared(token)

    def test_anonymous_users_sign_in_first(self, client, db) -> None:
        token = make_token()
        assert client.post(save_url(token), {"sharing": "allow"}).status_code == 302
        assert not shared(token)

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.get(save_url(make_token())).status_code == 405

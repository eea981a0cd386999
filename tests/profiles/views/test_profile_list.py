"""The profile lists: across tokens, and a token's Profiles blade."""

from __future__ import annotations

from django.test import Client

from tests.conftest import HTMX
from tests.profiles.conftest import profile_create


class ProfileListTests:
    def test_full_and_htmx(self, admin_client, token) -> None:
        profile_create(token, name="Student iPads")
        html = admin_client.get("/enrollment/apple/profiles/").content.decode()
        assert "<html" in html and "Student iPads" in html and "Contoso ASM" in html
        fragment = admin_client.get(
            "/enrollment/apple/profiles/?q=student&fragment=grid", **HTMX
        ).content.decode()
        assert fragment.lstrip().startswith('<div id="grid"') and "Student iPads" in fragment
        assert (
            "Student"
            not in admin_client.get(
                "/enrollment/apple/profiles/?q=zzz&fragment=grid", **HTMX
            ).content.decode()
        )

    def test_the_token_blade_lists_its_profiles(self, admin_client, token) -> None:
        profile_create(token, name="Student iPads")
        html = admin_client.get(f"/enrollment/apple/tokens/{token.pk}/profiles/").content.decode()
        assert "Student iPads" in html
        assert f'href="/enrollment/apple/tokens/{token.pk}/profiles/create/"' in html
        assert "Contoso ASM" in html  # in the breadcrumb

    def test_post_and_anonymous(self, admin_client, token) -> None:
        assert admin_client.post("/enrollment/apple/profiles/").status_code == 405
        assert Client().get("/enrollment/apple/profiles/").status_code == 302

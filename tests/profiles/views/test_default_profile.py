"""Set default profile: the pane, the choice limited to the token's profiles."""

from __future__ import annotations

from tests.conftest import HTMX
from tests.profiles.conftest import profile_create, token_create


class DefaultProfileViewTests:
    def test_set_default(self, admin_client, operator_client, token) -> None:
        profile = profile_create(token)
        url = f"/enrollment/apple/tokens/{token.pk}/default-profile/"
        assert b'class="pane-panel"' in admin_client.get(url, **HTMX).content
        assert operator_client.post(url, {"profile": profile.pk}).status_code == 403
        response = admin_client.post(url, {"profile": profile.pk}, **HTMX)
        assert response.status_code == 204
        profile.refresh_from_db()
        assert profile.is_default
        html = admin_client.get(f"/enrollment/apple/tokens/{token.pk}/").content.decode()
        assert "Student iPads" in html  # the token's essentials name its default profile

    def test_another_tokens_profile_is_refused(self, admin_client, token) -> None:
        other = profile_create(token_create("Other"))
        response = admin_client.post(
            f"/enrollment/apple/tokens/{token.pk}/default-profile/", {"profile": other.pk}, **HTMX
        )
        assert response.status_code == 200
        other.refresh_from_db()
        assert not other.is_default

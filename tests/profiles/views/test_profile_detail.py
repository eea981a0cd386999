"""A profile's blade and its « View as JSON » pane."""

from __future__ import annotations

from tests.conftest import HTMX
from tests.profiles.conftest import profile_create


class ProfileDetailAndJsonTests:
    def test_detail(self, admin_client, operator_client, token) -> None:
        profile = profile_create(token, hidden_screens=["Siri"])
        url = f"/enrollment/apple/profiles/{profile.pk}/"
        html = admin_client.get(url).content.decode()
        assert "Student iPads" in html and "Siri" in html
        fragment = admin_client.get(url, **HTMX).content.decode()
        assert "<html" not in fragment and "Student iPads" in fragment
        operator_html = operator_client.get(url).content.decode()
        assert "properties/" not in operator_html  # no Edit command for read-only operators
        assert admin_client.post(url).status_code == 405

    def test_view_as_json_shows_apple_and_graph(self, admin_client, operator_client, token) -> None:
        profile = profile_create(token, hidden_screens=["Siri"], locked_enrollment=True)
        response = operator_client.get(f"/enrollment/apple/profiles/{profile.pk}/json/", **HTMX)
        html = response.content.decode()
        assert "<html" not in html
        assert "&quot;is_mdm_removable&quot;: false" in html
        assert "&quot;skip_setup_items&quot;: [\n    &quot;Siri&quot;" in html
        assert "#microsoft.graph.depIOSEnrollmentProfile" in html
        assert "<html" in admin_client.get(f"/enrollment/apple/profiles/{profile.pk}/json/").content.decode()

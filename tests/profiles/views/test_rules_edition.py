"""The rules edition pane: the 2017 article or today's Intune."""

from __future__ import annotations

from profiles.models import ProfileSettings
from tests.conftest import HTMX


class RulesEditionViewTests:
    def test_switch(self, admin_client, operator_client, db) -> None:
        url = "/enrollment/apple/profiles/rules/"
        assert b"2017 article" in admin_client.get(url, **HTMX).content
        assert operator_client.post(url, {"rules_edition": "current"}).status_code == 403
        admin_client.post(url, {"rules_edition": "current"})
        assert ProfileSettings.load().rules_edition == "current"

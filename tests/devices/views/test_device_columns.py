"""« Columns » on the devices grids: a user's own choice of columns, remembered for them (issue 17)."""

from __future__ import annotations

import pytest
from django.test import Client

from asm_portal.models import UserPreference
from tests.conftest import HTMX
from tests.devices.conftest import devices_create, token_create

pytestmark = pytest.mark.django_db

URL = "/enrollment/apple/devices/columns/"


def headers(html: str) -> list[str]:
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return [cell.split(">", 2)[-1].split("<", 1)[0] for cell in head.split('<th scope="col"')[1:]]


class DeviceColumnsTests:
    def test_the_two_profile_columns_have_distinct_headers_in_french(self, admin_client) -> None:
        token = token_create("Contoso")
        devices_create(token, 1)
        html = admin_client.get("/enrollment/apple/devices/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        names = headers(html)
        assert "Profil affecté" in names and len(names) == len(set(names)), names

    def test_hidden_columns_are_remembered_per_user(self, admin_client, operator_client) -> None:
        token = token_create("Contoso")
        devices_create(token, 2)
        pane = admin_client.get(f"{URL}?next=/enrollment/apple/devices/", **HTMX).content.decode()
        assert "<html" not in pane and 'name="column" value="color" checked' in pane
        kept = ["details", "model", "state", "profile_status", "profile", "token"]
        response = admin_client.post(URL, {"column": kept, "next": "/enrollment/apple/devices/"}, **HTMX)
        assert response.status_code == 204
        assert "/enrollment/apple/devices/" in response["HX-Location"]
        shown = headers(admin_client.get(f"/enrollment/apple/tokens/{token.pk}/devices/").content.decode())
        assert shown == ["Serial number", "Details", "Model", "State", "Profile status", "Assigned profile"]
        # Another user's grid is untouched; read-only operators choose their own columns too.
        assert "Color" in headers(operator_client.get("/enrollment/apple/devices/").content.decode())
        assert operator_client.post(URL, {"column": ["model"]}).status_code == 302
        preference = UserPreference.objects.get(user__username="admin@contoso.onmicrosoft.com")
        assert "color" in preference.hidden_columns["devices"]

    def test_next_stays_on_the_site_and_wrong_method_and_anonymous(self, admin_client) -> None:
        response = admin_client.post(URL, {"column": ["model"], "next": "https://evil.example/"})
        assert response["Location"] == "/enrollment/apple/devices/"
        assert admin_client.delete(URL).status_code == 405
        assert Client().get(URL).status_code == 302

"""Every `next` goes through one check (asm_portal.http.safe_next): no open redirect."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from asm_portal.http import redirect_target_allowed, safe_next
from tests.conftest import PASSWORD
from tests.devices.conftest import devices_create, token_create

EVIL = [
    "//evil.example/x",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "\\\\evil.example",
    "///evil.example",
]


@pytest.mark.parametrize("target", EVIL)
def test_other_sites_and_schemes_fall_back(target: str) -> None:
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    assert safe_next(request, target, fallback="/home/") == "/home/"
    assert not redirect_target_allowed(target, host="testserver", require_https=False)


def test_paths_of_this_site_are_followed() -> None:
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    assert safe_next(request, "/enrollment/?a=1", fallback="/") == "/enrollment/?a=1"
    assert safe_next(request, "http://testserver/x/", fallback="/") == "http://testserver/x/"
    assert safe_next(request, None, fallback="/") == "/"


def test_https_requests_never_go_back_to_http() -> None:
    request = RequestFactory().get("/", HTTP_HOST="testserver", secure=True)
    assert safe_next(request, "http://testserver/x/", fallback="/") == "/"
    assert safe_next(request, "https://testserver/x/", fallback="/") == "https://testserver/x/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_device_delete_stays_on_the_portal(admin_client: Client, target: str) -> None:
    devices = devices_create(token_create(), 2)
    response = admin_client.post(
        f"/enrollment/apple/devices/delete/?next={target}",
        {"device": [devices[0].pk], "confirm": "yes", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/enrollment/apple/devices/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_sign_in_and_language_stay_on_the_portal(admin_user, target: str) -> None:
    client = Client()
    response = client.post(f"/signin/?next={target}", {"username": admin_user.username, "password": PASSWORD})
    assert response.status_code == 302 and "evil" not in response["Location"]
    response = client.post("/language/", {"language": "fr", "next": target})
    assert response.status_code == 302 and "evil" not in response["Location"]

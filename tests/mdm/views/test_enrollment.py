"""Setup Assistant's sign-in web view (contract §4): ticket, no open redirect, framing, lockout."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from mdm.enrollment import enrollment_ticket_user
from tests.devices.conftest import DIRECTORY_PASSWORD

RETURN = "http://apple.test/ipad/DMPQ000001/setup/auth/"


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=False)


def _url(setup, *, serial="DMPQ000001", back=RETURN) -> str:
    return f"{setup.url('authenticate/')}?{urlencode({'serial': serial, 'return': back})}"


def test_the_page_is_a_microsoft_sign_in_framable_by_apple_only(client, setup) -> None:
    response = client.get(_url(setup))
    assert response.status_code == 200
    assert b"Microsoft" in response.content and b'name="password"' in response.content
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'self' http://apple.test;" in response["Content-Security-Policy"] + ";"


def test_a_directory_user_gets_a_ticket_back_on_the_device(client, setup) -> None:
    response = client.post(
        _url(setup), {"upn": "oklein@contoso.onmicrosoft.com", "password": DIRECTORY_PASSWORD}
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == RETURN
    query = parse_qs(location.query)
    assert query["upn"] == ["OKlein@contoso.onmicrosoft.com"]
    user = enrollment_ticket_user(query["ticket"][0], serial="DMPQ000001", token_id=setup.token.pk)
    assert user == setup.user
    assert enrollment_ticket_user(query["ticket"][0], serial="DMPQ000002", token_id=setup.token.pk) is None


def test_a_return_url_with_a_query_keeps_it(client, setup) -> None:
    response = client.post(
        _url(setup, back=RETURN + "?step=auth"), {"upn": setup.user.upn, "password": DIRECTORY_PASSWORD}
    )
    assert response["Location"].startswith(RETURN + "?step=auth&ticket=")


@pytest.mark.parametrize(
    "back",
    [
        "",
        "https://evil.test/",
        "http://apple.test.evil.test/ipad/",
        "http://apple.test@evil.test/",
        "//evil.test/",
        "http://apple.test\\@evil.test/",
        "javascript:alert(1)",
    ],
)
def test_no_open_redirect(client, setup, back) -> None:
    response = client.post(_url(setup, back=back), {"upn": setup.user.upn, "password": DIRECTORY_PASSWORD})
    assert response.status_code == 400
    assert "Location" not in response


def test_a_serial_that_is_not_the_tokens(client, setup) -> None:
    assert client.get(_url(setup, serial="NOPE")).status_code == 404


def test_wrong_passwords_and_lockout(client, setup, settings) -> None:
    settings.SIGNIN_MAX_FAILURES = 2
    for _ in range(2):
        response = client.post(_url(setup), {"upn": setup.user.upn, "password": "wrong"})
        assert response.status_code == 200
        assert b"incorrect" in response.content
    locked = client.post(_url(setup), {"upn": setup.user.upn, "password": DIRECTORY_PASSWORD})
    assert locked.status_code == 429


def test_a_disabled_user_cannot_sign_in(client, setup) -> None:
    setup.user.enabled = False
    setup.user.save()
    response = client.post(_url(setup), {"upn": setup.user.upn, "password": DIRECTORY_PASSWORD})
    assert response.status_code == 200 and b"incorrect" in response.content


def test_the_page_needs_csrf_like_any_form(setup) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(_url(setup), {"upn": setup.user.upn, "password": DIRECTORY_PASSWORD})
    assert response.status_code == 403

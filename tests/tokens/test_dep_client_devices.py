"""The DEP client's device calls against Apple's answers (narrow unit tests with `responses`)."""

from __future__ import annotations

import json

import pytest
import responses

from tokens.dep_client import DepClient, DepError, OAuthCredentials

BASE = "http://apple.test"
CREDENTIALS = OAuthCredentials("CK_1", "CS_1", "AT_1", "AS_1")


@pytest.fixture
def apple():
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/session", json={"auth_session_token": "session-1"})
        yield mock


def client() -> DepClient:
    return DepClient(CREDENTIALS, base_url=BASE, protocol_version=10)


class DepClientDeviceCallsTests:
    def test_fetch_sends_the_limit_and_the_cursor(self, apple) -> None:
        apple.post(
            f"{BASE}/server/devices",
            json={"cursor": "C2", "devices": [{"serial_number": "A"}], "more_to_follow": True},
        )
        apple.post(f"{BASE}/server/devices", json={"cursor": "C3", "devices": [], "more_to_follow": False})
        first = client().fetch_devices(limit=1000)
        assert (first.cursor, first.more_to_follow, first.devices) == ("C2", True, [{"serial_number": "A"}])
        second = DepClient(CREDENTIALS, base_url=BASE).fetch_devices(cursor="C2", limit=5)
        assert second.more_to_follow is False
        bodies = [
            json.loads(call.request.body)
            for call in apple.calls
            if call.request.url.endswith("/server/devices")
        ]
        assert bodies == [{"limit": 1000}, {"limit": 5, "cursor": "C2"}]
        assert apple.calls[1].request.headers["X-Server-Protocol-Version"] == "10"

    def test_sync_sends_the_cursor(self, apple) -> None:
        apple.post(f"{BASE}/devices/sync", json={"cursor": "S2", "devices": [], "more_to_follow": False})
        assert client().sync_devices(cursor="S1").cursor == "S2"
        assert json.loads(apple.calls[1].request.body) == {"cursor": "S1", "limit": 1000}

    def test_a_page_without_a_cursor_is_an_invalid_answer(self, apple) -> None:
        apple.post(f"{BASE}/devices/sync", json={"devices": []})
        with pytest.raises(DepError) as error:
            client().sync_devices(cursor="S1")
        assert error.value.code == "INVALID_RESPONSE"

    def test_cursor_errors_keep_apple_s_code(self, apple) -> None:
        apple.post(f"{BASE}/server/devices", status=400, body="EXHAUSTED_CURSOR")
        with pytest.raises(DepError) as error:
            client().fetch_devices(cursor="LAST")
        assert (error.value.status, error.value.code) == (400, "EXHAUSTED_CURSOR")

    def test_assign_returns_each_status_and_the_throttling_delay(self, apple) -> None:
        apple.post(
            f"{BASE}/profile/devices",
            json={
                "profile_uuid": "P1",
                "devices": {"A": "SUCCESS", "B": "THROTTLED"},
                "retry_after_seconds": 300,
            },
        )
        answer = client().assign_profile(profile_uuid="P1", serials=["A", "B"])
        assert answer.devices == {"A": "SUCCESS", "B": "THROTTLED"} and answer.retry_after_seconds == 300
        assert json.loads(apple.calls[1].request.body) == {"profile_uuid": "P1", "devices": ["A", "B"]}

    def test_remove_is_a_delete_with_a_body(self, apple) -> None:
        apple.delete(f"{BASE}/profile/devices", json={"devices": {"A": "SUCCESS"}})
        assert client().remove_profile(serials=["A"]) == {"A": "SUCCESS"}
        assert apple.calls[1].request.method == "DELETE"
        assert json.loads(apple.calls[1].request.body) == {"devices": ["A"]}

    def test_429_carries_retry_after(self, apple) -> None:
        apple.post(
            f"{BASE}/profile/devices", status=429, body="too_many_requests", headers={"Retry-After": "7"}
        )
        with pytest.raises(DepError) as error:
            client().assign_profile(profile_uuid="P1", serials=["A"])
        assert (error.value.status, error.value.retry_after) == (429, 7)

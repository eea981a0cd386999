"""The mock Apple service runs as its own process with its own URLconf."""

from __future__ import annotations

import pytest
import requests


@pytest.mark.integration
@pytest.mark.smoke
class AppleProcessTests:
    def test_it_serves_its_own_urls_and_not_the_portal(self, apple_server) -> None:
        assert requests.get(f"{apple_server}/health", timeout=5).json() == {
            "status": "ok",
            "service": "mock_apple",
        }
        assert requests.get(f"{apple_server}/signin/", timeout=5, allow_redirects=False).status_code == 404
        assert (
            requests.get(f"{apple_server}/enrollment/apple/", timeout=5, allow_redirects=False).status_code
            == 404
        )

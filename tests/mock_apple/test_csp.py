"""The mock Apple service's Content-Security-Policy, as its own process serves it."""

from __future__ import annotations

import requests

from tests.asm_portal.test_csp import directives
from tests.mock_apple.conftest import dep_server, live  # noqa: F401 (the mock Apple process)


@live
def test_the_mock_s_pages_have_a_policy_without_inline_script_or_eval(dep_server) -> None:  # noqa: F811
    for path in ("/asm/signin/", "/ipad/", "/push/"):
        response = requests.get(f"{dep_server}{path}", timeout=10)
        assert response.status_code == 200, path
        policy = directives(response.headers)
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'self'"], path
        # The portal's pages a device shows (sign-in web view, Company Portal, app icons).
        assert len(policy["frame-src"]) == 2 and policy["frame-src"][0] == "'self'", path
        assert not any("unsafe" in value for values in policy.values() for value in values), path

"""The portal's Content-Security-Policy (django-csp): no inline script or style, no eval."""

from __future__ import annotations

from pathlib import Path

from django.test import Client

from tests.conftest import REPO


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_every_page_has_a_policy_without_inline_script_or_eval(admin_client: Client) -> None:
    for url in ("/", "/enrollment/apple/devices/", "/signin/"):
        policy = directives(admin_client.get(url))
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert not any("unsafe" in value for values in policy.values() for value in values)


def test_htmx_is_told_not_to_eval_or_inject_styles(admin_client: Client) -> None:
    html = admin_client.get("/").content.decode()
    assert '"allowEval": false' in html and '"includeIndicatorStyles": false' in html


def test_templates_of_both_services_have_no_inline_script_or_style() -> None:
    """What the policy would block: inline <script>, <style>, style= and on…= attributes."""
    apps = ("templates", "asm_portal", "tokens", "profiles", "devices", "mdm", "sds", "trainer", "mock_apple")
    offenders = []
    for app in apps:
        for path in Path(REPO, app).rglob("*.html"):
            text = path.read_text()
            for needle in (
                "<style",
                " style=",
                " onclick=",
                " onchange=",
                " onsubmit=",
                " hx-on",
                "javascript:",
            ):
                if needle in text:
                    offenders.append(f"{path.relative_to(REPO)}: {needle.strip()}")
            if "<script" in text.replace("<script src=", ""):
                offenders.append(f"{path.relative_to(REPO)}: inline <script>")
    assert not offenders, offenders

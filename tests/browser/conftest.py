"""Playwright against Debian's Chromium (no browser download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ARTIFACTS

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Debian's chromium; on Ubuntu the snap's chromium-browser, else Playwright's own build.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        if CHROMIUM is None and not os.path.exists(playwright.chromium.executable_path):
            pytest.fail(
                "A Chromium is needed for the browser tests: apt install chromium (Debian), or"
                " .venv/bin/python -m playwright install --with-deps chromium (Ubuntu)"
            )
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


README_SHOTS = ARTIFACTS.parent / "docs" / "screenshots"


def readme_screenshot(page: Any, name: str) -> None:
    """Retake a README screenshot (docs/screenshots/) when README_SCREENSHOTS=1: the tests that
    walk to the page keep the README's pictures current."""
    if os.environ.get("README_SCREENSHOTS"):
        page.screenshot(path=str(README_SHOTS / f"{name}.png"))


def portal_signin(page: Any, portal: str, username: str, password: str | None = None) -> None:
    """Sign in to the admin center as `username` (tests' password unless given), landing on Home."""
    from tests.conftest import PASSWORD

    page.goto(f"{portal}/signin/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal}/")


def directory_sign_in_fill(frame: Any, upn: str, password: str) -> None:
    """Fill Setup Assistant's Microsoft sign-in (the portal's page, in a device's web view)."""
    frame.locator("input[name=upn]").fill(upn)
    frame.locator("input[name=password]").fill(password)


def csp_violations(page: Any) -> list[str]:
    """What the browser refuses under the portal's Content-Security-Policy, as it happens."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return seen

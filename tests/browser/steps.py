"""Steps the browser tests share: what a trainer or an administrator does in the portal, the mock
Apple School Manager and on a virtual iPad. Selectors avoid visible text where they can, so the
same step serves an English and a French test."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.mock_apple.conftest import PASSWORD as APPLE_PASSWORD

APPLE_ID = "admin@appleid.contoso.edu"


# --- Trainer mode --------------------------------------------------------------------------------


def preset_reset(
    page: Any, key: str, *, on_confirm: Callable[[], None] | None = None, timeout: float = 20_000
) -> tuple[str, float]:
    """Reset the tenant to preset `key` from the presets table on the page (the Trainer blade or
    its Scenario presets blade): the confirmation pane (`on_confirm` sees it), then Reset.
    Returns the toast's text and the seconds from the click on Reset to the toast."""
    page.locator(f"tr[data-preset={key}] a.button").click()
    page.locator("#pane form button[type=submit]").wait_for()
    if on_confirm:
        on_confirm()
    started = time.monotonic()
    page.click("#pane form button[type=submit]")
    toast = page.wait_for_selector(".toast >> text=Tenant reset to", timeout=timeout)
    return toast.inner_text(), time.monotonic() - started


# --- Apple School Manager (the mock, in its own tab) ---------------------------------------------


def apple_signin(page: Any, apple_id: str = APPLE_ID, password: str = APPLE_PASSWORD) -> None:
    """Sign in on the mock Apple sign-in page the tab is showing (a trainee: their own account)."""
    page.fill("#id_apple_id", apple_id)
    page.fill("#id_password", password)
    page.click("form:not(.signin-foot) button[type=submit]")


def asm_server_token(asm: Any, *, server: str, public_key: str, serials: list[str]) -> Any:
    """In Apple School Manager: add the MDM server `server` with the portal's public key (.pem),
    download its server token (.p7m), then assign `serials` to it. Returns the token's download;
    the tab ends on Device Assignments with Apple's notice."""
    asm.click(".asm-nav a[href$='/asm/mdm-servers/']")
    asm.click("a.button-primary[href$='/asm/mdm-servers/add/']")
    asm.fill("#id_name", server)
    asm.set_input_files("#id_certificate", public_key)
    asm.click(".form-actions button[type=submit]")
    with asm.expect_download() as server_token:
        asm.click("form[action$='/token/'] button[type=submit]")
    asm.click(".asm-nav a[href$='/asm/assignments/']")
    asm.fill("#id_serials", " ".join(serials))
    asm.select_option("#id_server", label=server)
    asm.click(".form-actions button[type=submit]")
    asm.locator(".notice-success").wait_for()
    return server_token.value


def portal_token_upload(page: Any, *, server_token: Any, apple_id: str = APPLE_ID) -> None:
    """Back in the portal's Add token blade: the Apple ID and the .p7m, then Upload."""
    page.bring_to_front()
    page.fill("#id_apple_id", apple_id)
    page.set_input_files("#id_token", server_token.path())
    page.click(".upload-form button[type=submit]")


# --- The virtual iPad -----------------------------------------------------------------------------


def ipad_pane(page: Any) -> str:
    return str(page.locator("#screen").get_attribute("data-pane"))


def ipad_wait_pane_change(page: Any, current: str, timeout: float = 15_000) -> None:
    # A locator assertion, not wait_for_function: the mock's CSP forbids evaluating strings.
    expect(page.locator("#screen")).not_to_have_attribute("data-pane", current, timeout=timeout)


def ipad_setup_to_activation(page: Any, *, network: str | None = None) -> None:
    """From « hello »: English, France, a Wi-Fi network (the first one, else `network`); the device
    activates with Apple."""
    page.locator("#screen[data-pane=hello]").wait_for()
    page.click(".hello-continue")
    page.click("button[value=en]")
    page.click("button[value=FR]")
    page.click(
        f"#screen button[name=network][value={network}]" if network else "#screen button[name=network]"
    )
    ipad_wait_pane_change(page, "wifi", timeout=30_000)


def ipad_continue_through_panes(page: Any) -> list[str]:
    """Continue on every Setup Assistant pane (« pane:<key> ») the device shows; returns their keys."""
    seen = []
    while ipad_pane(page).startswith("pane:"):
        current = ipad_pane(page)
        seen.append(current[5:])
        page.click("#screen .setup-actions .ios-button")
        ipad_wait_pane_change(page, current)
    return seen


# --- The enrollment profile wizard (Basics, Management Settings, Setup Assistant, Review) ---------


def wizard_next(page: Any, step: str, button: str = "next") -> None:
    """Press Next (or `button`: previous) at the bottom and wait for step `step`."""
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.click(f".wizard-footer button[value={button}]")
    expect(page.locator("form.wizard")).to_have_attribute("data-step", step)


def profile_wizard_create(
    page: Any,
    *,
    name: str,
    affinity: str = "without",
    shared_ipad_users: int | None = None,
    hide: tuple[str, ...] = (),
    department: str = "",
    on_review: Callable[[], None] | None = None,
) -> None:
    """From the token's Profiles blade: « Create profile », the wizard's four steps, Create; the
    tab ends on the new profile's blade."""
    page.click(".commandbar a[href$='/profiles/create/']")
    expect(page.locator("form.wizard")).to_have_attribute("data-step", "basics")
    page.fill("input[name=name]", name)
    wizard_next(page, "management")
    page.check(f"input[name=user_affinity][value={affinity}]")
    if affinity == "with":
        page.check("input[name=authentication_method][value=setup_assistant]")
    if shared_ipad_users is not None:
        page.click("label:has(input[name=shared_ipad][value=yes])")
        page.fill("input[name=max_cached_users]", str(shared_ipad_users))
        if affinity == "without":  # Intune: no « Await final configuration » for that Shared iPad
            page.click("label:has(input[name=await_final_configuration][value=no])")
    wizard_next(page, "setup")
    if department:
        page.fill("input[name=department]", department)
    for screen in hide:
        page.click(f"label:has(input[name=screen_{screen}][value=hide])")
    wizard_next(page, "review")
    if on_review:
        on_review()
    page.click(".wizard-footer button[value=save]")
    page.wait_for_url("**/enrollment/apple/profiles/*/")

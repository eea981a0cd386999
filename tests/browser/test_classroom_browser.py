"""Issue 14's "done when": a class of three trainees in Chromium, driven through the UI.

The trainer creates the class on « Empty tenant » (the push certificate is there, no token) and
waits on the board while a real worker builds each trainee's tenant and Apple School Manager
organisation; reads the accounts off the account sheet; the three trainees sign in at the same
time in three browser contexts, and A and B do step 1 (public key, MDM server and token in their
own ASM organisation, upload) then step 2 (a profile), side by side, while C does nothing. The board
shows exactly that; B cannot reach A's token nor A's devices; resetting A leaves B alone; ending
the class leaves no row of theirs in either database.

The portal is Django's live server, the mock Apple service runs in its own process over HTTP, and
a real Celery worker builds the class, syncs the uploaded tokens and resets a trainee.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import Model

from asm_portal.celery import app as celery_app
from asm_portal.models import Tenant
from asm_portal.tenancy import every_tenant, tenant_scope
from devices.models import Device, EnrollmentState, SyncRun
from mock_apple.models import Device as AppleDevice
from mock_apple.models import MdmServer, Organization
from mock_apple.services.organization import organization_rows
from profiles.models import EnrollmentProfile
from tests.browser.conftest import portal_signin, screenshot
from tests.browser.steps import apple_signin, asm_server_token, portal_token_upload, profile_wizard_create
from tests.conftest import worker_log
from tests.devices.conftest import wait_for
from tests.mock_apple.conftest import dep_server, live, organization_create  # noqa: F401
from tests.trainer.conftest import served_apple, tenant_of, trainer_user  # noqa: F401
from tokens.models import EnrollmentProgramToken, TokenEncryptionKey
from trainer import classroom as classroom_services
from trainer.models import Classroom, Trainee
from trainer.tour import TOUR_CHECKS

CLASS = "CM2 Jean Moulin"
PRESET = "empty-tenant"  # step 1 from the start: the push certificate is in place, no token
CHECKS_OF_STEPS_1_AND_2 = {"public_key", "token", "profile"}


@pytest.fixture
def classroom_site(settings, served_apple, live_server, request) -> str:  # noqa: F811
    """The trainer's organisation at Apple (the trainees get theirs from the class), the portal
    the sheet points to, and a worker started once both are known."""
    settings.APPLE_PUBLIC_URL = served_apple
    settings.PORTAL_BASE_URL = live_server.url
    settings.SYNC_RETRY_BACKOFF_SECONDS = 0
    organization_create(devices=0)
    request.getfixturevalue("celery_worker")
    return str(live_server.url)


def board_checks(page: Any, number: int) -> set[str]:
    """The checks the board shows done for trainee `number`."""
    cells = page.locator(f"#class-board tr[data-trainee='{number}'] td.check[data-done=yes]")
    return {str(cells.nth(index).get_attribute("data-check")) for index in range(cells.count())}


def class_create(page: Any, portal: str, *, trainees: int, preset: str) -> Classroom:
    """From the left nav: Classroom, Create class, the form; lands on the class's board."""
    page.click(".leftnav >> text=Classroom")
    page.wait_for_url(f"{portal}/trainer/classroom/")
    page.click("[data-testid=classroom-add]")
    form = page.locator("[data-testid=classroom-form]")
    form.locator("input[name=name]").fill(CLASS)
    form.locator("input[name=trainees]").fill(str(trainees))
    form.locator("select[name=preset]").select_option(preset)
    form.locator("select[name=language]").select_option("en")
    page.click("[data-testid=classroom-create]")
    page.locator("[data-testid=classroom-blade]").wait_for()
    if page.locator("#class-board .class-progress").is_visible():  # the workers are still at it
        screenshot(page, "classroom-board-building")
    return Classroom.objects.get(name=CLASS)


def sheet_accounts(page: Any) -> list[dict[str, str]]:
    """The account sheet, opened from the board in its own tab: each card's four values."""
    with page.context.expect_page() as opened:
        page.click("[data-testid=classroom-sheet]")
    sheet = opened.value
    sheet.wait_for_load_state()
    screenshot(sheet, "classroom-sheet")
    accounts = []
    cards = sheet.locator("[data-testid=account-card]")
    for index in range(cards.count()):
        upn, password, apple_id, apple_password = cards.nth(index).locator("dd.mono").all_inner_texts()
        accounts.append(
            {"upn": upn, "password": password, "apple_id": apple_id, "apple_password": apple_password}
        )
    sheet.close()
    return accounts


def steps_1_and_2(page: Any, portal: str, apple: str, account: dict[str, str], server: str) -> Iterator[str]:
    """A trainee's step 1 then step 2, one action at a time: the caller runs two trainees' in
    turns, so each acts while the other's sessions (portal and ASM) are open mid-journey."""
    page.goto(f"{portal}/enrollment/apple/tokens/add/")
    page.check("input[data-consent]")
    with page.expect_download() as public_key:
        page.click("button[data-needs-consent]")
    assert public_key.value.suggested_filename.endswith(".pem")
    yield "public key"

    with page.context.expect_page() as opened:
        page.click(f"a[href='{apple}/asm/']")
    asm = opened.value
    asm.wait_for_load_state()
    apple_signin(asm, account["apple_id"], account["apple_password"])
    asm.wait_for_url(f"{apple}/asm/**")
    yield "signed in to ASM"

    asm.click(".asm-nav a[href$='/asm/devices/']")
    serials = asm.locator("table td.mono a").all_inner_texts()[:3]
    assert len(serials) == 3, serials
    server_token = asm_server_token(asm, server=server, public_key=public_key.value.path(), serials=serials)
    yield "server token"

    portal_token_upload(page, server_token=server_token, apple_id=account["apple_id"])
    page.wait_for_selector(f".blade-title:has-text('{server} | Overview')")
    yield "uploaded"

    page.click(".blade-menu a[href$='/profiles/']")
    profile_wizard_create(page, name=f"iPad 1:1 - {server}")
    asm.close()
    yield "profile"


def side_by_side(*journeys: Iterator[str]) -> None:
    """Run the journeys in turns, one action of each, until all are done."""
    running = list(journeys)
    while running:
        for journey in list(running):
            if next(journey, None) is None:
                running.remove(journey)


def apple_serials(org_id: str) -> set[str]:
    return set(
        AppleDevice.objects.using("apple")
        .filter(organization__org_id=org_id)
        .values_list("serial_number", flat=True)
    )


def ipad_serials(page: Any, apple: str) -> set[str]:
    """Every serial the virtual devices list shows, page after page."""
    serials: set[str] = set()
    for number in range(1, 20):
        page.goto(f"{apple}/ipad/?page={number}")
        found = {text.strip() for text in page.locator("table td.mono").all_inner_texts()}
        if found <= serials:  # past the last page, Django's paginator shows the last one again
            return serials
        serials |= found
    raise AssertionError("the virtual devices list has no end")


def apple_rows_of(organization_pks: list[int]) -> dict[type[Model], set[Any]]:
    """Every mock_apple row linked to these organisations, per model (their pks): the mock's own
    map of how each model belongs to an organisation, so a new model is covered too."""
    rows: dict[type[Model], set[Any]] = {}
    for pk in organization_pks:
        for model, queryset in organization_rows(Organization(pk=pk)).items():
            rows.setdefault(model, set()).update(queryset.using("apple").values_list("pk", flat=True))
    return rows


def syncs_settled(tenant_ids: list[int]) -> bool:
    """No sync queued or running in these tenants (the upload's own sync is over)."""
    busy = [SyncRun.State.QUEUED, SyncRun.State.RUNNING]
    with every_tenant():
        return not SyncRun.objects.filter(tenant_id__in=tenant_ids, state__in=busy).exists()


def expected_checks(tenant_id: int) -> set[str]:
    """The checks the tenant's data makes true, each from its own rows."""
    with tenant_scope(tenant_id):
        tokens = EnrollmentProgramToken.objects.all()
        devices = Device.objects.filter(removed_by_apple=False)
        facts = {
            "public_key": TokenEncryptionKey.objects.exists() or tokens.exists(),
            "token": tokens.exists(),
            "profile": EnrollmentProfile.objects.exists(),
            "sds": tokens.filter(shared_with_sds=True).exists(),
            "sync": SyncRun.objects.filter(state=SyncRun.State.SUCCEEDED).exists(),
            "assigned": devices.filter(assigned_profile__isnull=False).exists(),
            "enrolled": devices.filter(enrollment_state=EnrollmentState.ENROLLED).exists(),
        }
    assert set(facts) == {key for key, _label in TOUR_CHECKS}
    return {key for key, done in facts.items() if done}


@pytest.mark.browser
@pytest.mark.integration
@live
class ClassroomBrowserTests:
    def test_a_class_of_three_works_side_by_side_and_ends_without_a_trace(
        self,
        classroom_site,
        dep_server,  # noqa: F811
        trainer_user,  # noqa: F811
        browser,
        page,
    ) -> None:
        portal, apple = classroom_site, dep_server
        portal_signin(page, portal, trainer_user.username)

        # 1. The class: three trainees on « Empty tenant », in English; the board shows the
        # workers building them, then the three ready.
        classroom = class_create(page, portal, trainees=3, preset=PRESET)
        page.locator("#class-board .class-progress").wait_for(state="detached", timeout=120_000)
        rows = page.locator("#class-board tbody tr")
        assert rows.count() == 3
        trainees = list(Trainee.objects.filter(classroom=classroom).order_by("number"))
        assert [t.state for t in trainees] == ["ready"] * 3, [t.error for t in trainees]
        assert not page.locator("#class-board .chip").count()  # no « Creating », no « Failed »
        screenshot(page, "classroom-board-ready")

        # 2. The account sheet: one card per trainee, the accounts the workers made.
        accounts = sheet_accounts(page)
        assert [a["upn"] for a in accounts] == [t.intune_upn for t in trainees]
        assert [a["apple_id"] for a in accounts] == [t.asm_apple_id for t in trainees]
        assert len({a["password"] for a in accounts}) == 3

        # 3. The three sign in at the same time, each in a browser of their own; A and B do
        # steps 1 and 2 in turns, C does nothing.
        contexts = [
            browser.new_context(
                viewport={"width": 1400, "height": 900}, locale="en-US", accept_downloads=True
            )
            for _ in trainees
        ]
        try:
            pages = [context.new_page() for context in contexts]
            for trainee_page, account in zip(pages, accounts, strict=True):
                trainee_page.set_default_timeout(20_000)
                portal_signin(trainee_page, portal, account["upn"], account["password"])
            page_a, page_b, page_c = pages
            side_by_side(
                steps_1_and_2(page_a, portal, apple, accounts[0], "Trainee A - Intune"),
                steps_1_and_2(page_b, portal, apple, accounts[1], "Trainee B - Intune"),
            )
            a, b, c = trainees
            tenants = [tenant_of(t) for t in trainees]
            with tenant_scope(tenants[0]):
                token_a = EnrollmentProgramToken.objects.get()
                assert token_a.token_name == "Trainee A - Intune"
            with tenant_scope(tenants[1]):
                token_b = EnrollmentProgramToken.objects.get()
                assert EnrollmentProfile.objects.count() == 1
            with tenant_scope(tenants[2]):
                assert not EnrollmentProgramToken.objects.exists()

            # 4. The board shows what each did: the upload's own sync once the worker is done.
            wait_for(lambda: syncs_settled(tenants[:2]), message=lambda: "the uploads' syncs")
            expected = {trainee.number: expected_checks(tenant_of(trainee)) for trainee in trainees}
            assert expected[1] >= CHECKS_OF_STEPS_1_AND_2 and expected[2] >= CHECKS_OF_STEPS_1_AND_2
            assert expected[3] == set()
            page.bring_to_front()
            page.click(".commandbar >> text=Refresh")
            page.locator("#class-board").wait_for()
            for number, checks in expected.items():
                page.locator(f"#class-board tr[data-trainee='{number}'][data-done='{len(checks)}']").wait_for(
                    timeout=10_000
                )
                assert board_checks(page, number) == checks, number
            screenshot(page, "classroom-board-steps")

            # 5. B cannot open A's token, and B's devices at /ipad/ are none of A's.
            response = page_b.goto(f"{portal}/enrollment/apple/tokens/{token_a.pk}/")
            assert response is not None and response.status == 404
            ipad_b = page_b.context.new_page()
            serials_b = ipad_serials(ipad_b, apple)  # signed in to ASM as B in this browser
            ipad_b.goto(f"{apple}/ipad/")
            screenshot(ipad_b, "classroom-ipad-list-b")
            serials_a = apple_serials(a.apple_organization_id)
            assert serials_b == apple_serials(b.apple_organization_id)
            assert serials_a and not serials_a & serials_b
            response = ipad_b.goto(f"{apple}/ipad/{min(serials_a)}/")  # nor does A's device open
            assert response is not None and response.status == 404
        finally:
            for context in contexts:
                context.close()

        # 6. The trainer resets A (trainee pane, Reset to the preset): B's token stays.
        page.click("#class-board tr[data-trainee='1'] td a")
        pane = page.locator("[data-testid=trainee-pane]")
        pane.wait_for()
        assert a.intune_upn in pane.inner_text()
        pane.locator("select[name=preset]").select_option(PRESET)
        page.click("[data-testid=trainee-reset]")
        page.wait_for_selector(".toast >> text=Reset queued for Trainee 01")

        def a_is_reset() -> bool:
            with tenant_scope(tenants[0]):
                return not EnrollmentProgramToken.objects.exists() and not EnrollmentProfile.objects.exists()

        wait_for(a_is_reset, message=lambda: worker_log(celery_app.conf.task_default_queue))
        with tenant_scope(tenants[1]):
            assert list(EnrollmentProgramToken.objects.values_list("pk", flat=True)) == [token_b.pk]
            assert EnrollmentProfile.objects.count() == 1
        page.click(".commandbar >> text=Refresh")
        page.locator("#class-board tr[data-trainee='1'][data-done='0']").wait_for(timeout=10_000)
        assert board_checks(page, 2) == expected[2]
        screenshot(page, "classroom-board-after-reset")

        # 7. End the class: nothing of the three is left, here or at Apple.
        org_pks = list(
            Organization.objects.using("apple")
            .filter(org_id__in=[t.apple_organization_id for t in trainees])
            .values_list("pk", flat=True)
        )
        assert len(org_pks) == 3
        before = apple_rows_of(org_pks)
        assert before[AppleDevice] and before[MdmServer]
        page.click("[data-testid=classroom-end]")
        page.click("[data-testid=classroom-end-confirm]")
        page.wait_for_selector(".toast >> text=Class ended: 3 trainees")
        page.wait_for_url(f"{portal}/trainer/classroom/")

        assert classroom_services.tenant_rows_left(tenants) == 0
        assert not Tenant.objects.filter(pk__in=tenants).exists()
        assert not Classroom.objects.exists()
        assert all(not pks for pks in apple_rows_of(org_pks).values())
        for model, pks in before.items():
            assert not model._default_manager.using("apple").filter(pk__in=pks).exists(), model


@pytest.mark.browser
@pytest.mark.integration
@live
@pytest.mark.usefixtures("served_apple")
def test_the_trainer_looks_at_a_trainee_s_tenant_and_comes_back(live_server, trainer_user, page) -> None:  # noqa: F811
    organization_create(devices=0)
    classroom = classroom_services.classroom_create(
        actor=trainer_user, name=CLASS, trainees=1, preset_key="token-ready", language="en"
    )
    trainee = classroom_services.classroom_trainee_build(
        trainee_id=Trainee.objects.get(classroom=classroom).pk
    )
    assert trainee.state == Trainee.State.READY, trainee.error
    tenant = Tenant.objects.get(pk=tenant_of(trainee))
    portal = live_server.url
    portal_signin(page, portal, trainer_user.username)
    page.goto(f"{portal}/trainer/classroom/{classroom.pk}/")

    # The trainee pane, then « Look at this tenant (read-only) »: Home of the trainee's tenant,
    # the banner on every page, the trainee's token (the trainer's own tenant has none).
    page.click("#class-board tr[data-trainee='1'] td a")
    page.click("[data-testid=trainee-look]")
    page.wait_for_url(f"{portal}/")
    banner = page.locator("[data-testid=look-banner]")
    assert f"You are looking at the tenant “{tenant.display_name}”, read-only" in banner.inner_text()
    page.goto(f"{portal}/enrollment/apple/tokens/")
    page.wait_for_selector("#journey >> text=Contoso Intune")
    assert banner.is_visible()
    screenshot(page, "classroom-look")
    # Read-only: the trainer is an operator there, and the Classroom is not theirs to see.
    response = page.goto(f"{portal}/enrollment/apple/tokens/add/")
    assert response is not None and response.status == 403
    assert not page.locator(".leftnav >> text=Classroom").count()

    # « Back to my tenant »: Home of the trainer's own tenant, no banner, no token.
    page.goto(f"{portal}/")
    page.click("[data-testid=look-stop]")
    page.wait_for_url(f"{portal}/")
    assert not banner.count()
    assert page.locator(".leftnav >> text=Classroom").is_visible()
    page.goto(f"{portal}/enrollment/apple/tokens/")
    assert not page.locator("#journey >> text=Contoso Intune").count()
    screenshot(page, "classroom-look-back")

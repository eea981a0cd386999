"""The Trainer blade: only the Trainer role, the demo clock and drills through it, the banner;
and the guided tour panel: toggled from the top bar, kept in the session, polled for progress."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from asm_portal import clock
from asm_portal.models import Notification
from devices.sync_rules import sync_availability
from tests.conftest import HTMX
from tests.devices.conftest import run_failed
from tests.trainer.conftest import live, token_create

URL = "/trainer/"


@pytest.mark.django_db
class TrainerBladeAccessTests:
    @pytest.mark.parametrize("who", ["admin_client", "operator_client"])
    def test_it_is_forbidden_without_the_trainer_role(self, request, who) -> None:
        client = request.getfixturevalue(who)
        assert client.get(URL).status_code == 403
        assert client.post(f"{URL}clock/move/", {"step": "8d"}).status_code == 403
        assert client.post(f"{URL}clock/reset/").status_code == 403
        assert client.post(f"{URL}drills/apple_down/start/").status_code == 403
        assert client.post(f"{URL}drills/apple_down/clear/").status_code == 403
        assert client.post(f"{URL}tour/toggle/").status_code == 403
        assert client.get(f"{URL}tour/").status_code == 403

    def test_signed_out_visitors_are_sent_to_sign_in(self, client) -> None:
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith("/signin/")

    @pytest.mark.parametrize("who", ["admin_client", "operator_client"])
    def test_others_see_no_trainer_ui(self, request, who) -> None:
        body = request.getfixturevalue(who).get("/").content.decode()
        assert 'href="/trainer/"' not in body
        assert 'data-testid="tour-toggle"' not in body
        assert 'id="tour-panel"' not in body

    def test_trainers_find_it_in_the_left_nav_and_the_top_bar(self, trainer_client) -> None:
        body = trainer_client.get("/").content.decode()
        assert 'href="/trainer/"' in body
        assert 'data-testid="tour-toggle"' in body

    def test_wrong_methods_are_refused(self, trainer_client) -> None:
        assert trainer_client.post(URL).status_code == 405
        assert trainer_client.get(f"{URL}clock/move/").status_code == 405
        assert trainer_client.get(f"{URL}drills/apple_down/start/").status_code == 405


@pytest.mark.django_db
class TrainerBladeWithoutAppleTests:
    @pytest.fixture(autouse=True)
    def _apple_away(self, settings) -> None:
        settings.APPLE_BASE_URL = "http://127.0.0.1:9"

    def test_it_renders_and_says_apple_is_unreachable(self, trainer_client) -> None:
        response = trainer_client.get(URL)
        body = response.content.decode()
        assert response.status_code == 200
        assert "Trainer mode" in body and "Demo clock" in body and "Fault drills" in body
        assert "The mock Apple service cannot be reached at http://127.0.0.1:9" in body
        assert "The drills need the mock Apple service" in body

    def test_the_htmx_get_renders_the_journey_only(self, trainer_client) -> None:
        body = trainer_client.get(URL, **HTMX).content.decode()
        assert 'data-testid="trainer-blade"' in body
        assert "<html" not in body
        assert 'id="clock-banner"' in body  # out of band, with the left nav

    def test_a_clock_move_without_apple_changes_nothing_and_says_why(self, trainer_client) -> None:
        body = trainer_client.post(f"{URL}clock/move/", {"step": "8d"}, **HTMX).content.decode()
        assert "cannot be reached" in body
        assert clock.offset() == timedelta(0)

    def test_bad_input_is_refused_with_a_message(self, trainer_client) -> None:
        body = trainer_client.post(f"{URL}clock/move/", {"step": "custom", "days": "-4"}).content.decode()
        assert "Choose how far to move the clock" in body
        body = trainer_client.post(
            f"{URL}clock/move/", {"step": "custom", "days": "0", "hours": "0"}
        ).content.decode()
        assert "Move the clock forward by at least one hour." in body
        body = trainer_client.post(f"{URL}drills/meteor/start/").content.decode()
        assert "There is no such fault drill." in body
        assert clock.offset() == timedelta(0)


@pytest.mark.django_db
class ClockBannerTests:
    def test_no_banner_at_real_time(self, admin_client) -> None:
        body = admin_client.get("/").content.decode()
        assert "Demo clock:" not in body
        assert re.search(r'<div id="clock-banner"[^>]* hidden>', body)

    def test_everyone_sees_the_banner_only_trainers_get_the_reset(
        self, admin_client, trainer_client, operator_client
    ) -> None:
        clock.set_offset(timedelta(days=8))
        for client in (admin_client, operator_client, trainer_client):
            body = client.get("/enrollment/apple/tokens/").content.decode()
            assert "Demo clock: the time is moved forward by 8 days." in body
        assert 'data-testid="clock-banner-reset"' not in admin_client.get("/").content.decode()
        assert 'data-testid="clock-banner-reset"' in trainer_client.get("/").content.decode()

    def test_the_banner_speaks_french(self, trainer_client) -> None:
        clock.set_offset(timedelta(days=1, hours=2))
        body = trainer_client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert "Horloge de démonstration\u00a0: l’heure est avancée de 1 jour 2 heures." in body


@pytest.mark.integration
@live
@pytest.mark.usefixtures("served_apple")
class TrainerBladeWithAppleTests:
    def test_moving_the_clock_updates_the_blade_the_banner_and_toasts(
        self, trainer_client, trainer_user
    ) -> None:
        response = trainer_client.post(f"{URL}clock/move/", {"step": "8d"}, **HTMX)
        body = response.content.decode()
        assert clock.offset() == timedelta(days=8)
        assert "Moved forward by 8 days" in body
        assert "In step with the portal" in body
        # The shell's banner, out of band, with its reset for trainers.
        assert (
            'id="clock-banner" class="clock-banner" role="status" data-testid="clock-banner" hx-swap-oob="true"'
            in body
        )
        assert "Demo clock: the time is moved forward by 8 days." in body
        assert Notification.objects.filter(user=trainer_user, title="Demo clock moved").exists()

    def test_custom_moves_and_reset_without_htmx_redirect(self, trainer_client) -> None:
        response = trainer_client.post(f"{URL}clock/move/", {"step": "custom", "days": "2", "hours": "5"})
        assert response.status_code == 302 and response["Location"] == URL
        assert clock.offset() == timedelta(days=2, hours=5)
        assert trainer_client.post(f"{URL}clock/reset/")["Location"] == URL
        assert clock.offset() == timedelta(0)

    def test_the_blade_lists_drills_and_starts_and_clears_one(self, trainer_client) -> None:
        body = trainer_client.get(URL).content.decode()
        for key in ("terms", "revoked", "apple_down", "throttling", "access_denied"):
            assert f'data-testid="drill-{key}" data-active="false"' in body
        body = trainer_client.post(f"{URL}drills/apple_down/start/", **HTMX).content.decode()
        assert 'data-testid="drill-apple_down" data-active="true"' in body
        assert "Fault drill started: Apple down" in body  # the toast
        body = trainer_client.post(f"{URL}drills/apple_down/clear/", **HTMX).content.decode()
        assert 'data-testid="drill-apple_down" data-active="false"' in body

    def test_clearing_apple_down_says_how_to_go_on(self, trainer_client, apple_token) -> None:
        token = apple_token.token
        trainer_client.post(f"{URL}drills/apple_down/start/")
        run_failed(token, error_code="503 SERVICE_UNAVAILABLE")
        body = trainer_client.post(f"{URL}drills/apple_down/clear/", **HTMX).content.decode()
        assert "Fault drill cleared: Apple down" in body
        assert "Sync stays unavailable until" in body and "move the demo clock forward by 15 minutes" in body
        assert not sync_availability(token=token).allowed  # the article's rule stays
        trainer_client.post(f"{URL}clock/move/", {"step": "15m"})
        assert clock.offset() == timedelta(minutes=15)
        assert sync_availability(token=token).allowed

    def test_clearing_without_a_locked_sync_just_says_apple_answers(self, trainer_client) -> None:
        trainer_client.post(f"{URL}drills/apple_down/start/")
        body = trainer_client.post(f"{URL}drills/apple_down/clear/", **HTMX).content.decode()
        assert "Apple answers again: request a sync or assign a profile to see it." in body

    def test_the_blade_shows_what_the_clock_changes_on_a_token(self, trainer_client, apple_token) -> None:
        body = trainer_client.get(URL).content.decode()
        assert apple_token.token.token_name in body
        assert 'data-testid="clock-effects"' in body


@pytest.mark.django_db
class TourPanelTests:
    def test_it_is_closed_until_toggled_then_stays_open_across_pages(self, trainer_client) -> None:
        assert 'data-testid="tour-step-token"' not in trainer_client.get("/").content.decode()
        response = trainer_client.post("/trainer/tour/toggle/", {"next": "/enrollment/"})
        assert response.status_code == 302 and response["Location"] == "/enrollment/"
        for url in ("/", "/enrollment/apple/tokens/", "/tenant-admin/audit-logs/"):
            body = trainer_client.get(url).content.decode()
            assert 'data-testid="tour-step-token"' in body, url
            assert 'aria-pressed="true"' in body
        trainer_client.post("/trainer/tour/toggle/")
        assert 'data-testid="tour-step-token"' not in trainer_client.get("/").content.decode()

    def test_an_unsafe_next_goes_home(self, trainer_client) -> None:
        response = trainer_client.post("/trainer/tour/toggle/", {"next": "https://evil.example/"})
        assert response["Location"] == "/"

    def test_the_htmx_toggle_answers_the_panel_and_the_button_out_of_band(self, trainer_client) -> None:
        body = trainer_client.post("/trainer/tour/toggle/", **HTMX).content.decode()
        assert body.startswith('\n<aside id="tour-panel"') or '<aside id="tour-panel"' in body.split("\n")[1]
        assert "Step 1. Get the ASM token and assign devices" in body
        assert 'id="tour-toggle"' in body and 'hx-swap-oob="true"' in body
        body = trainer_client.post("/trainer/tour/toggle/", **HTMX).content.decode()
        assert "Step 1." not in body and "hidden" in body

    def test_htmx_navigation_keeps_the_panel_out_of_the_journey(self, trainer_client) -> None:
        trainer_client.post("/trainer/tour/toggle/")
        body = trainer_client.get("/enrollment/apple/tokens/", **HTMX).content.decode()
        assert 'id="tour-panel"' not in body  # the shell keeps it; navigation never replaces it

    def test_the_steps_fragment_polls_and_follows_the_real_state(self, trainer_client) -> None:
        trainer_client.post("/trainer/tour/toggle/")
        body = trainer_client.get("/trainer/tour/", **HTMX).content.decode()
        assert 'hx-trigger="every 3s" data-poll-visible' in body
        assert 'data-testid="tour-check-token" data-done="false"' in body
        assert "0 of 6 steps done" in body
        token_create()
        body = trainer_client.get("/trainer/tour/", **HTMX).content.decode()
        assert 'data-testid="tour-check-token" data-done="true"' in body
        assert 'data-testid="tour-check-public_key" data-done="true"' in body
        assert "1 of 6 steps done" in body

    def test_the_chosen_step_is_remembered(self, trainer_client) -> None:
        trainer_client.post("/trainer/tour/toggle/")
        assert (
            'class="tour-step is-current" data-testid="tour-step-token"'
            in trainer_client.get("/").content.decode()
        )
        body = trainer_client.post("/trainer/tour/step/", {"step": "sync"}, **HTMX).content.decode()
        assert 'class="tour-step is-current" data-testid="tour-step-sync"' in body
        assert (
            'class="tour-step is-current" data-testid="tour-step-sync"'
            in trainer_client.get("/").content.decode()
        )
        trainer_client.post("/trainer/tour/step/", {"step": "<script>"}, **HTMX)
        assert (
            'class="tour-step is-current" data-testid="tour-step-sync"'
            in trainer_client.get("/").content.decode()
        )

    def test_the_panel_speaks_french(self, trainer_client) -> None:
        trainer_client.post("/trainer/tour/toggle/")
        body = trainer_client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert "Visite guidée" in body
        assert "Étape 2. Créer un profil d’inscription Apple" in body

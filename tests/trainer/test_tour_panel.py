"""The guided tour panel: toggled from the top bar, kept in the session, polled for progress."""

from __future__ import annotations

import pytest

from tests.conftest import HTMX
from tests.trainer.conftest import token_create


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
        assert 'hx-trigger="every 3s [!document.hidden]"' in body
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

"""The core's rendering helpers and registries: what every app's blades rely on."""

from __future__ import annotations

import json

import pytest
from django import forms
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxMiddleware

from asm_portal import navigation, roles
from asm_portal.blades import (
    blade_extra_context,
    redirect_to_blade,
    register_blade_context,
    render_blade,
    render_pane,
)
from asm_portal.refusals import Refusal
from tests.conftest import HTMX, make_user


def htmx_request(admin_user, **headers):
    request = RequestFactory().get("/notifications/", **headers)
    request.user = admin_user
    request.session = SessionStore()
    HtmxMiddleware(lambda request: HttpResponse())(request)  # sets request.htmx as the portal does
    return request


class VaryTests:
    def test_a_blade_varies_on_hx_request(self, admin_client) -> None:
        # One URL answers a page and an htmx fragment: a cache must keep the two apart.
        for headers in ({}, HTMX):
            response = admin_client.get("/enrollment/apple/tokens/", **headers)
            assert "HX-Request" in response["Vary"]

    def test_a_pane_varies_on_hx_request(self, admin_client) -> None:
        for headers in ({}, HTMX):
            response = admin_client.get("/notifications/", **headers)
            assert "HX-Request" in response["Vary"]


class RenderPaneTests:
    def test_htmx_gets_the_pane_partial_and_a_browser_the_blade(self, db, admin_user) -> None:
        pane = render_pane(
            htmx_request(admin_user, HTTP_HX_REQUEST="true"),
            "asm_portal/notifications.html",
            {"notifications": []},
            blade="notifications",
        )
        page = render_pane(
            htmx_request(admin_user),
            "asm_portal/notifications.html",
            {"notifications": []},
            blade="notifications",
        )
        assert "<html" not in pane.content.decode() and "<html" in page.content.decode()
        assert "No new notifications." in pane.content.decode()
        assert "HX-Request" in pane["Vary"] and "HX-Request" in page["Vary"]

    def test_render_blade_passes_the_status(self, db, admin_user) -> None:
        response = render_blade(
            htmx_request(admin_user),
            "asm_portal/notifications.html",
            {"notifications": []},
            blade="notifications",
            status=422,
        )
        assert response.status_code == 422


class RedirectToBladeTests:
    def test_htmx_navigates_with_hx_location(self, db, admin_user) -> None:
        response = redirect_to_blade(htmx_request(admin_user, HTTP_HX_REQUEST="true"), "/enrollment/")
        assert response.status_code == 204
        assert json.loads(response["HX-Location"]) == {
            "path": "/enrollment/",
            "target": "#journey",
            "swap": "innerHTML",
        }

    def test_a_browser_is_redirected(self, db, admin_user) -> None:
        response = redirect_to_blade(htmx_request(admin_user), "/enrollment/")
        assert response.status_code == 302 and response["Location"] == "/enrollment/"


class RegistryTests:
    def test_every_app_placed_its_blades_in_the_tree(self) -> None:
        for url_name in (
            "tokens:list",
            "profiles:list",
            "devices:list",
            "directory_users",
            "sds:overview",
            "trainer:home",
        ):
            assert navigation.blade(url_name) is not None, url_name

    def test_the_apple_enrollment_menu_is_filled_by_the_apps_in_order(self) -> None:
        menu = navigation.menu(navigation.APPLE_ENROLLMENT_MENU)
        url_names = [url_name for _group, items in menu for url_name, _label, _icon in items]
        assert url_names == [
            "apple_enrollment",
            "tokens:push_certificate",
            "tokens:list",
            "profiles:list",
            "devices:list",
        ]

    def test_the_trainer_entry_shows_only_to_trainers(self, admin_user, trainer_user) -> None:
        admin_keys = [item.key for item in navigation.left_nav(admin_user)]
        assert "trainer" not in admin_keys and "classroom" not in admin_keys
        assert roles.is_trainer(trainer_user)
        keys = [item.key for item in navigation.left_nav(trainer_user)]
        assert keys == ["home", "devices", "enrollment", "sds", "tenant", "trainer", "classroom"]

    def test_blade_context_merges_what_each_provider_adds(self) -> None:
        register_blade_context("test:blade", lambda *, thing: {"double": thing * 2})
        register_blade_context("test:blade", lambda *, thing: {"square": thing**2})
        assert blade_extra_context("test:blade", thing=3) == {"double": 6, "square": 9}
        assert blade_extra_context("test:unknown", thing=3) == {}


class RefusalTests:
    class Form(forms.Form):
        name = forms.CharField(required=False)

    def test_field_errors_go_to_their_fields_and_the_rest_to_the_form(self) -> None:
        form = self.Form(data={})
        assert form.is_valid()
        Refusal(
            errors={"name": ["Taken."], "other": ["Not a field."], "__all__": ["Nothing saved."]}
        ).add_to_form(form)
        assert form.errors["name"] == ["Taken."]
        assert form.non_field_errors() == ["Not a field.", "Nothing saved."]

    def test_a_plain_refusal_is_a_form_error_and_its_own_text(self) -> None:
        form = self.Form(data={})
        form.is_valid()
        refusal = Refusal("Apple refused the token.", code="ACCESS_DENIED")
        refusal.add_to_form(form)
        assert form.non_field_errors() == ["Apple refused the token."]
        assert str(refusal) == "Apple refused the token." and refusal.code == "ACCESS_DENIED"

    def test_without_a_message_the_first_error_is_the_message(self) -> None:
        assert str(Refusal(errors={"name": ["Taken."]})) == "Taken."


@pytest.fixture
def trainer_user(db):
    return make_user("trainer-test@contoso.onmicrosoft.com", roles.ADMINISTRATOR, roles.TRAINER)

"""Every blade of the shell: deep link, htmx navigation, method and access rules."""

from __future__ import annotations

import pytest
from django.test import Client

from asm_portal.models import TenantMembership
from tests.conftest import HTMX

BLADES = [
    ("/", "Home"),
    ("/enrollment/", "Device enrollment"),
    ("/enrollment/apple/", "Apple enrollment"),
    ("/enrollment/apple/push-certificate/", "Apple MDM Push certificate"),
    ("/enrollment/apple/tokens/", "Enrollment program tokens"),
    ("/enrollment/apple/profiles/", "Enrollment program profiles"),
    ("/enrollment/apple/devices/", "Enrollment program devices"),
    ("/tenant-admin/", "Tenant administration"),
    ("/tenant-admin/audit-logs/", "Audit logs"),
    ("/tenant-admin/roles/", "Roles"),
]


@pytest.mark.parametrize(("url", "title"), BLADES)
class BladeTests:
    def test_a_direct_load_renders_the_whole_shell(self, admin_client, url, title) -> None:
        response = admin_client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" in html
        assert 'id="leftnav"' in html
        assert 'class="topbar"' in html
        assert title in html

    def test_htmx_navigation_gets_only_the_journey(self, admin_client, url, title) -> None:
        response = admin_client.get(url, **HTMX)
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" not in html
        assert 'class="topbar"' not in html
        assert title in html
        # The left nav follows the blade, out of band.
        assert 'id="leftnav" class="leftnav" hx-swap-oob="true"' in html

    def test_a_history_restore_gets_the_whole_page(self, admin_client, url, title) -> None:
        response = admin_client.get(url, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
        assert "<html" in response.content.decode()

    def test_it_refuses_post(self, admin_client, url, title) -> None:
        assert admin_client.post(url).status_code == 405

    def test_anonymous_users_are_sent_to_sign_in(self, db, url, title) -> None:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/signin/")

    def test_read_only_operators_can_look(self, operator_client, url, title) -> None:
        assert operator_client.get(url).status_code == 200


class ShellTests:
    def test_breadcrumb_lists_the_ancestors(self, admin_client) -> None:
        html = admin_client.get("/enrollment/apple/tokens/").content.decode()
        crumbs = html[
            html.index('class="breadcrumb"') : html.index("</nav>", html.index('class="breadcrumb"'))
        ]
        assert [label for label in ("Home", "Device enrollment", "Apple enrollment") if label in crumbs] == [
            "Home",
            "Device enrollment",
            "Apple enrollment",
        ]

    def test_the_selected_nav_item_is_marked(self, admin_client) -> None:
        html = admin_client.get("/tenant-admin/audit-logs/").content.decode()
        assert 'is-selected" href="/tenant-admin/"' in html

    def test_every_link_keeps_a_real_href(self, admin_client) -> None:
        html = admin_client.get("/enrollment/apple/").content.decode()
        assert 'hx-get="/enrollment/apple/tokens/"' in html
        assert 'href="/enrollment/apple/tokens/"' in html

    def test_empty_states_say_what_the_blade_is_for(self, admin_client) -> None:
        html = admin_client.get("/enrollment/apple/devices/").content.decode()
        assert "assign them an enrollment profile" in html
        assert "TODO" not in html


def test_the_account_button_names_the_users_tenant_as_intune_does(admin_client, admin_user) -> None:
    tenant = TenantMembership.objects.get(user=admin_user).tenant
    html = admin_client.get("/").content.decode()
    # Intune's top bar: the account, and under it the tenant's name; the roles are in the menu.
    assert f'<span class="account-tenant">{tenant.display_name}</span>' in html
    assert f'<p class="account-menu-tenant">{tenant.display_name} · {tenant.initial_domain}</p>' in html
    assert 'class="account-menu-roles"' in html

from __future__ import annotations

from django.contrib.auth.models import User

from asm_portal import roles
from asm_portal.models import AuditEvent
from tests.conftest import HTMX, make_user


class RoleEditTests:
    def url(self, user: User) -> str:
        return f"/tenant-admin/roles/{user.pk}/"

    def test_it_shows_the_form_as_a_page(self, admin_client, operator_user) -> None:
        response = admin_client.get(self.url(operator_user))
        assert response.status_code == 200
        assert b"<html" in response.content
        assert b'name="roles"' in response.content

    def test_htmx_gets_the_context_pane_only(self, admin_client, operator_user) -> None:
        response = admin_client.get(self.url(operator_user), **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert b'class="pane-panel"' in response.content
        assert b'name="roles"' in response.content and operator_user.username.encode() in response.content

    def test_it_changes_the_roles_and_audits_it(self, admin_client, admin_user, operator_user) -> None:
        response = admin_client.post(self.url(operator_user), {"roles": [roles.ADMINISTRATOR]})
        assert response.status_code == 302
        operator_user = User.objects.get(pk=operator_user.pk)
        assert roles.roles_of(operator_user) == {roles.ADMINISTRATOR}
        event = AuditEvent.objects.get(action="Update role assignment")
        assert event.actor == admin_user
        assert event.details == {
            "before": [roles.READ_ONLY_OPERATOR],
            "after": [roles.ADMINISTRATOR],
        }

    def test_htmx_post_navigates_back_to_the_list(self, admin_client, operator_user) -> None:
        response = admin_client.post(self.url(operator_user), {"roles": [roles.TRAINER]}, **HTMX)
        assert response.status_code == 204
        assert '"path": "/tenant-admin/roles/"' in response["HX-Location"]

    def test_the_last_administrator_stays(self, admin_client, admin_user) -> None:
        response = admin_client.post(self.url(admin_user), {"roles": [roles.READ_ONLY_OPERATOR]})
        assert response.status_code == 200
        assert b"at least one administrator" in response.content
        assert roles.ADMINISTRATOR in roles.roles_of(User.objects.get(pk=admin_user.pk))

    def test_read_only_operators_are_refused(self, operator_client, admin_user, operator_user) -> None:
        assert operator_client.get(self.url(admin_user)).status_code == 403
        response = operator_client.post(self.url(operator_user), {"roles": [roles.ADMINISTRATOR]})
        assert response.status_code == 403
        assert roles.roles_of(User.objects.get(pk=operator_user.pk)) == {roles.READ_ONLY_OPERATOR}
        assert not AuditEvent.objects.exists()

    def test_it_refuses_other_methods(self, admin_client, operator_user) -> None:
        assert admin_client.put(self.url(operator_user)).status_code == 405

    def test_unknown_roles_are_ignored(self, admin_client, operator_user) -> None:
        make_user("second-admin@contoso.onmicrosoft.com", roles.ADMINISTRATOR)
        admin_client.post(self.url(operator_user), {"roles": ["Global God", roles.TRAINER]})
        assert roles.roles_of(User.objects.get(pk=operator_user.pk)) == {roles.TRAINER}

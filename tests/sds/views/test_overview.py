from __future__ import annotations

from tests.conftest import HTMX

URL = "/sds/"


class OverviewTests:
    def test_it_renders_the_blade_in_the_shell(self, admin_client) -> None:
        response = admin_client.get(URL)
        assert response.status_code == 200
        assert b"<html" in response.content
        assert b"School Data Sync | Overview" in response.content
        # The left navigation has the School Data Sync item, selected.
        assert b'class="leftnav-item is-selected" href="/sds/"' in response.content
        assert b"Download the sample files" in response.content

    def test_htmx_gets_the_journey_only(self, admin_client) -> None:
        response = admin_client.get(URL, **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert b'class="menu-blade"' in response.content
        assert b"Download the sample files" in response.content

    def test_it_counts_the_active_roster(self, admin_client, imported_classic, imported_v21) -> None:
        context = admin_client.get(URL).context
        assert context["profile_count"] == 2
        assert (context["school_count"], context["class_count"]) == (2 + 4, 2 + 2)
        # v2.1: five students, two staff (a professor, a teacher), two guardians without a role.
        assert (context["student_count"], context["staff_count"]) == (22 + 4, 2 + 2)
        assert [upload.pk for upload in context["uploads"]] == [imported_v21.pk, imported_classic.pk]

    def test_operators_may_look(self, operator_client) -> None:
        assert operator_client.get(URL).status_code == 200

    def test_anonymous_users_sign_in_first(self, client) -> None:
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith("/signin/")

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.post(URL).status_code == 405

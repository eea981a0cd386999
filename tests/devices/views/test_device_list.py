"""The devices grids: a token's Devices blade and « Enrollment program devices » across tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from asm_portal import clock
from devices.models import Device, EnrollmentState, ProfileStatus
from tests.conftest import HTMX
from tests.devices.conftest import devices_create, profile_create, token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    return token_create("Lycée Jean Moulin - Intune")


def grid_serials(html: str) -> list[str]:
    """The serial number of each row: the text of its link to the device's blade."""
    return [
        part.split(">", 2)[1].split("<")[0].strip() for part in html.split('<td class="mono-serial">')[1:]
    ]


class TokenDevicesTests:
    def url(self, token) -> str:
        return f"/enrollment/apple/tokens/{token.pk}/devices/"

    def test_it_shows_the_blade_with_the_grid(self, admin_client, token) -> None:
        devices_create(token, 3)
        response = admin_client.get(self.url(token))
        body = response.content.decode()
        assert response.status_code == 200 and "<html" in body
        assert "Lycée Jean Moulin - Intune | Devices" in body
        for column in (
            "Serial number",
            "Details",
            "Model",
            "Color",
            "Asset tag",
            "OS",
            "State",
            "Profile status",
            "Assigned profile",
            "Profile assigned",
            "Last contacted",
        ):
            assert f">{column}" in body
        assert "Showing 1 to 3 of 3 records" in body
        assert grid_serials(body) == ["DMPQ000000", "DMPQ000001", "DMPQ000002"]
        assert "Not available. Sync to refresh." in body  # Last successful sync
        assert 'class="blade-menu-item is-selected"' in body and ">Devices<" in body

    def test_htmx_gets_the_grid_fragment_only(self, admin_client, token) -> None:
        devices_create(token, 2)
        response = admin_client.get(self.url(token) + "?fragment=grid&q=dmpq000001", **HTMX)
        body = response.content.decode()
        assert "<html" not in body and 'id="grid"' in body
        assert grid_serials(body) == ["DMPQ000001"]
        # The Export command follows the search, out of band.
        assert 'id="devices-export"' in body and "hx-swap-oob" in body and "q=dmpq000001" in body

    def test_search_is_a_serial_number_prefix(self, admin_client, token) -> None:
        devices_create(token, 30)
        body = admin_client.get(self.url(token) + "?q=DMPQ00001").content.decode()
        assert grid_serials(body) == [f"DMPQ0000{n}" for n in range(10, 20)]
        assert "Showing 1 to 10 of 10 records" in body

    def test_filter_pills(self, admin_client, token) -> None:
        profile = profile_create(token)
        devices_create(token, 2, prefix="AAA")
        devices_create(token, 2, prefix="BBB", enrollment_state=EnrollmentState.ENROLLED)
        devices_create(
            token, 2, prefix="CCC", profile_status=ProfileStatus.ASSIGNED, assigned_profile=profile
        )
        cases = {
            "state=enrolled": ["BBB000000", "BBB000001"],
            "profile_status=assigned": ["CCC000000", "CCC000001"],
            f"profile={profile.pk}": ["CCC000000", "CCC000001"],
            "profile=none": ["AAA000000", "AAA000001", "BBB000000", "BBB000001"],
            "profile=none&state=notContacted": ["AAA000000", "AAA000001"],
            "state=bogus": ["AAA000000", "AAA000001", "BBB000000", "BBB000001", "CCC000000", "CCC000001"],
        }
        for query, expected in cases.items():
            assert (
                grid_serials(admin_client.get(f"{self.url(token)}?{query}").content.decode()) == expected
            ), query

    def test_columns_sort_both_ways(self, admin_client, token) -> None:
        now = clock.now()
        for index, serial in enumerate(("B", "C", "A")):
            devices_create(token, 1, prefix=serial, last_contacted_at=now - timedelta(days=index))
        assert grid_serials(admin_client.get(self.url(token) + "?sort=serial&dir=desc").content.decode()) == [
            "C000000",
            "B000000",
            "A000000",
        ]
        assert grid_serials(admin_client.get(self.url(token) + "?sort=last_contacted").content.decode()) == [
            "A000000",
            "C000000",
            "B000000",
        ]
        body = admin_client.get(self.url(token) + "?sort=last_contacted").content.decode()
        assert 'aria-sort="ascending"><a href="/enrollment/apple/tokens/' in body
        assert "?sort=last_contacted&amp;dir=desc" in body  # the next click sorts the other way

    def test_pages_of_fifty_with_the_total(self, admin_client, token) -> None:
        devices_create(token, 120)
        body = admin_client.get(self.url(token) + "?page=3").content.decode()
        assert "Showing 101 to 120 of 120 records" in body and "Page 3 of 3" in body
        assert grid_serials(body)[0] == "DMPQ000100"
        assert "Showing 101 to 120" in admin_client.get(self.url(token) + "?page=99").content.decode()

    def test_queries_do_not_grow_with_the_rows(self, admin_client, token) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        profiles = [profile_create(token, name=f"Profile {n}") for n in range(3)]

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                admin_client.get(self.url(token) + "?fragment=grid", **HTMX)
            return len(captured)

        devices_create(token, 1, prefix="A", assigned_profile=profiles[0])
        few = queries()
        for number, profile in enumerate(profiles):
            devices_create(token, 20, prefix=f"B{number}", assigned_profile=profile)
        assert queries() == few

    def test_read_only_operators_see_but_cannot_select(self, operator_client, token) -> None:
        devices_create(token, 1)
        body = operator_client.get(self.url(token)).content.decode()
        assert "DMPQ000000" in body
        assert 'name="device"' not in body and "data-select-all" not in body
        assert 'aria-disabled="true"' in body

    def test_removed_devices_say_so(self, admin_client, token) -> None:
        devices_create(token, 1, removed_by_apple=True, removed_at=clock.now())
        assert "Removed by Apple" in admin_client.get(self.url(token)).content.decode()

    def test_the_token_s_apple_error_shows_as_a_banner(self, admin_client, token) -> None:
        type(token).objects.filter(pk=token.pk).update(
            last_sync_error_code="T_C_NOT_SIGNED", last_sync_error_at=clock.now()
        )
        assert "terms and conditions (T_C_NOT_SIGNED)" in admin_client.get(self.url(token)).content.decode()

    def test_other_methods_and_anonymous(self, client, admin_client, token) -> None:
        assert admin_client.post(self.url(token)).status_code == 405
        response = client.get(self.url(token))
        assert response.status_code == 302 and "/signin/" in response["Location"]

    def test_an_unknown_token_is_404(self, admin_client) -> None:
        assert admin_client.get("/enrollment/apple/tokens/999/devices/").status_code == 404


class DeviceListTests:
    url = "/enrollment/apple/devices/"

    def test_it_lists_every_token_s_devices_with_the_token(self, admin_client) -> None:
        first, second = token_create("Lycée A"), token_create("Collège B")
        devices_create(first, 2, prefix="AAA")
        devices_create(second, 1, prefix="BBB")
        body = admin_client.get(self.url).content.decode()
        assert grid_serials(body) == ["AAA000000", "AAA000001", "BBB000000"]
        assert ">Token<" in body and "Collège B" in body
        assert "Showing 1 to 3 of 3 records" in body

    def test_without_tokens_it_says_what_to_do(self, admin_client) -> None:
        body = admin_client.get(self.url).content.decode()
        assert "No enrollment program devices" in body and "/enrollment/apple/tokens/" in body

    def test_sync_leads_to_the_token_s_sync_blade(self, admin_client) -> None:
        token = token_create()
        response = admin_client.get("/enrollment/apple/devices/sync/")
        assert (
            response.status_code == 302
            and response["Location"] == f"/enrollment/apple/tokens/{token.pk}/devices/sync/"
        )
        token_create("Another")
        body = admin_client.get("/enrollment/apple/devices/sync/").content.decode()
        assert "Choose the token to sync" in body and "Another" in body

    def test_the_grid_has_no_n_plus_one_across_tokens(self, admin_client) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                admin_client.get(self.url + "?fragment=grid", **HTMX)
            return len(captured)

        token = token_create("A")
        devices_create(token, 1, prefix="A", assigned_profile=profile_create(token))
        few = queries()
        for name in ("B", "C", "D"):
            token = token_create(name)
            devices_create(token, 15, prefix=name, assigned_profile=profile_create(token))
        assert queries() == few

    def test_filters_are_validated(self, admin_client) -> None:
        token = token_create()
        devices_create(token, 1)
        for query in ("profile=abc", "profile=%C2%B2", "sort=password", "page=x", "q=%27", "q=%F0%9F%93%B1"):
            assert admin_client.get(f"{self.url}?{query}").status_code == 200
        assert "DMPQ000000" in admin_client.get(f"{self.url}?q=dmpq-0").content.decode()
        # A NUL is refused before any view (asm_portal.middleware.RefuseNulMiddleware).
        assert admin_client.get(f"{self.url}?q=dmpq-0%00").status_code == 400

    def test_device_rows_belong_to_the_token_of_the_grid(self, admin_client) -> None:
        first, second = token_create("Lycée A"), token_create("Collège B")
        devices_create(first, 1, prefix="AAA")
        devices_create(second, 1, prefix="BBB")
        body = admin_client.get(f"/enrollment/apple/tokens/{first.pk}/devices/").content.decode()
        assert grid_serials(body) == ["AAA000000"]
        assert Device.objects.count() == 2


class AppleNamesInGridTests:
    """Apple's English model and colour are stored; the grid shows them in the reader's language."""

    def test_the_grid_names_models_and_colours_in_the_reader_s_language(self, admin_client, token) -> None:
        devices_create(token, 1, model="iPad mini (6th generation)", color="SPACE GRAY")
        devices_create(token, 1, start=1, model="iPad Air (5th generation)", color="STARLIGHT")
        url = f"/enrollment/apple/tokens/{token.pk}/devices/"
        english = admin_client.get(url).content.decode()
        assert "iPad mini (6th generation)" in english and "Space Gray" in english and "Starlight" in english
        admin_client.post("/language/", {"language": "fr"})
        french = admin_client.get(url).content.decode()
        assert (
            "iPad mini (6ᵉ génération)" in french
            and "Gris sidéral" in french
            and "Lumière stellaire" in french
        )
        assert "Space Gray" not in french
        device = Device.objects.get(serial_number="DMPQ000000")
        assert (device.model, device.color) == ("iPad mini (6th generation)", "SPACE GRAY")
        detail = admin_client.get(f"/enrollment/apple/devices/{device.pk}/").content.decode()
        assert "iPad mini (6ᵉ génération)" in detail

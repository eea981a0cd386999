"""The grid's reads: a page, the selection of an action, the counts of the token blades."""

from __future__ import annotations

import pytest

from devices.models import EnrollmentState
from devices.selectors import (
    SORTS,
    DeviceCounts,
    DeviceFilters,
    devices_filtered,
    devices_page,
    devices_selected,
    token_device_counts,
)
from profiles.models import EnrollmentProfile
from tests.devices.conftest import devices_create, devices_populated, profile_create, token_create
from tokens.models import EnrollmentProgramToken

pytestmark = pytest.mark.django_db


class TokenDeviceCountsTests:
    def test_the_status_tile_counts(self) -> None:
        counts = token_device_counts(token=devices_populated())
        assert counts == DeviceCounts(total=8, enrolled=2, ready=2, missing_profile=3)


class DevicesPageTests:
    def page(self, token: EnrollmentProgramToken, number: object, **query: str):
        filters = DeviceFilters.from_query(query)
        return devices_page(filters=filters, token=token, page=number, size=10)

    def test_a_page_has_its_rows_with_their_names_and_the_filtered_count(self) -> None:
        token = devices_populated()
        page = self.page(token, 1, sort="serial")
        assert page.paginator.count == 8 and page.paginator.num_pages == 1
        assert [d.serial_number for d in page.object_list][:2] == ["ENR000000", "GONE000000"]
        assert {d.token_name for d in page.object_list} == {"Lycée Jean Moulin - Intune"}
        profile_name = EnrollmentProfile.objects.get().name
        assert page.object_list[0].profile_name == profile_name and page.object_list[1].profile_name == ""

    def test_a_number_out_of_range_or_garbled_gives_the_nearest_page(self) -> None:
        token = token_create()
        devices_create(token, 25)
        assert self.page(token, 99).number == 3 and self.page(token, "x").number == 1
        last = self.page(token, 3)
        assert (last.start_index(), last.end_index()) == (21, 25)

    @pytest.mark.parametrize("sort", ["profile", "token", "model", "state"])
    @pytest.mark.parametrize("direction", ["", "desc"])
    def test_every_page_of_a_sort_is_the_database_s_order(self, sort: str, direction: str) -> None:
        # The pages are read without sorting by the joined names (grouped) or from the end (past
        # the middle): they must be the rows a plain ORDER BY gives, page after page.
        first, second = token_create("B token"), token_create("A token")
        for token, names in ((first, ("Zèbre", "Alpha")), (second, ("Milieu",))):
            for number, name in enumerate(names):
                profile = profile_create(token, name=name)
                devices_create(
                    token, 7, prefix=f"P{number}", assigned_profile=profile, model=f"M{number % 2}"
                )
            devices_create(token, 6, prefix="NONE", enrollment_state=EnrollmentState.ENROLLED)
        filters = DeviceFilters.from_query({"sort": sort, "dir": direction})
        field = SORTS[sort]
        order = (
            [f"-{field}", "-serial_number", "-token_id"]
            if direction
            else [field, "serial_number", "token_id"]
        )
        expected = list(
            devices_filtered(filters=filters).order_by(*order).values_list("serial_number", "token_id")
        )
        found = []
        for number in (1, 2, 3, 4):  # 33 devices: the last page has 3, read from the end
            page = devices_page(filters=filters, token=None, page=number, size=10)
            found += [(d.serial_number, d.token_id) for d in page.object_list]
        assert found == expected

    def test_an_empty_list_is_one_empty_page(self) -> None:
        page = self.page(token_create(), 1)
        assert page.number == 1 and list(page.object_list) == [] and page.start_index() == 0


class DevicesSelectedTests:
    def test_at_most_one_thousand_by_serial_number(self) -> None:
        token = token_create()
        devices = devices_create(token, 3)
        chosen = devices_selected(ids=[d.pk for d in reversed(devices)])
        assert [d.serial_number for d in chosen] == ["DMPQ000000", "DMPQ000001", "DMPQ000002"]


class ExportChunksTests:
    def test_the_chunks_give_every_row_once_in_order_even_with_a_serial_in_two_tokens(self) -> None:
        from devices.selectors import _export_chunks

        devices_create(token_create("A"), 5)
        devices_create(token_create("B"), 3)  # the same serial numbers in another token
        queryset = devices_filtered(filters=DeviceFilters())
        expected = list(
            queryset.order_by("serial_number", "token_id").values_list("serial_number", "token_id")
        )
        assert list(_export_chunks(queryset, ("serial_number", "token_id"), size=2)) == expected
        assert len(expected) == 8

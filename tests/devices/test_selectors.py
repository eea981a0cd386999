"""The grid's reads: a page, the selection of an action, the counts of the token blades."""

from __future__ import annotations

import pytest

from devices.selectors import (
    DeviceCounts,
    DeviceFilters,
    devices_page,
    devices_selected,
    token_device_counts,
)
from profiles.models import EnrollmentProfile
from tests.devices.conftest import devices_create, devices_populated, token_create
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

    def test_an_empty_list_is_one_empty_page(self) -> None:
        page = self.page(token_create(), 1)
        assert page.number == 1 and list(page.object_list) == [] and page.start_index() == 0


class DevicesSelectedTests:
    def test_at_most_one_thousand_by_serial_number(self) -> None:
        token = token_create()
        devices = devices_create(token, 3)
        chosen = devices_selected(ids=[d.pk for d in reversed(devices)])
        assert [d.serial_number for d in chosen] == ["DMPQ000000", "DMPQ000001", "DMPQ000002"]

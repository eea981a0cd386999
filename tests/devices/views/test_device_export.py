"""Export: the filtered list as CSV, streamed."""

from __future__ import annotations

import csv
import io

import pytest

from devices.models import EnrollmentState
from tests.devices.conftest import devices_create, profile_create, token_create

pytestmark = pytest.mark.django_db
URL = "/enrollment/apple/devices/export/"


def rows(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


class DeviceExportTests:
    def test_it_exports_the_filtered_list_of_a_token(self, admin_client) -> None:
        token = token_create("Lycée Jean Moulin")
        other = token_create("Collège")
        profile = profile_create(token, name="Élèves")
        devices_create(token, 3, prefix="AAA", assigned_profile=profile)
        devices_create(token, 2, prefix="BBB", enrollment_state=EnrollmentState.ENROLLED)
        devices_create(other, 2, prefix="CCC")
        response = admin_client.get(f"{URL}?token={token.pk}&q=aaa&fragment=grid")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="EnrollmentProgramDevices_')
        table = rows(response)
        assert table[0][:3] == ["Serial number", "Details", "Model"]
        assert [row[0] for row in table[1:]] == ["AAA000000", "AAA000001", "AAA000002"]
        assert (
            table[1][6] == "Not contacted" and table[1][8] == "Élèves" and table[1][11] == "Lycée Jean Moulin"
        )

    def test_across_tokens_with_a_state_filter(self, admin_client) -> None:
        token = token_create()
        devices_create(token, 2, prefix="AAA")
        devices_create(token, 2, prefix="BBB", enrollment_state=EnrollmentState.ENROLLED)
        table = rows(admin_client.get(f"{URL}?state=enrolled"))
        assert [row[0] for row in table[1:]] == ["BBB000000", "BBB000001"]
        assert table[1][6] == "Enrolled"

    def test_read_only_operators_may_export(self, operator_client) -> None:
        devices_create(token_create(), 1)
        assert len(rows(operator_client.get(URL))) == 2

    def test_other_methods_and_unknown_token(self, admin_client) -> None:
        assert admin_client.post(URL).status_code == 405
        assert admin_client.get(f"{URL}?token=999").status_code == 404


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_are_neutralised(admin_client, start: str) -> None:
    """OWASP CSV injection: a value a spreadsheet would evaluate gets a single quote in front."""
    token = token_create(f'{start}HYPERLINK("https://evil.example")')
    profile = profile_create(token, name=f"{start}1+1")
    devices_create(token, 1, asset_tag=f"{start}cmd|' /C calc'!A0", description="-", assigned_profile=profile)
    table = rows(admin_client.get(f"{URL}?token={token.pk}"))
    row = dict(zip(table[0], table[1], strict=True))
    assert row["Asset tag"] == f"'{start}cmd|' /C calc'!A0"
    assert row["Details"] == "'-"
    assert row["Assigned profile"] == f"'{start}1+1"
    assert row["Token"] == f'\'{start}HYPERLINK("https://evil.example")'
    assert row["Serial number"] == "DMPQ000000"

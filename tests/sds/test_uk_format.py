"""The UK variant of the classic SDS format (Microsoft's "UK Format" samples: `DfE Number`,
`ID`, `School DfE Number`, `Section ID`) validates and imports like the classic format."""

from __future__ import annotations

import pytest

from sds import formats, validation
from sds.models import Person, RosterUpload, School, SchoolClass
from tests.sds.conftest import edited, sample, upload_and_process


def validate(files: dict[str, bytes]) -> validation.ValidationResult:
    return validation.roster_validate(roster_format=formats.V1, files=files, domain_suffix="contoso.edu")


def test_microsoft_s_uk_sample_has_no_error() -> None:
    result = validate(sample("uk-min-required"))
    assert not result.has_errors, [(i.code, i.file, i.column) for i in result.issues]
    assert not [i for i in result.issues if i.code == validation.MISSING_REQUIRED_HEADER]


def test_issues_name_the_columns_as_the_uk_file_does() -> None:
    files = edited(sample("uk-min-required"), "Student.csv", append="13001,10001,Again\n")
    result = validate(files)
    duplicates = [i for i in result.issues if i.code == validation.DUPLICATE_TARGET_ENTRIES]
    assert duplicates and {i.column for i in duplicates} == {"ID"}


def test_a_reference_to_an_unknown_dfe_number_is_reported_on_its_column() -> None:
    files = edited(sample("uk-min-required"), "Student.csv", append="13099,99999,Nobody\n")
    result = validate(files)
    assert ("Student.csv", 24, "School DfE Number") in {(i.file, i.line, i.column) for i in result.issues}


def test_a_classic_header_wins_over_a_uk_one() -> None:
    """`ID` is only the UK name where `SIS ID` is absent: a classic file with an extra `ID`
    column keeps it as an unknown column."""
    assert formats.uk_headers(formats.V1, "Student.csv", ["SIS ID", "ID", "School SIS ID"]) == {}
    assert formats.uk_headers(formats.V2_1, "Student.csv", ["ID"]) == {}


@pytest.mark.django_db
def test_the_uk_sample_imports(classic_profile, admin_user) -> None:
    upload = upload_and_process(classic_profile, sample("uk-min-required"), admin_user)
    assert upload.state == RosterUpload.State.SUCCEEDED, list(upload.issues.values_list("code", "column"))
    assert School.objects.filter(sis_id="10001", name="Contoso High School").exists()
    assert Person.objects.filter(sis_id="13001", username="OKlein@contoso.edu").exists()
    assert SchoolClass.objects.count() == 28

"""Values the roster tables cannot hold are refused with a code, file, line and column."""

from __future__ import annotations

import pytest
from django.db.models import CharField
from django.utils import translation

from sds import formats, validation
from sds.models import Person, RosterUpload, School, SchoolClass
from tests.sds.conftest import edited, sample, upload_and_process

STUDENT = "13001,10001,Ora,Klein,OKlein,P@ssword,"


def with_student(first: str = "Ora", last: str = "Klein", password: str = "P@ssword") -> dict[str, bytes]:
    """The 25-user sample with its first student's first name, last name or password changed."""
    row = f"13001,10001,{first},{last},OKlein,{password},"
    return edited(sample("v1-25-users"), "Student.csv", replace=(STUDENT, row))


def validate(files):
    return validation.roster_validate(roster_format=formats.V1, files=files, domain_suffix="contoso.edu")


def issues(result, code):
    return [(issue.file, issue.line, issue.column) for issue in result.issues if issue.code == code]


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "a\tb"])
def test_a_control_character_is_an_error_on_its_cell(char: str) -> None:
    result = validate(with_student(first=f"O{char}ra"))
    assert issues(result, validation.CONTROL_CHARACTER) == [("Student.csv", 2, "First Name")]
    assert result.has_errors


def test_a_password_with_a_control_character_is_never_repeated() -> None:
    result = validate(with_student(password="Se\x00cret-42"))
    (issue,) = [issue for issue in result.issues if issue.code == validation.CONTROL_CHARACTER]
    assert issue.column == "Password" and "Se" not in issue.message and "cret" not in issue.message
    assert "U+0000" in issue.message


def test_a_control_character_in_the_header_makes_the_file_unusable() -> None:
    files = edited(sample("v1-25-users"), "Student.csv", replace=("SIS ID,", "SIS\x00ID,"))
    result = validate(files)
    assert issues(result, validation.CONTROL_CHARACTER) == [("Student.csv", 1, "")]
    assert not result.tables["Student.csv"].usable


def test_values_longer_than_the_tables_hold_are_errors() -> None:
    result = validate(with_student(last="K" * 256))
    assert issues(result, validation.VALUE_TOO_LONG) == [("Student.csv", 2, "Last Name")]
    (issue,) = [issue for issue in result.issues if issue.code == validation.VALUE_TOO_LONG]
    assert "256" in issue.message and "255" in issue.message
    assert issues(validate(with_student(last="K" * 255)), validation.VALUE_TOO_LONG) == []


def test_the_limits_are_the_roster_tables() -> None:
    assert Person._meta.get_field("username").max_length == validation.ADDRESS_MAX_LENGTH
    assert Person._meta.get_field("email").max_length == validation.ADDRESS_MAX_LENGTH
    fields = (
        Person._meta.get_field("sis_id"),
        Person._meta.get_field("family_name"),
        School._meta.get_field("name"),
        SchoolClass._meta.get_field("title"),
    )
    for field in fields:
        assert isinstance(field, CharField) and field.max_length == validation.VALUE_MAX_LENGTH


@pytest.mark.django_db
def test_an_upload_with_a_nul_is_rejected_with_its_report(classic_profile, admin_user) -> None:
    """PostgreSQL refuses NUL: the validation catches it, the report is stored, nothing is imported."""
    upload = upload_and_process(classic_profile, with_student(first="O\x00ra"), admin_user)
    assert upload.state == RosterUpload.State.REJECTED
    assert list(upload.issues.values_list("code", "file", "line", "column")) == [
        (validation.CONTROL_CHARACTER, "Student.csv", 2, "First Name")
    ]
    assert not Person.objects.exists()


def test_a_file_without_its_header_line_repeats_none_of_its_cells() -> None:
    """The first line is data: one error on line 1 naming the headers to add; no cell of the
    line (the password among them) is in the report or the table."""
    files = sample("v1-25-users")
    text = files["Student.csv"].decode("utf-8-sig")
    files["Student.csv"] = text.split("\n", 1)[1].encode()
    result = validate(files)
    student = [issue for issue in result.issues if issue.file == "Student.csv"]
    assert [(issue.code, issue.line, issue.column) for issue in student] == [
        (validation.MISSING_REQUIRED_HEADER, 1, "")
    ]
    assert "SIS ID, School SIS ID, Username" in student[0].message
    first = files["Student.csv"].decode().split("\n", 1)[0].split(",")
    for issue in result.issues:
        text = f"{issue.column} {issue.message} {issue.params}"
        assert not any(cell and cell in text for cell in first if len(cell) > 3), issue
    assert not result.tables["Student.csv"].usable and result.tables["Student.csv"].header == []


@pytest.mark.django_db
def test_a_file_without_its_header_line_stores_no_password(classic_profile, admin_user) -> None:
    files = sample("v1-25-users")
    files["Student.csv"] = files["Student.csv"].decode("utf-8-sig").split("\n", 1)[1].encode()
    upload = upload_and_process(classic_profile, files, admin_user)
    assert upload.state == RosterUpload.State.REJECTED
    stored = " ".join(f"{i.column} {i.message} {i.params}" for i in upload.issues.all())
    assert "P@ssword" not in stored and "OKlein" not in stored


def test_a_mixed_script_username_is_a_warning() -> None:
    """A Cyrillic "О" in a Latin username looks the same: a warning on its cell, no error."""
    files = edited(sample("v1-25-users"), "Student.csv", replace=(",OKlein,", ",\u041eKlein,"))
    result = validate(files)
    (issue,) = [issue for issue in result.issues if issue.code == validation.MIXED_SCRIPT_USERNAME]
    assert (issue.severity, issue.file, issue.line, issue.column) == (
        validation.WARNING,
        "Student.csv",
        2,
        "Username",
    )
    assert "CYRILLIC, LATIN" in issue.message
    assert not result.has_errors
    # One script, even not Latin, is no homoglyph.
    files = edited(sample("v1-25-users"), "Student.csv", replace=(",OKlein,", ",\u041e\u043b\u044f,"))
    assert not [i for i in validate(files).issues if i.code == validation.MIXED_SCRIPT_USERNAME]


def with_username(username: str) -> dict[str, bytes]:
    row = f"13001,10001,Ora,Klein,{username},P@ssword,"
    return edited(sample("v1-25-users"), "Student.csv", replace=(STUDENT, row))


def test_a_username_longer_than_apple_school_manager_accepts_is_an_error_once() -> None:
    """The table holds 320 characters, Apple School Manager 128 for a Managed Apple Account:
    Apple's limit wins, on its cell, said once (not again by the username checks)."""
    local = "o" * (129 - len("@contoso.edu"))
    result = validate(with_username(f"{local}@contoso.edu"))  # 129 characters
    assert issues(result, validation.VALUE_TOO_LONG) == [("Student.csv", 2, "Username")]
    (issue,) = [issue for issue in result.issues if issue.code == validation.VALUE_TOO_LONG]
    assert "129" in issue.message and "128" in issue.message and "Apple School Manager" in issue.message
    assert issues(validate(with_username(f"{local[1:]}@contoso.edu")), validation.VALUE_TOO_LONG) == []
    assert len(issues(validate(with_username("o" * 300)), validation.VALUE_TOO_LONG)) == 1


def test_a_username_the_domain_suffix_makes_too_long_is_an_error() -> None:
    """Classic usernames get the profile's suffix: 117 + "@contoso.edu" is 129 characters."""
    result = validate(with_username("o" * 117))
    assert issues(result, validation.VALUE_TOO_LONG) == [("Student.csv", 2, "Username")]
    (issue,) = [issue for issue in result.issues if issue.code == validation.VALUE_TOO_LONG]
    assert issue.params == {"length": 129, "max": 128}
    with translation.override("fr"):
        assert "Apple School Manager accepte au plus 128" in issue.message, issue.message
    assert issues(validate(with_username("o" * 116)), validation.VALUE_TOO_LONG) == []


def test_an_e_mail_address_longer_than_apple_school_manager_accepts_is_an_error() -> None:
    craig = "14001,10001,Craig,Beane,CBeane,P@ssw0rd,WA,101,Active,James,,,"
    email = "c" * (129 - len("@contoso.edu")) + "@contoso.edu"
    files = edited(
        sample("v1-25-users"), "Teacher.csv", replace=(craig, craig.replace("James,,", f"James,{email},"))
    )
    result = validate(files)
    assert issues(result, validation.VALUE_TOO_LONG) == [("Teacher.csv", 2, "Secondary Email")]
    assert validation.ASM_ACCOUNT_MAX_LENGTH < validation.ADDRESS_MAX_LENGTH  # Apple's is stricter

"""Every check of the SDS validation, with the file, line, column and code it reports."""

from __future__ import annotations

from sds import formats, validation
from tests.sds.conftest import edited, sample, without


def validate(files, roster_format=formats.V1, domain_suffix="contoso.edu"):
    return validation.roster_validate(roster_format=roster_format, files=files, domain_suffix=domain_suffix)


def found(result):
    return [(issue.severity, issue.file, issue.line, issue.column, issue.code) for issue in result.issues]


class SampleTests:
    def test_it_accepts_the_three_sample_sets(self) -> None:
        for name, roster_format, suffix in (
            ("v1-25-users", formats.V1, "contoso.edu"),
            ("v1-min-required", formats.V1, "contoso.edu"),
            ("v2.1", formats.V2_1, ""),
        ):
            result = validate(sample(name), roster_format, suffix)
            assert found(result) == [], name
            assert result.rows_read == {"v1-25-users": 74, "v1-min-required": 74, "v2.1": 44}[name]

    def test_it_keeps_enum_values_in_their_stored_form(self) -> None:
        files = edited(
            sample("v2.1"),
            "orgs.csv",
            replace=("110001,College of Engineering,college", "110001,College of Engineering,COLLEGE"),
        )
        result = validate(files, formats.V2_1)
        assert found(result) == []
        orgs = {row["sourcedId"]: row["type"] for row in result.tables["orgs.csv"].records()}
        assert orgs["110001"] == "college"
        courses = {row["sourcedId"]: row["grade"] for row in result.tables["courses.csv"].records()}
        assert courses["C12001"] == "ps1"  # the sample writes PS1


class FileSetTests:
    def test_a_missing_required_file_is_an_error(self) -> None:
        result = validate(without(sample("v1-25-users"), "Teacher.csv", "TeacherRoster.csv"))
        assert ("error", "Teacher.csv", None, "", "MissingRequiredFile") in found(result)
        # TeacherRoster.csv is required too, since Section.csv says classes are synced.
        assert ("error", "TeacherRoster.csv", None, "", "MissingRequiredFile") in found(result)
        assert result.error_count == 2

    def test_class_files_may_all_be_left_out(self) -> None:
        files = without(sample("v1-25-users"), "Section.csv", "StudentEnrollment.csv", "TeacherRoster.csv")
        assert found(validate(files)) == []

    def test_enrollments_without_classes_is_an_error(self) -> None:
        result = validate(without(sample("v2.1"), "classes.csv"), formats.V2_1)
        assert found(result) == [("error", "classes.csv", None, "", "MissingRequiredFile")]

    def test_a_file_of_another_format_is_an_error(self) -> None:
        result = validate({**sample("v1-25-users"), "users.csv": b"sourcedId,username\n"})
        assert found(result) == [("error", "users.csv", None, "", "UnexpectedFile")]

    def test_file_names_are_case_sensitive(self) -> None:
        files = sample("v1-25-users")
        files["school.csv"] = files.pop("School.csv")
        result = validate(files)
        assert ("error", "school.csv", None, "", "UnexpectedFile") in found(result)
        assert ("error", "School.csv", None, "", "MissingRequiredFile") in found(result)
        assert "name this file School.csv" in result.issues[0].message

    def test_a_file_left_out_after_the_first_upload_marks_its_records_inactive(self) -> None:
        issues = validation.file_set_check(
            roster_format=formats.V2_1,
            previous=["orgs.csv", "users.csv", "roles.csv", "classes.csv", "enrollments.csv", "courses.csv"],
            present=["orgs.csv", "users.csv", "roles.csv"],
        )
        assert [(i.severity, i.file, i.code) for i in issues] == [
            ("warning", "classes.csv", "FileSetChanged"),
            ("warning", "enrollments.csv", "FileSetChanged"),
            ("warning", "courses.csv", "FileSetChanged"),
        ]
        assert "marked inactive" in issues[0].message

    def test_the_file_set_rule_does_not_repeat_a_missing_file_error(self) -> None:
        issues = validation.file_set_check(
            roster_format=formats.V1,
            previous=["School.csv", "Student.csv", "Teacher.csv"],
            present=["School.csv", "Student.csv"],
            missing_reported=["Teacher.csv"],
        )
        assert issues == []


class EncodingTests:
    def test_invalid_utf8_is_reported_on_its_line(self) -> None:
        files = edited(sample("v1-25-users"), "Teacher.csv", replace=("Daisy", "D\xe9sy"))
        files["Teacher.csv"] = files["Teacher.csv"].decode().encode("latin-1")
        result = validate(files)
        assert found(result)[0] == ("error", "Teacher.csv", 3, "", "InvalidEncoding")
        assert "0xE9" in result.issues[0].message

    def test_a_byte_order_mark_is_accepted(self) -> None:
        files = sample("v1-25-users")
        files["School.csv"] = b"\xef\xbb\xbf" + files["School.csv"]
        assert found(validate(files)) == []

    def test_a_line_break_inside_a_field_is_an_error(self) -> None:
        files = edited(
            sample("v1-25-users"),
            "Section.csv",
            replace=("11002,10001,Math - Algebra 2", '11002,10001,"Math -\nAlgebra 2"'),
        )
        assert found(validate(files)) == [("error", "Section.csv", 3, "Section Name", "LineBreakInField")]

    def test_an_unclosed_quote_stops_the_file(self) -> None:
        files = edited(sample("v1-25-users"), "School.csv", append='10003,"Northwind School\n')
        result = validate(files)
        assert ("error", "School.csv", 4, "", "MalformedRow") in found(result)

    def test_a_row_with_too_few_fields_is_an_error(self) -> None:
        files = edited(sample("v1-min-required"), "Student.csv", append="13023,10001")
        assert found(validate(files)) == [("error", "Student.csv", 24, "", "MalformedRow")]

    def test_a_file_of_more_than_the_row_limit_is_an_error(self, monkeypatch) -> None:
        monkeypatch.setattr(formats, "MAX_ROWS_PER_FILE", 40)
        result = validate(sample("v1-25-users"))
        # StudentEnrollment.csv has 44 rows: the 41st, on line 42, is one too many.
        assert found(result) == [("error", "StudentEnrollment.csv", 42, "", "RowLimitExceeded")]

    def test_an_empty_file_is_an_error(self) -> None:
        result = validate({**sample("v1-25-users"), "School.csv": b""})
        assert ("error", "School.csv", 1, "", "EmptyFile") in found(result)
        # Nothing else is said about the schools the other files refer to.
        assert [i for i in result.issues if i.code == "InvalidLookupReference"] == []


class HeaderTests:
    def test_a_missing_required_header_is_an_error(self) -> None:
        files = edited(
            sample("v1-min-required"),
            "Student.csv",
            replace=("SIS ID,School SIS ID,Username", "SIS ID,School SIS ID,Login"),
        )
        result = validate(files)
        assert ("error", "Student.csv", 1, "Username", "MissingRequiredHeader") in found(result)
        assert ("warning", "Student.csv", 1, "Login", "UnknownHeader") in found(result)

    def test_headers_are_case_sensitive(self) -> None:
        files = edited(sample("v2.1"), "users.csv", replace=("sourcedId,username", "SourcedId,username"))
        result = validate(files, formats.V2_1)
        assert found(result) == [("error", "users.csv", 1, "SourcedId", "HeaderCaseMismatch")]
        assert "write “sourcedId”, not “SourcedId”" in result.issues[0].message

    def test_a_repeated_header_is_an_error(self) -> None:
        files = edited(sample("v1-min-required"), "School.csv", replace=("SIS ID,Name", "SIS ID,Name,Name"))
        assert ("error", "School.csv", 1, "Name", "DuplicateHeader") in found(validate(files))

    def test_optional_headers_may_be_left_out(self) -> None:
        files = edited(
            sample("v2.1"),
            "classes.csv",
            replace=(
                "sourcedId,orgSourcedId,title,sessionSourcedIds,courseSourcedId",
                "sourcedId,orgSourcedId,title,sessionSourcedIds",
            ),
        )
        files = edited(files, "classes.csv", replace=(",FS2021HED,C12001", ",FS2021HED"))
        files = edited(files, "classes.csv", replace=(",SY2021K12,B102021", ",SY2021K12"))
        assert found(validate(files, formats.V2_1)) == []


class ValueTests:
    def test_a_required_value_may_not_be_empty(self) -> None:
        files = edited(sample("v1-25-users"), "School.csv", replace=("10002,Fabrikam High School", "10002,"))
        assert found(validate(files)) == [("error", "School.csv", 3, "Name", "MissingRequiredValue")]

    def test_unknown_role_org_type_and_grade_are_invalid_reference_codes(self) -> None:
        files = edited(sample("v2.1"), "roles.csv", replace=("114001,110003,student", "114001,110003,pupil"))
        files = edited(
            files,
            "orgs.csv",
            replace=(
                "110002,Computer Science Department,department",
                "110002,Computer Science Department,faculty",
            ),
        )
        files = edited(
            files,
            "roles.csv",
            replace=("114003,110003,student,SY2021K12,10", "114003,110003,student,SY2021K12,year10"),
        )
        files = edited(
            files,
            "academicSessions.csv",
            replace=("FS2021HED,Fall Semester,semester", "FS2021HED,Fall Semester,season"),
        )
        result = validate(files, formats.V2_1)
        assert sorted(found(result)) == [
            ("error", "academicSessions.csv", 3, "type", "InvalidOrMissingReferenceCode"),
            ("error", "orgs.csv", 3, "type", "InvalidOrMissingReferenceCode"),
            ("error", "roles.csv", 2, "role", "InvalidOrMissingReferenceCode"),
            ("error", "roles.csv", 3, "grade", "InvalidOrMissingReferenceCode"),
        ]
        assert "“pupil” is not in the list of values of role." in [i.message for i in result.issues]

    def test_classic_grades_and_statuses_are_checked_too(self) -> None:
        files = edited(
            sample("v1-25-users"), "Student.csv", replace=("Christopher,9,Active", "Christopher,Ninth,Gone")
        )
        assert found(validate(files)) == [
            ("error", "Student.csv", 2, "Grade", "InvalidOrMissingReferenceCode"),
            ("error", "Student.csv", 2, "Status", "InvalidOrMissingReferenceCode"),
        ]

    def test_v21_usernames_need_a_domain(self) -> None:
        files = edited(
            sample("v2.1"), "users.csv", replace=("114003,fhutch@classrmtest31.org", "114003,fhutch")
        )
        result = validate(files, formats.V2_1)
        assert found(result) == [("error", "users.csv", 4, "username", "UsernameWithoutDomain")]

    def test_classic_usernames_need_a_domain_only_without_a_suffix(self) -> None:
        assert found(validate(sample("v1-min-required"), domain_suffix="contoso.edu")) == []
        result = validate(sample("v1-min-required"), domain_suffix="")
        assert result.error_count == 24
        assert found(result)[0] == ("error", "Student.csv", 2, "Username", "UsernameWithoutDomain")
        assert "no domain suffix" in result.issues[0].message

    def test_a_username_with_spaces_is_invalid(self) -> None:
        files = edited(
            sample("v1-min-required"), "Teacher.csv", replace=("14002,10001,DTodd", "14002,10001,D Todd")
        )
        assert found(validate(files)) == [("error", "Teacher.csv", 3, "Username", "InvalidUsername")]

    def test_dates_must_be_iso_in_v21_and_may_be_us_in_classic(self) -> None:
        assert found(validate(sample("v1-25-users"))) == []  # 7/1/2017, 4/2/2000…
        files = edited(
            sample("v2.1"), "academicSessions.csv", replace=("2021-08-24,2022-06-11", "8/24/2021,2022-06-11")
        )
        result = validate(files, formats.V2_1)
        assert found(result) == [("warning", "academicSessions.csv", 2, "startDate", "InvalidDate")]

    def test_a_phone_number_that_is_not_e164_is_a_warning(self) -> None:
        files = edited(
            sample("v2.1"), "users.csv", replace=("+11234567890,+11234567890", "(123) 456-7890,call me")
        )
        result = validate(files, formats.V2_1)
        assert found(result) == [("warning", "users.csv", 3, "sms", "InvalidPhoneNumber")]

    def test_guardians_need_names_and_email(self) -> None:
        files = edited(
            sample("v2.1"),
            "users.csv",
            replace=("114005,bobsmithee@outlook.com,Bob,Smithee", "114005,bobsmithee@outlook.com,,Smithee"),
        )
        assert found(validate(files, formats.V2_1)) == [
            ("error", "users.csv", 6, "givenName", "MissingRequiredValue")
        ]


class DuplicateTests:
    def test_a_duplicate_sis_id_is_reported_once_on_the_second_row(self) -> None:
        files = edited(
            sample("v1-25-users"),
            "Student.csv",
            append="13005,10001,Erna,Parker,EParker,P@ssword,WA,,13005,Troy,11,Active,5/17/1998,2017",
        )
        result = validate(files)
        assert found(result) == [("error", "Student.csv", 24, "SIS ID", "DuplicateTargetEntries")]
        assert result.issues[0].message == "The SIS ID “13005” is already used on line 6."

    def test_a_student_and_a_teacher_may_not_share_a_sis_id(self) -> None:
        files = edited(
            sample("v1-min-required"), "Teacher.csv", replace=("14002,10001,DTodd", "13001,10001,DTodd")
        )
        files = edited(files, "TeacherRoster.csv", replace=("11002,14002", "11002,13001"))
        result = validate(files)
        assert found(result) == [("error", "Teacher.csv", 3, "SIS ID", "DuplicateTargetEntries")]
        assert "Student.csv, line 2" in result.issues[0].message

    def test_two_people_may_not_share_a_username(self) -> None:
        files = edited(
            sample("v1-min-required"), "Teacher.csv", replace=("14002,10001,DTodd", "14002,10001,oklein")
        )
        result = validate(files)
        # Usernames match whatever their case, once the domain suffix is added.
        assert found(result) == [("error", "Teacher.csv", 3, "Username", "DuplicateTargetEntries")]

    def test_a_repeated_enrollment_is_a_warning(self) -> None:
        files = edited(sample("v1-min-required"), "StudentEnrollment.csv", append="11001,13001")
        result = validate(files)
        assert found(result) == [("warning", "StudentEnrollment.csv", 46, "", "DuplicateRow")]
        assert not result.has_errors


class ReferenceTests:
    def test_an_enrollment_in_an_unknown_section_is_an_error(self) -> None:
        files = edited(sample("v1-25-users"), "StudentEnrollment.csv", append="99999,13001")
        result = validate(files)
        assert found(result) == [
            ("error", "StudentEnrollment.csv", 46, "Section SIS ID", "InvalidLookupReference")
        ]
        assert result.issues[0].message == "No row of Section.csv has the SIS ID “99999”."

    def test_the_done_when_bad_roster_has_exactly_two_errors(self) -> None:
        files = edited(
            sample("v1-25-users"),
            "Student.csv",
            append="13001,10001,Ora,Klein,OKlein,P@ssword,WA,,13001,Christopher,9,Active,4/2/2000,2019",
        )
        files = edited(files, "StudentEnrollment.csv", append="99999,13002")
        assert found(validate(files)) == [
            ("error", "Student.csv", 24, "SIS ID", "DuplicateTargetEntries"),
            ("error", "StudentEnrollment.csv", 46, "Section SIS ID", "InvalidLookupReference"),
        ]

    def test_unknown_schools_users_and_classes_are_errors(self) -> None:
        files = edited(sample("v1-min-required"), "Student.csv", replace=("13022,10001", "13022,10009"))
        files = edited(files, "TeacherRoster.csv", replace=("11002,14002", "11002,14009"))
        assert found(validate(files)) == [
            ("error", "Student.csv", 23, "School SIS ID", "InvalidLookupReference"),
            ("error", "TeacherRoster.csv", 3, "SIS ID", "InvalidLookupReference"),
        ]
        files = edited(
            sample("v2.1"), "enrollments.csv", replace=("112002,114001,student", "112009,114009,student")
        )
        files = edited(files, "roles.csv", replace=("114001,110003", "114001,110009"))
        assert found(validate(files, formats.V2_1)) == [
            ("error", "roles.csv", 2, "orgSourcedId", "InvalidLookupReference"),
            ("error", "enrollments.csv", 4, "classSourcedId", "InvalidLookupReference"),
            ("error", "enrollments.csv", 4, "userSourcedId", "InvalidLookupReference"),
        ]

    def test_each_of_several_sessions_is_checked(self) -> None:
        files = edited(
            sample("v2.1"), "classes.csv", replace=(",FS2021HED,C12001", ',"FS2021HED,SP2022HED",C12001')
        )
        result = validate(files, formats.V2_1)
        assert found(result) == [("error", "classes.csv", 2, "sessionSourcedIds", "InvalidLookupReference")]
        assert "“SP2022HED”" in result.issues[0].message

    def test_referring_to_sessions_makes_academic_sessions_required(self) -> None:
        result = validate(without(sample("v2.1"), "academicSessions.csv"), formats.V2_1)
        # Once, at the first row that refers to a session.
        assert found(result) == [("error", "roles.csv", 2, "sessionSourcedId", "MissingRequiredFile")]

"""The two CSV formats School Data Sync accepts: classic SDS ("v1") and SDS v2.1.

Files, headers, required values, keys and value lists follow Microsoft's documentation of the
formats (sds-v1-csv-file-format, sds-v2.1-csv-file-format, default-list-of-values) and the MIT
sample files of OfficeDev/O365-EDU-Tools, which `sds/samples/` carries with their licence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Presence(Enum):
    ALWAYS = "always"  # required in every upload
    CLASSES = "classes"  # required, all together, when classes are synced
    OPTIONAL = "optional"


@dataclass(frozen=True)
class FileSpec:
    name: str
    required: tuple[str, ...]  # headers that must be present, with a value on every row
    optional: tuple[str, ...] = ()
    presence: Presence = Presence.ALWAYS
    key: str = ""  # the column that identifies a row; a repeated value is an error

    @property
    def headers(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass(frozen=True)
class RosterFormat:
    code: str
    files: tuple[FileSpec, ...]

    def spec(self, name: str) -> FileSpec | None:
        return next((spec for spec in self.files if spec.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.files)


V1 = RosterFormat(
    code="v1",
    files=(
        FileSpec(
            "School.csv",
            required=("SIS ID", "Name"),
            optional=(
                "School Number",
                "School NCES_ID",
                "State ID",
                "Grade Low",
                "Grade High",
                "Principal SIS ID",
                "Principal Name",
                "Principal Secondary Email",
                "Address",
                "City",
                "State",
                "Country",
                "Zip",
                "Phone",
                "Zone",
            ),
            key="SIS ID",
        ),
        FileSpec(
            "Section.csv",
            required=("SIS ID", "School SIS ID", "Section Name"),
            optional=(
                "Section Number",
                "Term SIS ID",
                "Term Name",
                "Term StartDate",
                "Term EndDate",
                "Course SIS ID",
                "Course Name",
                "Course Number",
                "Course Description",
                "Course Subject",
                "Periods",
                "Status",
            ),
            presence=Presence.CLASSES,
            key="SIS ID",
        ),
        FileSpec(
            "Student.csv",
            required=("SIS ID", "School SIS ID", "Username"),
            optional=(
                "First Name",
                "Last Name",
                "Password",
                "State ID",
                "Secondary Email",
                "Student Number",
                "Middle Name",
                "Grade",
                "Status",
                "Birthdate",
                "Graduation Year",
            ),
            key="SIS ID",
        ),
        FileSpec(
            "Teacher.csv",
            required=("SIS ID", "School SIS ID", "Username"),
            optional=(
                "First Name",
                "Last Name",
                "Password",
                "State ID",
                "Teacher Number",
                "Status",
                "Middle Name",
                "Secondary Email",
                "Title",
                "Qualification",
            ),
            key="SIS ID",
        ),
        FileSpec("StudentEnrollment.csv", required=("Section SIS ID", "SIS ID"), presence=Presence.CLASSES),
        FileSpec("TeacherRoster.csv", required=("Section SIS ID", "SIS ID"), presence=Presence.CLASSES),
    ),
)

V2_1 = RosterFormat(
    code="v2.1",
    files=(
        FileSpec(
            "orgs.csv", required=("sourcedId", "name", "type"), optional=("parentSourcedId",), key="sourcedId"
        ),
        FileSpec(
            "users.csv",
            required=("sourcedId", "username"),
            optional=(
                "givenName",
                "familyName",
                "password",
                "activeDirectoryMatchId",
                "email",
                "phone",
                "sms",
            ),
            key="sourcedId",
        ),
        FileSpec(
            "roles.csv",
            required=("userSourcedId", "orgSourcedId", "role"),
            optional=(
                "sessionSourcedId",
                "grade",
                "isPrimary",
                "roleStartDate",
                "roleEndDate",
            ),
        ),
        FileSpec(
            "classes.csv",
            required=("sourcedId", "orgSourcedId", "title"),
            optional=("sessionSourcedIds", "courseSourcedId", "code"),
            presence=Presence.CLASSES,
            key="sourcedId",
        ),
        FileSpec(
            "enrollments.csv",
            required=("classSourcedId", "userSourcedId", "role"),
            presence=Presence.CLASSES,
        ),
        FileSpec(
            "academicSessions.csv",
            required=("sourcedId", "title", "type", "schoolYear", "startDate", "endDate"),
            presence=Presence.OPTIONAL,
            key="sourcedId",
        ),
        FileSpec(
            "courses.csv",
            required=("sourcedId", "orgSourcedId", "title"),
            optional=("code", "schoolYearSourcedId", "subject", "grade"),
            presence=Presence.OPTIONAL,
            key="sourcedId",
        ),
        FileSpec(
            "demographics.csv",
            required=("userSourcedId",),
            optional=(
                "sex",
                "birthDate",
                "birthCity",
                "birthState",
                "birthCountry",
                "ethnicityCodes",
                "raceCodes",
            ),
            presence=Presence.OPTIONAL,
            key="userSourcedId",
        ),
        FileSpec("userFlags.csv", required=("userSourcedId", "flag"), presence=Presence.OPTIONAL),
        FileSpec(
            "relationships.csv",
            required=("userSourcedId", "relationshipUserSourcedId", "relationshipRole"),
            presence=Presence.OPTIONAL,
        ),
    ),
)

FORMATS = {V1.code: V1, V2_1.code: V2_1}

# The UK variant of the classic format (Microsoft's "UK Format" sample files): the same six
# files, with the school's DfE number for its SIS ID and `ID` for the others'. A file that uses
# these names (and not the classic ones) is read as if it had the classic headers; its issues
# name the columns as the file does. Per file: UK header -> classic header.
UK_HEADERS: dict[str, dict[str, str]] = {
    "School.csv": {"DfE Number": "SIS ID"},
    "Section.csv": {"ID": "SIS ID", "School DfE Number": "School SIS ID"},
    "Student.csv": {"ID": "SIS ID", "School DfE Number": "School SIS ID"},
    "Teacher.csv": {"ID": "SIS ID", "School DfE Number": "School SIS ID"},
    "StudentEnrollment.csv": {"Section ID": "Section SIS ID", "ID": "SIS ID"},
    "TeacherRoster.csv": {"Section ID": "Section SIS ID", "ID": "SIS ID"},
}


def uk_headers(roster_format: RosterFormat, name: str, header: list[str]) -> dict[str, str]:
    """The UK names this file's header uses, each with its classic name ({} for a classic file,
    or a file of another format): a UK name counts only where its classic name is absent."""
    if roster_format is not V1:
        return {}
    aliases = UK_HEADERS.get(name, {})
    return {uk: classic for uk, classic in aliases.items() if uk in header and classic not in header}


# Classic SDS limit: larger data sets are split over several sync profiles.
MAX_ROWS_PER_FILE = 500_000


def _camel_case_lookup(values: tuple[str, ...]) -> dict[str, str]:
    """ENUM values match whatever their case, and are stored camelCase (SDS data handling)."""
    return {value.lower(): value for value in values}


# Default List of Values of SDS (learn.microsoft.com/schooldatasync/default-list-of-values).
ORG_TYPES = _camel_case_lookup(
    (
        "school",
        "ministryOfEducation",
        "localAuthority",
        "department",
        "university",
        "region",
        "district",
        "college",
        "division",
        "local",
        "campus",
        "province",
        "state",
        "adultEducation",
        "researchCenter",
        "national",
        "municipality",
        "program",
        "departmentOfEducation",
        "academicTrust",
    )
)
STUDENT_ROLES = ("student",)
STAFF_ROLES = (
    "principal",
    "chair",
    "professor",
    "researcher",
    "adjunct",
    "affiliate",
    "occupationalTherapist",
    "physicalTherapist",
    "speechTherapist",
    "visionTherapist",
    "paraprofessional",
    "specialServices",
    "advisor",
    "proctor",
    "nurse",
    "officeStaff",
    "lecturer",
    "itAdmin",
    "administrator",
    "teacher",
    "faculty",
    "staff",
    "teacherAssistant",
    "assistant",
    "instructor",
    "substitute",
    "coach",
    "alumni",
)
ROLES = _camel_case_lookup((*STUDENT_ROLES, *STAFF_ROLES, "other"))
# People whose role is none of these: students, and v2.1 users without a role (guardians).
NOT_STAFF = (*STUDENT_ROLES, "")
ACADEMIC_SESSION_TYPES = _camel_case_lookup(("schoolYear", "semester", "term", "gradingPeriod", "quarter"))
# Guardian roles of the parent contact sync (V1 add-on); the v2.1 samples use two of them.
RELATIONSHIP_ROLES = _camel_case_lookup(
    ("parent", "relative", "aide", "doctor", "guardian", "child", "administrator", "other")
)
STATUSES = _camel_case_lookup(("Active", "Inactive"))
BOOLEANS = _camel_case_lookup(("true", "false"))


def _grades() -> dict[str, str]:
    codes = ["it", "pr", "pk", "tk", "kg", "ps", "ug", "other", "undergraduate", "graduate"]
    codes += ["postgraduate alumni", "adultEducation", "ps1", "ps2", "ps3", "ps4", "14"]
    lookup = _camel_case_lookup(tuple(codes))
    for number in range(1, 14):
        # 01 to 13, with or without the leading zero, both in the list.
        lookup[f"{number:02d}"] = f"{number:02d}"
        lookup[str(number)] = str(number)
    return lookup


GRADES = _grades()


# Value lists of columns, by (file, column).
ENUM_COLUMNS: dict[tuple[str, str], dict[str, str]] = {
    ("School.csv", "Grade Low"): GRADES,
    ("School.csv", "Grade High"): GRADES,
    ("Section.csv", "Status"): STATUSES,
    ("Student.csv", "Grade"): GRADES,
    ("Student.csv", "Status"): STATUSES,
    ("Teacher.csv", "Status"): STATUSES,
    ("orgs.csv", "type"): ORG_TYPES,
    ("roles.csv", "role"): ROLES,
    ("roles.csv", "grade"): GRADES,
    ("roles.csv", "isPrimary"): BOOLEANS,
    ("enrollments.csv", "role"): ROLES,
    ("academicSessions.csv", "type"): ACADEMIC_SESSION_TYPES,
    ("courses.csv", "grade"): GRADES,
    ("relationships.csv", "relationshipRole"): RELATIONSHIP_ROLES,
}
DATE_COLUMNS = frozenset(
    {
        ("Section.csv", "Term StartDate"),
        ("Section.csv", "Term EndDate"),
        ("Student.csv", "Birthdate"),
        ("roles.csv", "roleStartDate"),
        ("roles.csv", "roleEndDate"),
        ("academicSessions.csv", "startDate"),
        ("academicSessions.csv", "endDate"),
        ("demographics.csv", "birthDate"),
    }
)
YEAR_COLUMNS = frozenset({("academicSessions.csv", "schoolYear")})
PHONE_COLUMNS = frozenset({("users.csv", "phone"), ("users.csv", "sms")})
USERNAME_COLUMNS = frozenset(
    {("Student.csv", "Username"), ("Teacher.csv", "Username"), ("users.csv", "username")}
)
# Columns whose values are lists (SDS joins several session ids with commas).
LIST_COLUMNS = frozenset({("classes.csv", "sessionSourcedIds")})
# (file, column) -> (file, column) it refers to.
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("Section.csv", "School SIS ID"): ("School.csv", "SIS ID"),
    ("Student.csv", "School SIS ID"): ("School.csv", "SIS ID"),
    ("Teacher.csv", "School SIS ID"): ("School.csv", "SIS ID"),
    ("StudentEnrollment.csv", "Section SIS ID"): ("Section.csv", "SIS ID"),
    ("StudentEnrollment.csv", "SIS ID"): ("Student.csv", "SIS ID"),
    ("TeacherRoster.csv", "Section SIS ID"): ("Section.csv", "SIS ID"),
    ("TeacherRoster.csv", "SIS ID"): ("Teacher.csv", "SIS ID"),
    ("orgs.csv", "parentSourcedId"): ("orgs.csv", "sourcedId"),
    ("roles.csv", "userSourcedId"): ("users.csv", "sourcedId"),
    ("roles.csv", "orgSourcedId"): ("orgs.csv", "sourcedId"),
    ("roles.csv", "sessionSourcedId"): ("academicSessions.csv", "sourcedId"),
    ("classes.csv", "orgSourcedId"): ("orgs.csv", "sourcedId"),
    ("classes.csv", "sessionSourcedIds"): ("academicSessions.csv", "sourcedId"),
    ("classes.csv", "courseSourcedId"): ("courses.csv", "sourcedId"),
    ("courses.csv", "orgSourcedId"): ("orgs.csv", "sourcedId"),
    ("courses.csv", "schoolYearSourcedId"): ("academicSessions.csv", "sourcedId"),
    ("enrollments.csv", "classSourcedId"): ("classes.csv", "sourcedId"),
    ("enrollments.csv", "userSourcedId"): ("users.csv", "sourcedId"),
    ("demographics.csv", "userSourcedId"): ("users.csv", "sourcedId"),
    ("userFlags.csv", "userSourcedId"): ("users.csv", "sourcedId"),
    ("relationships.csv", "userSourcedId"): ("users.csv", "sourcedId"),
    ("relationships.csv", "relationshipUserSourcedId"): ("users.csv", "sourcedId"),
}
# Files without a key column whose rows should not repeat: (file, columns that make a row).
PAIR_COLUMNS: dict[str, tuple[str, ...]] = {
    "StudentEnrollment.csv": ("Section SIS ID", "SIS ID"),
    "TeacherRoster.csv": ("Section SIS ID", "SIS ID"),
    "roles.csv": ("userSourcedId", "orgSourcedId", "role"),
    "enrollments.csv": ("classSourcedId", "userSourcedId", "role"),
    "userFlags.csv": ("userSourcedId", "flag"),
    "relationships.csv": ("userSourcedId", "relationshipUserSourcedId"),
}
# Files whose rows are people: their SIS IDs and usernames must be unique across all of them
# (Apple School Manager needs one person_id per person, whatever the role).
PEOPLE_FILES: dict[str, tuple[str, ...]] = {
    "v1": ("Student.csv", "Teacher.csv"),
    "v2.1": ("users.csv",),
}


# How the portal names the SDS codes it shows (the codes themselves are stored as SDS has them).
ROLE_LABELS: dict[str, str | Promise] = {
    "student": _("Student"),
    "principal": _("Principal"),
    "chair": _("Chair"),
    "professor": _("Professor"),
    "researcher": _("Researcher"),
    "adjunct": _("Adjunct"),
    "affiliate": _("Affiliate"),
    "occupationalTherapist": _("Occupational therapist"),
    "physicalTherapist": _("Physical therapist"),
    "speechTherapist": _("Speech therapist"),
    "visionTherapist": _("Vision therapist"),
    "paraprofessional": _("Paraprofessional"),
    "specialServices": _("Special services"),
    "advisor": _("Advisor"),
    "proctor": _("Proctor"),
    "nurse": _("Nurse"),
    "officeStaff": _("Office staff"),
    "lecturer": _("Lecturer"),
    "itAdmin": _("IT administrator"),
    "administrator": _("Administrator"),
    "teacher": _("Teacher"),
    "faculty": _("Faculty"),
    "staff": _("Staff"),
    "teacherAssistant": _("Teacher assistant"),
    "assistant": _("Assistant"),
    "instructor": _("Instructor"),
    "substitute": _("Substitute"),
    "coach": _("Coach"),
    "alumni": _("Alumni"),
    "other": _("Other"),
}
ORG_TYPE_LABELS: dict[str, str | Promise] = {
    "school": _("School"),
    "ministryOfEducation": _("Ministry of education"),
    "localAuthority": _("Local authority"),
    "department": _("Department"),
    "university": _("University"),
    "region": _("Region"),
    "district": _("District"),
    "college": _("College"),
    "division": _("Division"),
    "local": _("Local"),
    "campus": _("Campus"),
    "province": _("Province"),
    "state": _("State"),
    "adultEducation": _("Adult education"),
    "researchCenter": _("Research center"),
    "national": _("National"),
    "municipality": _("Municipality"),
    "program": _("Program"),
    "departmentOfEducation": _("Department of education"),
    "academicTrust": _("Academic trust"),
}

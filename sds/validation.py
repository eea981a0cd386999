"""Validation of a roster upload, as School Data Sync validates it.

SDS refuses a whole upload when any file has an error, and imports it with warnings. Every
issue names a file, a line (1 is the header row), a column, a code and a message. The codes
are SDS's own where SDS has one (`DuplicateTargetEntries`, `InvalidLookupReference`,
`InvalidOrMissingReferenceCode`, from Microsoft's list of SDS errors); the checks SDS reports
without a published code get a code of this emulator in the same style.

This module is pure: bytes in, issues and parsed tables out. `sds.importing` turns the tables
into roster rows and `sds.roster_import` stores them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sds import formats
from sds.formats import Presence, RosterFormat
from sds.issue_messages import issue_message

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

ERROR = "error"
WARNING = "warning"

# Codes SDS itself reports (docs.microsoft.com/schooldatasync/sds-errors).
DUPLICATE_TARGET_ENTRIES = "DuplicateTargetEntries"
INVALID_LOOKUP_REFERENCE = "InvalidLookupReference"
INVALID_OR_MISSING_REFERENCE_CODE = "InvalidOrMissingReferenceCode"
# Codes of this emulator, for the checks of the format pages that SDS publishes no code for.
MISSING_REQUIRED_FILE = "MissingRequiredFile"
UNEXPECTED_FILE = "UnexpectedFile"
FILE_SET_CHANGED = "FileSetChanged"
EMPTY_FILE = "EmptyFile"
INVALID_ENCODING = "InvalidEncoding"
MISSING_REQUIRED_HEADER = "MissingRequiredHeader"
HEADER_CASE_MISMATCH = "HeaderCaseMismatch"
DUPLICATE_HEADER = "DuplicateHeader"
UNKNOWN_HEADER = "UnknownHeader"
MALFORMED_ROW = "MalformedRow"
LINE_BREAK_IN_FIELD = "LineBreakInField"
MISSING_REQUIRED_VALUE = "MissingRequiredValue"
USERNAME_WITHOUT_DOMAIN = "UsernameWithoutDomain"
INVALID_USERNAME = "InvalidUsername"
INVALID_DATE = "InvalidDate"
INVALID_PHONE_NUMBER = "InvalidPhoneNumber"
DUPLICATE_ROW = "DuplicateRow"
ROW_LIMIT_EXCEEDED = "RowLimitExceeded"
SUPERSEDED = "Superseded"
IMPORT_FAILED = "ImportFailed"
MIXED_SCRIPT_USERNAME = "MixedScriptUsername"
VALUE_TOO_LONG = "ValueTooLong"
CONTROL_CHARACTER = "ControlCharacter"

# The longest value the roster tables hold (sds.models: 255 for names and ids, 320 for
# usernames and e-mail addresses; tests/sds/test_validation_limits.py keeps them equal).
VALUE_MAX_LENGTH = 255
ADDRESS_MAX_LENGTH = 320
ADDRESS_COLUMNS = frozenset({"Username", "username", "Secondary Email", "email"})
# Apple School Manager's own limit, stricter than the tables' where it applies (it wins): a
# Managed Apple Account has at most 128 characters (Apple states 128 on one page and 256 in a
# later note; the stricter holds, as the mock Apple service's MANAGED_ID_MAX_LENGTH). A username
# (with the profile's domain suffix) and an e-mail address become one under federation.
ASM_ACCOUNT_MAX_LENGTH = 128
# C0 controls and DEL, but for the line breaks that LINE_BREAK_IN_FIELD reports. PostgreSQL
# refuses NUL in any text: without this check it would fail the import, not the validation.
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Issue:
    severity: str
    file: str
    line: int | None
    column: str
    code: str
    message_id: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return issue_message(self.message_id, self.params)


@dataclass
class Table:
    """The rows of one file: (line number, values aligned on the header)."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    # False once the file cannot be trusted (bad encoding, a required header missing…):
    # its rows are not checked further and nothing refers to it.
    usable: bool = True

    def index(self, column: str) -> int | None:
        try:
            return self.header.index(column)
        except ValueError:
            return None

    def records(self) -> Iterator[dict[str, str]]:
        for _line, values in self.rows:
            yield dict(zip(self.header, values, strict=False))


@dataclass
class ValidationResult:
    roster_format: RosterFormat
    issues: list[Issue] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    error_count: int = 0
    warning_count: int = 0
    rows_read: int = 0
    # Files whose absence is already an error (the file-set rule does not warn about them).
    missing_reported: set[str] = field(default_factory=set)
    # Per file of the UK variant: classic header -> the header the file has.
    header_names: dict[str, dict[str, str]] = field(default_factory=dict)
    # Cells already refused as too long (file, line, column): the later checks say it once.
    too_long: set[tuple[str, int, str]] = field(default_factory=set)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    def add(self, issue: Issue) -> None:
        if issue.severity == ERROR:
            self.error_count += 1
        else:
            self.warning_count += 1
        self.issues.append(issue)

    def error(
        self, file: str, line: int | None, column: str, code: str, message_id: str, /, **params: Any
    ) -> None:
        self.add(Issue(ERROR, file, line, column, code, message_id, params))

    def warning(
        self, file: str, line: int | None, column: str, code: str, message_id: str, /, **params: Any
    ) -> None:
        self.add(Issue(WARNING, file, line, column, code, message_id, params))


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{8}$")
# The classic samples write US dates (9/1/2015) although Microsoft recommends ISO 8601.
_US_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_YEAR = re.compile(r"^\d{4}$")
_E164 = re.compile(r"^\+?[1-9]\d{1,14}$")
_PHONE_PUNCTUATION = str.maketrans("", "", "()-. ")


def roster_validate(
    *, roster_format: RosterFormat, files: dict[str, bytes], domain_suffix: str = ""
) -> ValidationResult:
    """Check a whole upload; the result holds every issue and the tables it could read."""
    result = ValidationResult(roster_format)
    present = _check_file_names(result, files)
    _check_file_presence(result, present)
    for name in roster_format.names:
        if name in present:
            result.tables[name] = _read_table(result, name, files[name])
    _check_duplicates(result)
    _check_references(result)
    _check_usernames(result, domain_suffix)
    _check_guardians(result)
    if result.header_names:
        result.issues = [_as_the_file_names_it(result, issue) for issue in result.issues]
    return result


def _as_the_file_names_it(result: ValidationResult, issue: Issue) -> Issue:
    """The issue with the columns named as its file names them (the UK variant's `ID`…)."""
    names = result.header_names.get(issue.file)
    if not names:
        return issue
    params = {
        key: names.get(value, value) if isinstance(value, str) else value
        for key, value in issue.params.items()
    }
    return replace(issue, column=names.get(issue.column, issue.column), params=params)


def file_set_check(
    *,
    roster_format: RosterFormat,
    previous: Iterable[str],
    present: Iterable[str],
    missing_reported: Iterable[str] = (),
) -> list[Issue]:
    """SDS's rule: every upload after the first carries the same files; a file left out has
    its records marked inactive. Kept apart because it depends on the profile's state."""
    left_out = set(previous) - set(present) - set(missing_reported)
    return [
        Issue(WARNING, name, None, "", FILE_SET_CHANGED, "file_left_out", {"file": name})
        for name in roster_format.names
        if name in left_out
    ]


def _check_file_names(result: ValidationResult, files: dict[str, bytes]) -> set[str]:
    known = result.roster_format.names
    by_lower = {name.lower(): name for name in known}
    present = set()
    for name in files:
        if name in known:
            present.add(name)
        elif name.lower() in by_lower:
            result.error(name, None, "", UNEXPECTED_FILE, "file_name_case", expected=by_lower[name.lower()])
        else:
            result.error(name, None, "", UNEXPECTED_FILE, "file_unexpected", file=name)
    return present


def _check_file_presence(result: ValidationResult, present: set[str]) -> None:
    specs = result.roster_format.files
    class_files = [spec.name for spec in specs if spec.presence is Presence.CLASSES]
    present_class_files = [name for name in class_files if name in present]
    for spec in specs:
        if spec.name in present:
            continue
        if spec.presence is Presence.ALWAYS:
            result.error(spec.name, None, "", MISSING_REQUIRED_FILE, "file_missing", file=spec.name)
            result.missing_reported.add(spec.name)
        elif spec.presence is Presence.CLASSES and present_class_files:
            result.error(
                spec.name,
                None,
                "",
                MISSING_REQUIRED_FILE,
                "file_missing_classes",
                file=spec.name,
                present=present_class_files[0],
            )
            result.missing_reported.add(spec.name)


def _decode(result: ValidationResult, name: str, data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        result.error(name, line, "", INVALID_ENCODING, "encoding", byte=f"0x{data[exc.start]:02X}")
        return None


def _read_table(result: ValidationResult, name: str, data: bytes) -> Table:
    """The file's rows; a file that cannot be read comes back empty and unusable."""
    text = _decode(result, name, data)
    if text is None:
        return Table(name, [], usable=False)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error:
        header = None
    if not header or not any(cell.strip() for cell in header):
        result.error(name, 1, "", EMPTY_FILE, "file_empty")
        return Table(name, [], usable=False)
    if any((control := _CONTROL.search(cell)) is not None for cell in header):
        assert control is not None
        result.error(name, 1, "", CONTROL_CHARACTER, "control_character", char=f"U+{ord(control[0]):04X}")
        return Table(name, [_CONTROL.sub("", cell) for cell in header], usable=False)
    # The UK variant: read under the classic names, reported under the file's own.
    renamed = formats.uk_headers(result.roster_format, name, header)
    if renamed:
        result.header_names[name] = {classic: uk for uk, classic in renamed.items()}
        header = [renamed.get(cell, cell) for cell in header]
    table = Table(name, header)
    _check_header(result, table)
    if not table.usable:
        return table
    _read_rows(result, table, reader)
    return table


def _check_header(result: ValidationResult, table: Table) -> None:
    spec = result.roster_format.spec(table.name)
    assert spec is not None
    expected_by_folded = {column.strip().lower(): column for column in spec.headers}
    if not any(header.strip().lower() in expected_by_folded for header in table.header):
        # A file without its header line: the first line is data (a password, perhaps). One
        # error that repeats none of its cells, and the file is not read further.
        result.error(
            table.name, 1, "", MISSING_REQUIRED_HEADER, "header_row_missing", headers=", ".join(spec.required)
        )
        table.header = []
        table.usable = False
        return
    seen: set[str] = set()
    for header in table.header:
        if header in seen:
            result.error(table.name, 1, header, DUPLICATE_HEADER, "header_duplicate", header=header)
            table.usable = False
        seen.add(header)
        if header in spec.headers:
            continue
        expected = expected_by_folded.get(header.strip().lower())
        if expected is not None:
            result.error(
                table.name, 1, header, HEADER_CASE_MISMATCH, "header_case", header=header, expected=expected
            )
            if expected in spec.required:
                table.usable = False
        else:
            result.warning(table.name, 1, header, UNKNOWN_HEADER, "header_unknown", header=header)
    folded_present = {header.strip().lower() for header in table.header}
    for column in spec.required:
        if column not in table.header and column.lower() not in folded_present:
            result.error(table.name, 1, column, MISSING_REQUIRED_HEADER, "header_missing", header=column)
            table.usable = False


@dataclass(frozen=True)
class _ColumnCheck:
    index: int
    column: str
    required: bool
    enum: dict[str, str] | None
    date: bool
    year: bool
    phone: bool


def _column_checks(result: ValidationResult, table: Table) -> list[_ColumnCheck]:
    spec = result.roster_format.spec(table.name)
    assert spec is not None
    checks = []
    for index, column in enumerate(table.header):
        if column not in spec.headers:
            continue
        key = (table.name, column)
        checks.append(
            _ColumnCheck(
                index=index,
                column=column,
                required=column in spec.required,
                enum=formats.ENUM_COLUMNS.get(key),
                date=key in formats.DATE_COLUMNS,
                year=key in formats.YEAR_COLUMNS,
                phone=key in formats.PHONE_COLUMNS,
            )
        )
    return checks


def _read_rows(result: ValidationResult, table: Table, reader: CsvReader) -> None:
    name = table.name
    width = len(table.header)
    checks = _column_checks(result, table)
    iso_only = result.roster_format.code != "v1"
    line_num = 1
    while True:
        start = line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            result.error(name, start, "", MALFORMED_ROW, "row_csv")
            table.usable = False
            return
        line_num = reader.line_num
        if not row:
            continue  # a blank line
        if len(table.rows) >= formats.MAX_ROWS_PER_FILE:
            result.error(
                name, start, "", ROW_LIMIT_EXCEEDED, "row_limit", limit=f"{formats.MAX_ROWS_PER_FILE:,}"
            )
            table.usable = False
            return
        values = [value.strip() for value in row]
        table.rows.append((start, values))
        result.rows_read += 1
        if len(values) != width:
            result.error(name, start, "", MALFORMED_ROW, "row_fields", found=len(values), expected=width)
            values.extend([""] * (width - len(values)))
            del values[width:]
            continue
        if line_num > start:
            # The record spans several lines: one of its quoted fields holds a line break.
            for index, value in enumerate(row):
                if "\n" in value or "\r" in value:
                    result.error(name, start, table.header[index], LINE_BREAK_IN_FIELD, "line_break")
        for check in checks:
            value = values[check.index]
            if (control := _CONTROL.search(value)) is not None:
                # The value is never repeated in the report: it could be a password.
                result.error(
                    name,
                    start,
                    check.column,
                    CONTROL_CHARACTER,
                    "control_character",
                    char=f"U+{ord(control[0]):04X}",
                )
                values[check.index] = _CONTROL.sub("", value)
                continue
            address = check.column in ADDRESS_COLUMNS
            longest = min(ADDRESS_MAX_LENGTH, ASM_ACCOUNT_MAX_LENGTH) if address else VALUE_MAX_LENGTH
            if len(value) > longest:
                result.error(
                    name,
                    start,
                    check.column,
                    VALUE_TOO_LONG,
                    "value_too_long_for_asm" if address else "value_too_long",
                    length=len(value),
                    max=longest,
                )
                result.too_long.add((name, start, check.column))
                values[check.index] = value[:longest]
                continue
            if not value:
                if check.required:
                    result.error(name, start, check.column, MISSING_REQUIRED_VALUE, "value_missing")
                continue
            if check.enum is not None:
                canonical = check.enum.get(value.lower())
                if canonical is None:
                    result.error(
                        name,
                        start,
                        check.column,
                        INVALID_OR_MISSING_REFERENCE_CODE,
                        "invalid_code",
                        value=value,
                        column=check.column,
                    )
                else:
                    values[check.index] = canonical
            elif check.date:
                if not (_ISO_DATE.match(value) or (not iso_only and _US_DATE.match(value))):
                    result.warning(name, start, check.column, INVALID_DATE, "invalid_date", value=value)
            elif check.year:
                if not _YEAR.match(value):
                    result.error(
                        name,
                        start,
                        check.column,
                        INVALID_OR_MISSING_REFERENCE_CODE,
                        "invalid_year",
                        value=value,
                    )
            elif check.phone and not _E164.match(value.translate(_PHONE_PUNCTUATION)):
                result.warning(name, start, check.column, INVALID_PHONE_NUMBER, "invalid_phone", value=value)


def _usable(result: ValidationResult, name: str) -> Table | None:
    table = result.tables.get(name)
    return table if table is not None and table.usable else None


def _check_duplicates(result: ValidationResult) -> None:
    people_files = formats.PEOPLE_FILES[result.roster_format.code]
    people_seen: dict[str, tuple[str, int]] = {}
    for spec in result.roster_format.files:
        table = _usable(result, spec.name)
        if table is None:
            continue
        if spec.key:
            index = table.index(spec.key)
            assert index is not None
            seen: dict[str, int] = {}
            for line, values in table.rows:
                value = values[index]
                if not value:
                    continue
                if value in seen:
                    result.error(
                        spec.name,
                        line,
                        spec.key,
                        DUPLICATE_TARGET_ENTRIES,
                        "duplicate_id",
                        column=spec.key,
                        value=value,
                        other_line=seen[value],
                    )
                    continue
                seen[value] = line
                if spec.name in people_files:
                    other = people_seen.get(value)
                    if other is not None:
                        result.error(
                            spec.name,
                            line,
                            spec.key,
                            DUPLICATE_TARGET_ENTRIES,
                            "duplicate_person",
                            value=value,
                            other_file=other[0],
                            other_line=other[1],
                        )
                    else:
                        people_seen[value] = (spec.name, line)
        pair = formats.PAIR_COLUMNS.get(spec.name)
        if pair:
            indexes = [table.index(column) for column in pair]
            if None in indexes:
                continue
            pairs: dict[tuple[str, ...], int] = {}
            for line, values in table.rows:
                key = tuple(values[i] for i in indexes if i is not None)
                if key in pairs:
                    result.warning(spec.name, line, "", DUPLICATE_ROW, "duplicate_row", other_line=pairs[key])
                else:
                    pairs[key] = line


def _check_references(result: ValidationResult) -> None:
    targets: dict[tuple[str, str], set[str] | None] = {}

    def target_values(target: tuple[str, str]) -> set[str] | None:
        if target not in targets:
            table = _usable(result, target[0])
            index = table.index(target[1]) if table is not None else None
            targets[target] = (
                {values[index] for _line, values in table.rows}
                if table is not None and index is not None
                else None
            )
        return targets[target]

    for (name, column), target in formats.REFERENCES.items():
        table = _usable(result, name)
        if table is None:
            continue
        index = table.index(column)
        if index is None:
            continue
        known = target_values(target)
        target_spec = result.roster_format.spec(target[0])
        assert target_spec is not None
        many = (name, column) in formats.LIST_COLUMNS
        for line, values in table.rows:
            raw = values[index]
            if not raw:
                continue
            if target[0] not in result.tables:
                if target_spec.presence is Presence.OPTIONAL and target[0] not in result.missing_reported:
                    # academicSessions.csv and courses.csv become required once referred to.
                    result.error(
                        name, line, column, MISSING_REQUIRED_FILE, "file_missing_referenced", file=target[0]
                    )
                    result.missing_reported.add(target[0])
                break
            if known is None:
                break  # the target file is unusable; its own errors say why
            for value in _split(raw) if many else (raw,):
                if value not in known:
                    result.error(
                        name,
                        line,
                        column,
                        INVALID_LOOKUP_REFERENCE,
                        "unknown_reference",
                        value=value,
                        target_file=target[0],
                        target_column=target[1],
                    )


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def full_username(value: str, domain_suffix: str) -> str:
    """Classic SDS appends the profile's domain suffix to a username that has none."""
    if "@" not in value and domain_suffix:
        return f"{value}@{domain_suffix}"
    return value


def _scripts(text: str) -> list[str]:
    """The scripts of the letters of `text` (the first word of each letter's Unicode name:
    LATIN, CYRILLIC, GREEK…), sorted; digits and punctuation belong to none."""
    return sorted({unicodedata.name(char, "?").split()[0] for char in text if char.isalpha()})


def _check_usernames(result: ValidationResult, domain_suffix: str) -> None:
    classic = result.roster_format.code == "v1"
    seen: dict[str, tuple[str, int]] = {}
    for name in formats.PEOPLE_FILES[result.roster_format.code]:
        table = _usable(result, name)
        if table is None:
            continue
        column = "Username" if classic else "username"
        index = table.index(column)
        key_index = table.index("SIS ID" if classic else "sourcedId")
        assert index is not None and key_index is not None
        ids_seen: set[str] = set()
        for line, values in table.rows:
            value = values[index]
            sis_id = values[key_index]
            if sis_id in ids_seen:
                continue  # a repeated row: its duplicate SIS ID is the one error it gets
            ids_seen.add(sis_id)
            if not value:
                continue
            if any(char.isspace() for char in value) or value.count("@") > 1:
                result.error(name, line, column, INVALID_USERNAME, "username_invalid", value=value)
                continue
            if "@" not in value and classic and not domain_suffix:
                result.error(
                    name, line, column, USERNAME_WITHOUT_DOMAIN, "username_without_suffix", value=value
                )
                continue
            username = full_username(value, domain_suffix) if classic else value
            local, _at, domain = username.partition("@")
            if not local or "." not in domain.strip("."):
                result.error(
                    name, line, column, USERNAME_WITHOUT_DOMAIN, "username_without_domain", value=value
                )
                continue
            if len(username) > ASM_ACCOUNT_MAX_LENGTH and (name, line, column) not in result.too_long:
                # The cell fits, the domain suffix makes it too long for Apple School Manager.
                result.error(
                    name,
                    line,
                    column,
                    VALUE_TOO_LONG,
                    "username_too_long_for_asm",
                    length=len(username),
                    max=ASM_ACCOUNT_MAX_LENGTH,
                )
                continue
            scripts = _scripts(local)
            if len(scripts) > 1:
                # "раul" with a Cyrillic "р" and "a" looks like "paul": a homoglyph to check.
                result.warning(
                    name,
                    line,
                    column,
                    MIXED_SCRIPT_USERNAME,
                    "username_mixed_script",
                    scripts=", ".join(scripts),
                )
            folded = username.lower()
            other = seen.get(folded)
            if other is not None:
                result.error(
                    name,
                    line,
                    column,
                    DUPLICATE_TARGET_ENTRIES,
                    "duplicate_username",
                    value=value,
                    other_file=other[0],
                    other_line=other[1],
                )
            else:
                seen[folded] = (name, line)


def _check_guardians(result: ValidationResult) -> None:
    """v2.1: guardians in relationships.csv need a given name, a family name and an email."""
    relationships = _usable(result, "relationships.csv")
    users = _usable(result, "users.csv")
    if relationships is None or users is None:
        return
    guardian_index = relationships.index("relationshipUserSourcedId")
    assert guardian_index is not None
    guardians = {values[guardian_index] for _line, values in relationships.rows}
    key_index = users.index("sourcedId")
    assert key_index is not None
    for column in ("givenName", "familyName", "email"):
        index = users.index(column)
        for line, values in users.rows:
            if values[key_index] in guardians and (index is None or not values[index]):
                result.error("users.csv", line, column, MISSING_REQUIRED_VALUE, "value_missing_guardian")

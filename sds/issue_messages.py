"""The messages of a roster validation report, by id.

Stored issues are rendered in the reader's language, so they keep a message id and its
parameters rather than a sentence; the models render them with `issue_message`.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MESSAGES: dict[str, Promise] = {
    "file_unexpected": _("%(file)s is not a file of this format; nothing else may be in the upload."),
    "file_name_case": _("File names are case-sensitive: name this file %(expected)s."),
    "file_twice": _("%(file)s is in the upload more than once."),
    "file_missing": _("%(file)s is required."),
    "file_missing_classes": _("%(file)s is required when classes are synced (%(present)s is in the upload)."),
    "file_missing_referenced": _("%(file)s is required: this column refers to it."),
    "file_left_out": _(
        "%(file)s was in the first upload of this sync profile and is missing: "
        "its records are marked inactive."
    ),
    "file_empty": _("The file is empty: it needs at least its header row."),
    "encoding": _("The file is not valid UTF-8 (byte %(byte)s). Save it as UTF-8 and upload it again."),
    "header_missing": _("The required header “%(header)s” is missing."),
    "header_row_missing": _(
        "The first line is not a header row: none of its cells is a column of this file. "
        "Add the header row (%(headers)s) and upload the file again."
    ),
    "header_case": _("Headers are case-sensitive and exact: write “%(expected)s”, not “%(header)s”."),
    "header_duplicate": _("The header “%(header)s” appears more than once."),
    "header_unknown": _("“%(header)s” is not a column of this file; it is ignored."),
    "row_fields": _("The row has %(found)s fields, the header %(expected)s."),
    "row_csv": _(
        "The row is not valid CSV (a quote is not closed, or a character is misplaced); the rest of the file cannot be read."
    ),
    "line_break": _("The value contains a line break; no field may."),
    "value_missing": _("A value is required."),
    "value_too_long": _("The value has %(length)s characters; at most %(max)s are accepted."),
    "value_too_long_for_asm": _(
        "The value has %(length)s characters; Apple School Manager accepts at most %(max)s for a "
        "Managed Apple Account."
    ),
    "username_too_long_for_asm": _(
        "With the sync profile's domain suffix, the username has %(length)s characters; Apple School "
        "Manager accepts at most %(max)s for a Managed Apple Account."
    ),
    "control_character": _("The value contains a control character (%(char)s); remove it."),
    "value_missing_guardian": _("A value is required: this user is a guardian in relationships.csv."),
    "duplicate_id": _("The %(column)s “%(value)s” is already used on line %(other_line)s."),
    "duplicate_person": _(
        "The SIS ID “%(value)s” is already used in %(other_file)s, line %(other_line)s: "
        "every person needs a SIS ID of their own."
    ),
    "duplicate_username": _(
        "The username “%(value)s” is already used in %(other_file)s, line %(other_line)s."
    ),
    "duplicate_row": _("The same row is on line %(other_line)s; it is imported once."),
    "unknown_reference": _("No row of %(target_file)s has the %(target_column)s “%(value)s”."),
    "invalid_code": _("“%(value)s” is not in the list of values of %(column)s."),
    "username_without_domain": _(
        "The username “%(value)s” has no domain (name@domain); this format requires one."
    ),
    "username_without_suffix": _(
        "The username “%(value)s” has no domain, and the sync profile has no domain suffix to add."
    ),
    "username_invalid": _("The username “%(value)s” is not valid: it may not contain spaces or several @."),
    "invalid_date": _("“%(value)s” is not a date; write it YYYY-MM-DD."),
    "invalid_year": _("“%(value)s” is not a year; write it with four digits."),
    "invalid_phone": _(
        "“%(value)s” is not an E.164 phone number (+ and up to 15 digits); SDS keeps it as it is."
    ),
    "row_limit": _("The file has more than %(limit)s rows; split the roster over several sync profiles."),
    "username_mixed_script": _(
        "The username mixes letters of several scripts (%(scripts)s): it may imitate another "
        "account's name. Check it."
    ),
    "import_failed": _(
        "The roster could not be written to the database: nothing was imported. Upload it again; "
        "if it fails again, the files hold something the roster tables cannot."
    ),
    "worker_lost": _(
        "The import stopped unexpectedly each time it was started (%(count)s times): nothing was "
        "imported. Upload the files again; if it stops again, split the roster into smaller files."
    ),
    "superseded": _("A newer upload of this sync profile was imported first; this one was not imported."),
}


def issue_message(message_id: str, params: dict[str, Any]) -> str:
    return str(MESSAGES[message_id]) % params

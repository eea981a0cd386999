"""The messages of a validation report, rendered in the reader's language."""

from __future__ import annotations

from django.utils import translation

from sds import formats, issue_messages, validation
from tests.sds.conftest import edited, sample


class MessageTests:
    def test_messages_are_rendered_in_the_readers_language(self) -> None:
        files = edited(sample("v1-25-users"), "StudentEnrollment.csv", append="99999,13001")
        issue = validation.roster_validate(
            roster_format=formats.V1, files=files, domain_suffix="contoso.edu"
        ).issues[0]
        with translation.override("fr"):
            assert issue.message == "Aucune ligne de Section.csv n’a le SIS ID «\u00a099999\u00a0»."

    def test_every_message_formats_with_its_parameters(self) -> None:
        # A broken translation or a missing parameter would raise here rather than on a report.
        params = {
            "file": "a.csv",
            "expected": "b",
            "present": "c.csv",
            "byte": "0xFF",
            "header": "h",
            "found": 1,
            "column": "c",
            "value": "v",
            "other_line": 2,
            "other_file": "d.csv",
            "target_file": "e.csv",
            "target_column": "f",
            "limit": "500,000",
            "length": 256,
            "max": 255,
            "char": "U+0000",
            "headers": "SIS ID, Name",
            "scripts": "CYRILLIC, LATIN",
            "count": 3,
        }
        for language in ("en", "fr"):
            with translation.override(language):
                for message_id in issue_messages.MESSAGES:
                    assert issue_messages.issue_message(message_id, params)

"""Stored texts: a message id and its parameters, rendered in the reader's language."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.utils import translation

from asm_portal import texts
from asm_portal.texts import Text, stored

NBSP = "\u00a0"


def round_trip(text: Text) -> Text:
    return Text.from_json(json.loads(json.dumps(text.as_json())))


class TextTests:
    def test_it_renders_in_the_language_active_when_shown(self) -> None:
        text = round_trip(texts.gettext("Sync of “%(name)s” failed", name="Lycée"))
        with translation.override("en"):
            assert str(text) == "Sync of “Lycée” failed"
        with translation.override("fr"):
            assert str(text) == "Échec de la synchronisation de «\u00a0Lycée\u00a0»"
        assert text.in_english() == "Sync of “Lycée” failed"

    def test_a_plural_chooses_its_form_by_the_reader_s_rules(self) -> None:
        text = round_trip(texts.ngettext("%(count)d day", "%(count)d days", "count", count=1))
        with translation.override("en"):
            assert str(text) == "1 day"
        with translation.override("fr"):
            assert str(text) == "1\u00a0jour" or str(text) == "1 jour"
        text = round_trip(texts.ngettext("%(count)d day", "%(count)d days", "count", count=3))
        with translation.override("fr"):
            assert str(text).endswith("jours")

    def test_a_plural_needs_its_count(self) -> None:
        with pytest.raises(ValueError):
            texts.ngettext("%(count)d day", "%(count)d days", "count")

    def test_parameters_nest_and_join(self) -> None:
        reason = texts.gettext("Apple’s service could not be reached. Try again in a few minutes.")
        text = round_trip(
            texts.join(
                texts.gettext(
                    "“%(profile)s” could not be assigned: %(reason)s", profile="iPad", reason=reason
                ),
                "(42)",
            )
        )
        with translation.override("en"):
            assert str(text) == (
                "“iPad” could not be assigned: Apple’s service could not be reached. Try again in a few "
                "minutes. (42)"
            )
        with translation.override("fr"):
            assert "Apple" in str(text) and "could not" not in str(text) and str(text).endswith("(42)")

    def test_words_given_by_language(self) -> None:
        text = round_trip(texts.localized({"en": "Token ready", "fr": "Jeton prêt"}))
        with translation.override("fr"):
            assert str(text) == "Jeton prêt"
        with translation.override("en"):
            assert str(text) == "Token ready"
        with translation.override("de"):
            assert str(text) == "Token ready"

    def test_a_date_is_rendered_in_the_reader_s_format(self) -> None:
        text = round_trip(
            texts.gettext(
                "Apple answered %(answer)s. Try again later.", answer=datetime(2026, 3, 1, 9, 5, tzinfo=UTC)
            )
        )
        with translation.override("fr"):
            assert "01/03/2026" in str(text)
        with translation.override("en"):
            assert "03/01/2026" in str(text)

    def test_a_row_without_a_stored_text_shows_its_words(self) -> None:
        assert stored({}, "Sync finished") == "Sync finished"
        assert stored(None, "Sync finished") == "Sync finished"

"""Text written outside a request (a task, a signal, a command), kept as a message id with its
parameters and rendered in the reader's language when it is shown.

A worker has no reader: what it writes for a person (a toast, an audit target) is stored as a
`Text`, whose JSON form is {"msgid", "params"} (and "plural"/"count" for a plural), and turned
into words by `str()` under the language active when the page is rendered. Switching language
re-renders old notifications and audit entries.

`gettext()` and `ngettext()` here build a `Text`; they are named after gettext's functions so
that `makemessages` (xgettext) extracts their message ids into the catalogues like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Union, cast

from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.timezone import localtime

Param = Union[str, int, float, datetime, Promise, "Text"]


@dataclass(frozen=True)
class Text:
    """A message id, its plural and its parameters; `str()` renders it in the active language.

    A parameter may itself be a `Text` (a reason inside a sentence); a date is rendered in the
    reader's format. `parts` joins several texts into one (sentences of a notification's body)."""

    msgid: str = ""
    params: Mapping[str, Param] = field(default_factory=dict)
    plural: str = ""
    count: str = ""
    parts: tuple[Text | str, ...] = ()
    separator: str = " "
    # Words that are not in a catalogue but come in each language (a preset's name): by language.
    by_language: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.by_language:
            language = (translation.get_language() or "en").split("-")[0]
            return self.by_language.get(language) or self.by_language.get("en") or ""
        if self.parts:
            return self.separator.join(str(part) for part in self.parts if str(part))
        values = {name: _render(value) for name, value in self.params.items()}
        if self.plural:
            number = int(self.params.get(self.count, 0))  # type: ignore[arg-type]
            template = translation.ngettext(self.msgid, self.plural, number)
        else:
            template = translation.gettext(self.msgid) if self.msgid else ""
        return template % values if values else template

    def __add__(self, other: Text | str) -> Text:
        return join(self, other)

    def in_english(self) -> str:
        """The text as the code wrote it (what search and logs see)."""
        with translation.override(None):
            return str(self)

    def as_json(self) -> dict[str, Any]:
        if self.by_language:
            return {"by_language": dict(self.by_language)}
        if self.parts:
            return {
                "parts": [part.as_json() if isinstance(part, Text) else part for part in self.parts],
                "sep": self.separator,
            }
        data: dict[str, Any] = {"msgid": self.msgid, "params": {k: _dump(v) for k, v in self.params.items()}}
        if self.plural:
            data.update(plural=self.plural, count=self.count)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Text:
        if "by_language" in data:
            return cls(by_language={str(k): str(v) for k, v in data["by_language"].items()})
        if "parts" in data:
            return cls(
                parts=tuple(p if isinstance(p, str) else cls.from_json(p) for p in data["parts"]),
                separator=str(data.get("sep", " ")),
            )
        return cls(
            msgid=str(data.get("msgid", "")),
            params={k: _load(v) for k, v in (data.get("params") or {}).items()},
            plural=str(data.get("plural", "")),
            count=str(data.get("count", "")),
        )


def gettext(msgid: str, /, **params: Param) -> Text:
    """`msgid` % params, translated when shown (extracted by makemessages as gettext)."""
    return Text(msgid=msgid, params=params)


def ngettext(singular: str, plural: str, count: str, /, **params: Param) -> Text:
    """A plural text; `count` names the parameter whose number chooses the form."""
    if count not in params:
        raise ValueError(f"The parameter {count!r} that chooses the plural form is missing.")
    return Text(msgid=singular, plural=plural, count=count, params=params)


def join(*parts: Text | str, separator: str = " ") -> Text:
    """Several texts shown one after the other (sentences: separated by a space)."""
    flat: list[Text | str] = []
    for part in parts:
        same = isinstance(part, Text) and part.parts and part.separator == separator
        flat.extend(part.parts if isinstance(part, Text) and same else [part])
    return Text(parts=tuple(flat), separator=separator)


def localized(by_language: Mapping[str, str]) -> Text:
    """Words given in each language rather than by a catalogue ({"en": …, "fr": …})."""
    return Text(by_language=dict(by_language))


def lazy(value: Promise) -> Text | str:
    """A lazily translated string (`gettext_lazy`: a model choice's label, an action's name) as
    a stored text, so that a view can pass it as a parameter and the reader still sees it in
    their language; other lazy strings are rendered now."""
    # A lazy proxy pickles as (func, args, kwargs, *result classes): Django's own way to name it.
    func, args, kwargs = cast(tuple[Any, ...], value.__reduce__())[1][:3]
    if func is translation.gettext and len(args) == 1 and not kwargs:
        return Text(msgid=str(args[0]))
    return str(value)


def stored(data: Mapping[str, Any] | None, fallback: str) -> str:
    """A stored text in the active language; `fallback` (the words as stored) when the row
    predates stored texts."""
    if not data:
        return fallback
    return str(Text.from_json(data))


def _render(value: Param) -> str | int | float:
    if isinstance(value, Text | Promise):
        return str(value)
    if isinstance(value, datetime):
        return date_format(localtime(value), "SHORT_DATETIME_FORMAT")
    return value


def _dump(value: Param) -> Any:
    if isinstance(value, Promise):
        value = lazy(value)
    if isinstance(value, Text):
        return {"text": value.as_json()}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    return value


def _load(value: Any) -> Param:
    if isinstance(value, dict):
        if "text" in value:
            return Text.from_json(value["text"])
        if "datetime" in value:
            parsed = parse_datetime(str(value["datetime"]))
            if parsed is not None:
                return parsed
        return ""
    if isinstance(value, str | int | float):
        return value
    return str(value)

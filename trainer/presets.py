"""Trainer scenario presets: the named starting points a reset brings the tenant to.

A preset is a data file (presets/<key>.json, schema in presets/README.md) with an Apple part (the
organisation's orders, devices and MDM servers) and a portal part (push certificate, tokens,
profiles, assignments, School Data Sync). This module loads and checks the files and answers
what a preset holds; `trainer.scenario_reset` brings the tenant to one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation

PRESETS_DIR = Path(__file__).resolve().parent / "presets"


class PresetNotFound(LookupError):
    """No preset has this key (the views answer 404, the command lists the known ones)."""


@dataclass(frozen=True)
class Preset:
    key: str
    order: int
    names: dict[str, str]
    summaries: dict[str, str]
    apple: dict[str, Any]
    portal: dict[str, Any]

    @property
    def name(self) -> str:
        return _localized(self.names)

    @property
    def summary(self) -> str:
        return _localized(self.summaries)

    @property
    def background(self) -> bool:
        """Large presets run in a worker, with a progress bar; small ones in the request."""
        return bool(self.portal.get("background"))

    @property
    def apple_device_count(self) -> int:
        return sum(item["count"] for order in self.apple.get("orders", []) for item in order.get("items", []))

    @property
    def token_device_count(self) -> int:
        """Devices the portal's tokens hold after their first sync."""
        tokens = {spec["mdm_server"] for spec in self.portal.get("tokens", [])}
        return sum(
            _server_device_count(self.apple, server)
            for server in self.apple.get("mdm_servers", [])
            if server["name"] in tokens
        )

    @property
    def profile_count(self) -> int:
        return sum(len(token.get("profiles", [])) for token in self.portal.get("tokens", []))

    @property
    def token_count(self) -> int:
        return len(self.portal.get("tokens", []))

    @property
    def roster_people(self) -> int:
        sds = self.portal.get("sds")
        if not sds:
            return 0
        folder = PRESETS_DIR / sds["roster"]
        return sum(
            max(0, len((folder / name).read_text(encoding="utf-8-sig").strip().splitlines()) - 1)
            for name in ("Student.csv", "Teacher.csv")
            if (folder / name).exists()
        )

    def scaled(self, factor: float) -> Preset:
        """The same preset with fewer (or more) devices: tests load the large ones scaled down."""
        apple = json.loads(json.dumps(self.apple))
        for order in apple.get("orders", []):
            for item in order.get("items", []):
                item["count"] = max(1, math.ceil(item["count"] * factor))
        for server in apple.get("mdm_servers", []):
            for part in server.get("devices", []):
                if "count" in part:
                    part["count"] = max(1, math.ceil(part["count"] * factor))
        return replace(self, apple=apple)


def _localized(values: dict[str, str]) -> str:
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return values.get(language) or values.get("en") or next(iter(values.values()), "")


def localized_value(value: Any) -> Any:
    """A preset's words in the active language: {"en": …, "fr": …} gives the active language's
    (English when it has none); anything else is taken as it is. A reset runs in the language of
    whoever runs it (the trainer, or the class's language), which is the tenant's."""
    if isinstance(value, dict) and "en" in value and all(isinstance(v, str) for v in value.values()):
        return _localized(value)
    return value


def _server_device_count(apple: dict[str, Any], server: dict[str, Any]) -> int:
    sizes = {
        order["number"]: sum(item["count"] for item in order.get("items", []))
        for order in apple.get("orders", [])
    }
    return sum(
        min(part.get("count", sizes[part["order"]]), sizes[part["order"]])
        for part in server.get("devices", [])
    )


def _preset_load(path: Path) -> Preset:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != 1 or data.get("key") != path.stem:
        raise ValueError(f"{path.name}: schema must be 1 and key must be {path.stem!r}")
    return Preset(
        key=data["key"],
        order=int(data.get("order", 99)),
        names=data["name"],
        summaries=data.get("summary", {}),
        apple=data["apple"],
        portal=data["portal"],
    )


@cache
def presets() -> tuple[Preset, ...]:
    return tuple(sorted((_preset_load(path) for path in PRESETS_DIR.glob("*.json")), key=lambda p: p.order))


def preset_get(key: str) -> Preset:
    for preset in presets():
        if preset.key == key:
            return preset
    raise PresetNotFound(key)

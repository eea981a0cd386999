"""Devices › Bulk device actions as Intune's wizard: *Basics* (platform, action and its settings)
→ *Devices* (the devices to include) → *Review + create*. Nothing is stored until Create: each
step's answers travel in the form, checked again at every step (a reader may have changed them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from asm_portal.ids import parse_ids
from mdm import selectors
from mdm.device_actions import ACTIONS, BULK_MAX, ActionKind
from mdm.models import ManagedDevice

STEPS: tuple[tuple[str, Promise], ...] = (
    ("basics", _("Basics")),
    ("devices", _("Devices")),
    ("review", _("Review + create")),
)
STEP_KEYS = tuple(key for key, _label in STEPS)
# Intune's platform choice; the portal's managed devices are all iPhones and iPads.
PLATFORMS = (("ios", _("iOS/iPadOS")),)
# Devices offered in the picker at once (narrow them with the search).
PICKER_SIZE = 50


@dataclass
class BulkWizard:
    step: str = "basics"
    platform: str = "ios"
    kind: str = ""
    remove_data_plan: bool = False
    device_ids: list[int] = field(default_factory=list)
    search: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Any) -> BulkWizard:
        """From the form (POST) or the list's selection (GET: kind and devices)."""
        step = data.get("step", "basics")
        return cls(
            step=step if step in STEP_KEYS else "basics",
            platform=data.get("platform", "ios"),
            kind=data.get("kind", ""),
            remove_data_plan=data.get("remove_data_plan") in ("on", "true", "1"),
            device_ids=list(dict.fromkeys(parse_ids(data.getlist("device"))))[: BULK_MAX + 1],
            search=" ".join(data.get("q", "").split())[:64],
        )

    @property
    def action(self) -> ActionKind | None:
        action = ACTIONS.get(self.kind)
        return action if action is not None and action.bulk else None

    @property
    def step_index(self) -> int:
        return STEP_KEYS.index(self.step)

    @property
    def parameters(self) -> dict[str, Any]:
        return {"remove_data_plan": "on"} if self.kind == "wipe" and self.remove_data_plan else {}

    def hidden_fields(self) -> list[tuple[str, str]]:
        """What the other steps answered, carried in the form."""
        fields: list[tuple[str, str]] = []
        if self.step != "basics":
            fields += [("platform", self.platform), ("kind", self.kind)]
            if self.remove_data_plan:
                fields.append(("remove_data_plan", "on"))
        if self.step != "devices":
            fields += [("device", str(pk)) for pk in self.device_ids]
        return fields

    def check(self, step: str) -> bool:
        """Whether `step`'s answers let the wizard go on; the reasons in `errors`."""
        if step == "basics":
            if self.platform not in dict(PLATFORMS):
                self.errors["platform"] = str(_("Choose a platform."))
            if self.action is None:
                self.errors["kind"] = str(_("Choose a device action."))
        elif step == "devices":
            if not self.device_ids:
                self.errors["device"] = str(_("Select at least one device."))
            elif len(self.device_ids) > BULK_MAX:
                self.errors["device"] = str(
                    _("A bulk action takes at most %(max)d devices.") % {"max": BULK_MAX}
                )
        return not self.errors

    def go(self, direction: str) -> None:
        """Previous, Next (after this step's check), or Search (stay on Devices)."""
        index = self.step_index
        if direction == "previous":
            self.step = STEP_KEYS[max(0, index - 1)]
        elif direction == "next" and self.check(self.step):
            self.step = STEP_KEYS[min(len(STEP_KEYS) - 1, index + 1)]

    def first_unready_step(self) -> str | None:
        """The first step whose answers do not hold (before Create, everything is checked again)."""
        for step in ("basics", "devices"):
            if not self.check(step):
                return step
        return None


def selected_devices(wizard: BulkWizard) -> list[ManagedDevice]:
    return selectors.managed_devices_selected(ids=wizard.device_ids, limit=BULK_MAX + 1)


def picker_devices(wizard: BulkWizard) -> tuple[list[ManagedDevice], int]:
    """The devices the Devices step offers (the search's first ones) and how many match."""
    filters = selectors.ManagedDeviceFilters(search=wizard.search)
    matching = selectors.managed_devices_filtered(filters=filters)
    offered = list(
        matching.only(*selectors.GRID_FIELDS).order_by("device_name", "serial_number", "id")[:PICKER_SIZE]
    )
    return offered, matching.count()


def settings_summary(wizard: BulkWizard) -> list[tuple[Promise, Promise | str]]:
    """The Review step's Basics section."""
    action = wizard.action
    rows: list[tuple[Promise, Promise | str]] = [
        (_("OS"), dict(PLATFORMS).get(wizard.platform, "")),
        (_("Device action"), action.label if action else ""),
    ]
    if wizard.kind == "wipe":
        rows.append(
            (
                _("Also remove the devices data plan"),
                _("Yes") if wizard.remove_data_plan else _("No"),
            )
        )
    return rows


def bulk_actions() -> Mapping[str, ActionKind]:
    return {kind: action for kind, action in ACTIONS.items() if action.bulk}

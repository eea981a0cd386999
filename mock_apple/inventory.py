"""A realistic device inventory for the mock organisation: models, colours, purchase orders."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

# Apple serial numbers since 2021 are 10 random characters without vowels-like ambiguity.
_SERIAL_ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Catalogue:
    model: str
    family: str
    os: str
    description: str  # as Apple's DEP API reports it, upper case
    colors: tuple[str, ...]
    weight: int  # how common it is in a school's fleet
    # The model as Apple's pages name it in the reader's language (the API keeps `model`).
    name: str | Promise = ""


CATALOGUE = (
    Catalogue(
        "iPad (10th generation)",
        "iPad",
        "iPadOS",
        "IPAD 10TH GEN WI-FI 64GB",
        ("SILVER", "BLUE", "PINK", "YELLOW"),
        40,
        pgettext_lazy("Apple device model", "iPad (10th generation)"),
    ),
    Catalogue(
        "iPad (9th generation)",
        "iPad",
        "iPadOS",
        "IPAD 9TH GEN WI-FI 64GB",
        ("SPACE GRAY", "SILVER"),
        25,
        pgettext_lazy("Apple device model", "iPad (9th generation)"),
    ),
    Catalogue(
        "iPad Air (5th generation)",
        "iPad",
        "iPadOS",
        "IPAD AIR 5TH GEN WI-FI 64GB",
        ("SPACE GRAY", "STARLIGHT", "PURPLE", "BLUE"),
        10,
        pgettext_lazy("Apple device model", "iPad Air (5th generation)"),
    ),
    Catalogue(
        "iPad mini (6th generation)",
        "iPad",
        "iPadOS",
        "IPAD MINI 6TH GEN WI-FI 64GB",
        ("SPACE GRAY", "PINK", "STARLIGHT"),
        8,
        pgettext_lazy("Apple device model", "iPad mini (6th generation)"),
    ),
    Catalogue(
        "iPad Pro 11-inch (4th generation)",
        "iPad",
        "iPadOS",
        "IPAD PRO 11 4TH GEN WI-FI 128GB",
        ("SPACE GRAY", "SILVER"),
        4,
        pgettext_lazy("Apple device model", "iPad Pro 11-inch (4th generation)"),
    ),
    Catalogue("iPhone 15", "iPhone", "iOS", "IPHONE 15 128GB", ("BLACK", "BLUE", "GREEN"), 6),
    Catalogue(
        "iPhone SE (3rd generation)",
        "iPhone",
        "iOS",
        "IPHONE SE 3RD GEN 64GB",
        ("MIDNIGHT", "STARLIGHT"),
        7,
        pgettext_lazy("Apple device model", "iPhone SE (3rd generation)"),
    ),
)


MODEL_NAMES = {item.model: item.name for item in CATALOGUE if item.name}

# Apple's colours as its pages name them in the reader's language, by the API's value. The
# portal has a deliberate twin (devices/apple_names.py): it may not import this service.
COLOR_NAMES: dict[str, str | Promise] = {
    "BLACK": pgettext_lazy("Apple device colour", "Black"),
    "BLUE": pgettext_lazy("Apple device colour", "Blue"),
    "GREEN": pgettext_lazy("Apple device colour", "Green"),
    "MIDNIGHT": pgettext_lazy("Apple device colour", "Midnight"),
    "PINK": pgettext_lazy("Apple device colour", "Pink"),
    "PURPLE": pgettext_lazy("Apple device colour", "Purple"),
    "SILVER": pgettext_lazy("Apple device colour", "Silver"),
    "SPACE GRAY": pgettext_lazy("Apple device colour", "Space Gray"),
    "STARLIGHT": pgettext_lazy("Apple device colour", "Starlight"),
    "YELLOW": pgettext_lazy("Apple device colour", "Yellow"),
}


def model_label(model: str) -> str:
    """A model's name on Apple's pages, in the reader's language (as stored when unknown)."""
    return str(MODEL_NAMES.get(model, model))


def color_label(color: str) -> str:
    """A colour on Apple's pages, in the reader's language ("SPACE GRAY" → « Gris sidéral »)."""
    known = COLOR_NAMES.get(color.strip().upper())
    return str(known) if known is not None else color.title()


def serial_number(rng: random.Random) -> str:
    return "".join(rng.choices(_SERIAL_ALPHABET, k=10))


def order_number(rng: random.Random) -> str:
    return f"MX{rng.randrange(10_000_000, 99_999_999)}"


@dataclass(frozen=True)
class PlannedDevice:
    serial_number: str
    model: str
    description: str
    color: str
    device_family: str
    os: str


@dataclass(frozen=True)
class PlannedOrder:
    order_number: str
    order_date: date
    devices: list[PlannedDevice]


def plan_orders(
    count: int,
    *,
    rng: random.Random,
    today: date,
    taken_serials: set[str],
    taken_orders: set[str],
) -> Iterator[PlannedOrder]:
    """Orders of 10 to 600 devices, one or two models each, over the last three years."""
    weights = [item.weight for item in CATALOGUE]
    remaining = count
    while remaining > 0:
        size = min(remaining, rng.randint(10, 600))
        number = order_number(rng)
        while number in taken_orders:
            number = order_number(rng)
        taken_orders.add(number)
        kinds = rng.choices(CATALOGUE, weights=weights, k=2)
        devices = []
        for index in range(size):
            kind = kinds[0] if index < size * 0.8 else kinds[1]
            serial = serial_number(rng)
            while serial in taken_serials:
                serial = serial_number(rng)
            taken_serials.add(serial)
            color = rng.choice(kind.colors)
            devices.append(
                PlannedDevice(
                    serial_number=serial,
                    model=kind.model,
                    description=f"{kind.description} {color}",
                    color=color,
                    device_family=kind.family,
                    os=kind.os,
                )
            )
        yield PlannedOrder(number, today - timedelta(days=rng.randint(1, 3 * 365)), devices)
        remaining -= size

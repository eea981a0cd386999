"""Apple's model names and colours in the reader's language."""

from __future__ import annotations

from django.utils import translation

from devices.apple_names import color_name, model_name


class AppleNamesTests:
    def test_known_names_follow_the_language(self) -> None:
        with translation.override("fr"):
            assert model_name("iPad Pro 11-inch (4th generation)") == "iPad Pro 11 pouces (4ᵉ génération)"
            assert color_name("SPACE GRAY") == "Gris sidéral"
            assert color_name("space gray") == "Gris sidéral"
        with translation.override("en"):
            assert model_name("iPad Pro 11-inch (4th generation)") == "iPad Pro 11-inch (4th generation)"
            assert color_name("STARLIGHT") == "Starlight"

    def test_unknown_names_are_shown_as_stored(self) -> None:
        with translation.override("fr"):
            assert model_name("iPad (42nd generation)") == "iPad (42nd generation)"
            assert color_name("ROSE GOLD") == "Rose Gold"

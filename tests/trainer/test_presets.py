"""The preset files: each loads, says what it holds, and scales down for tests."""

from __future__ import annotations

import pytest
from django.utils import translation

from trainer import presets
from trainer.presets import localized_value


class PresetTests:
    def test_every_file_loads_in_its_order(self) -> None:
        loaded = presets.presets()
        assert loaded and [preset.order for preset in loaded] == sorted(preset.order for preset in loaded)
        assert {preset.key for preset in loaded} >= {"empty-tenant", "token-ready", "large-district"}
        assert all(preset.name for preset in loaded)

    def test_a_preset_says_what_it_holds(self) -> None:
        large = presets.preset_get("large-district")
        assert large.apple_device_count == 50_000
        assert large.background
        assert not presets.preset_get("token-ready").background

    def test_scaled_keeps_at_least_one_device_per_line(self) -> None:
        large = presets.preset_get("large-district")
        assert large.scaled(0.01).apple_device_count == 500
        assert large.scaled(0.0).apple_device_count >= 1

    def test_an_unknown_key_is_not_found(self) -> None:
        with pytest.raises(presets.PresetNotFound):
            presets.preset_get("nope")


class LocalizedValueTests:
    def test_words_by_language_give_the_active_language_s(self) -> None:
        words = {"en": "District iPads", "fr": "iPad du district"}
        with translation.override("fr"):
            assert localized_value(words) == "iPad du district"
        with translation.override("de"):
            assert localized_value(words) == "District iPads"
        assert localized_value("Contoso IT") == "Contoso IT"
        assert localized_value(["a"]) == ["a"]
        assert localized_value({"count": 3}) == {"count": 3}

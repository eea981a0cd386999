"""Apple's Setup Assistant panes after activation: skip items, Shared iPad, OS ranges, family."""

from __future__ import annotations

from mock_apple.setup_panes import (
    CELLULAR,
    INTELLIGENCE,
    PANES,
    hardware_capabilities,
    panes_after_activation,
)


class SetupPanesTests:
    def test_skipped_panes_are_hidden_in_apples_order(self) -> None:
        shown = panes_after_activation({"skip_setup_items": ["Siri", "Privacy"]})
        assert "Siri" not in shown and "Privacy" not in shown
        assert shown == [key for key in (p.key for p in PANES) if key in shown]
        assert shown[0] == "Biometric" and shown[-1] == "Welcome"

    def test_a_shared_ipad_skips_every_pane(self) -> None:
        assert panes_after_activation({"is_multi_user": True, "skip_setup_items": []}) == []

    def test_os_ranges_for_ipados_18(self) -> None:
        shown = panes_after_activation(None, os_version="18.1")
        assert "Intelligence" in shown  # 18.0+
        assert "Zoom" not in shown and "DisplayTone" not in shown and "OnBoarding" not in shown
        assert (
            "WebContentFiltering" not in shown
            and "SafetyAndHandling" not in shown
            and "Multitasking" not in shown
        )
        older = panes_after_activation(None, os_version="16.4")
        assert "Zoom" in older and "Intelligence" not in older

    def test_iphone_only_panes_and_terms_of_address_by_language(self) -> None:
        assert "ActionButton" not in panes_after_activation(None, family="iPad")
        assert "ActionButton" in panes_after_activation(None, family="iPhone")
        assert "TermsOfAddress" in panes_after_activation(None, language="fr")
        assert "TermsOfAddress" not in panes_after_activation(None, language="en")

    def test_panes_that_need_hardware_the_device_lacks_are_not_shown(self) -> None:
        wifi_ipad = hardware_capabilities(
            model="iPad (10th generation)", description="IPAD 10TH GEN WI-FI 64GB BLUE", family="iPad"
        )
        assert wifi_ipad == frozenset()
        shown = panes_after_activation(None, capabilities=wifi_ipad)
        assert "SIMSetup" not in shown and "Intelligence" not in shown and "Siri" in shown

        air = hardware_capabilities(
            model="iPad Air (5th generation)", description="IPAD AIR 5TH GEN WI-FI 64GB BLUE", family="iPad"
        )
        assert air == {INTELLIGENCE}
        assert "Intelligence" in panes_after_activation(None, capabilities=air)

        iphone = hardware_capabilities(
            model="iPhone 15", description="IPHONE 15 128GB BLACK", family="iPhone"
        )
        assert iphone == {CELLULAR}
        assert "SIMSetup" in panes_after_activation(None, family="iPhone", capabilities=iphone)

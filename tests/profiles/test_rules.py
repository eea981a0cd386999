from __future__ import annotations

from dataclasses import replace

import pytest

from profiles.choices import Affinity, AuthMethod, Pairing, RulesEdition
from profiles.rules import (
    ProfileValues,
    check,
    name_template_errors,
    render_device_name,
    shared_ipad_affinity,
)

ARTICLE = RulesEdition.ARTICLE_2017
CURRENT = RulesEdition.CURRENT
BASE = ProfileValues(name="Student iPads", department="IT", department_phone="+1 425 555 0100")


def shared(edition: str = ARTICLE, **changes) -> ProfileValues:
    values = replace(
        BASE,
        shared_ipad=True,
        supervised=True,
        user_affinity=shared_ipad_affinity(edition),
        max_cached_users=6,
        await_final_configuration=shared_ipad_affinity(edition) == Affinity.WITH,
    )
    return replace(values, **changes)


class BasicsRulesTests:
    def test_it_accepts_a_plain_profile(self) -> None:
        outcome = check(BASE, edition=ARTICLE)
        assert outcome.ok, outcome.errors
        assert outcome.values == BASE

    def test_it_requires_a_name(self) -> None:
        assert "name" in check(replace(BASE, name="  "), edition=ARTICLE).errors

    def test_it_limits_the_name_to_apples_125_characters(self) -> None:
        assert check(replace(BASE, name="x" * 125), edition=ARTICLE).ok
        assert "name" in check(replace(BASE, name="x" * 126), edition=ARTICLE).errors


class SupervisionRulesTests:
    def test_locked_enrollment_requires_supervised(self) -> None:
        outcome = check(replace(BASE, locked_enrollment=True, supervised=False), edition=ARTICLE)
        assert outcome.errors["locked_enrollment"] == ["Locked enrollment requires Supervised mode."]
        assert check(replace(BASE, locked_enrollment=True, supervised=True), edition=ARTICLE).ok

    def test_company_portal_authentication_forces_supervised(self) -> None:
        values = replace(BASE, authentication_method=AuthMethod.COMPANY_PORTAL, supervised=False)
        outcome = check(values, edition=ARTICLE)
        assert outcome.ok
        assert outcome.values.supervised is True
        assert "Supervision is required" in str(outcome.notices[0])


class SharedIpadRulesTests:
    def test_the_article_requires_user_affinity(self) -> None:
        assert shared_ipad_affinity(ARTICLE) == Affinity.WITH
        assert check(shared(ARTICLE), edition=ARTICLE).ok
        outcome = check(shared(ARTICLE, user_affinity=Affinity.WITHOUT), edition=ARTICLE)
        assert outcome.errors["shared_ipad"] == [
            "Shared iPad requires Enroll with User Affinity and Supervised."
        ]

    def test_todays_intune_requires_no_user_affinity(self) -> None:
        assert shared_ipad_affinity(CURRENT) == Affinity.WITHOUT
        assert check(shared(CURRENT), edition=CURRENT).ok
        outcome = check(shared(CURRENT, user_affinity=Affinity.WITH), edition=CURRENT)
        assert "shared_ipad" in outcome.errors

    def test_it_requires_supervised(self) -> None:
        outcome = check(shared(ARTICLE, supervised=False), edition=ARTICLE)
        assert "shared_ipad" in outcome.errors

    @pytest.mark.parametrize("change", [{"user_affinity": Affinity.WITHOUT}, {"supervised": False}])
    def test_turning_a_dependency_off_later_switches_shared_ipad_off(self, change) -> None:
        previous = shared(ARTICLE)
        outcome = check(replace(previous, **change), edition=ARTICLE, previous=previous)
        assert outcome.ok, outcome.errors
        assert outcome.values.shared_ipad is False
        assert outcome.values.max_cached_users is None
        assert "Shared iPad was turned off" in str(outcome.notices[0])

    def test_max_cached_users_needs_a_sane_number(self) -> None:
        assert "max_cached_users" in check(shared(max_cached_users=None), edition=ARTICLE).errors
        assert "max_cached_users" in check(shared(max_cached_users=0), edition=ARTICLE).errors
        assert "max_cached_users" in check(shared(max_cached_users=25), edition=ARTICLE).errors
        assert check(shared(max_cached_users=24), edition=ARTICLE).ok

    def test_max_cached_users_is_void_without_shared_ipad(self) -> None:
        outcome = check(replace(BASE, max_cached_users=6), edition=ARTICLE)
        assert outcome.ok
        assert outcome.values.max_cached_users is None

    def test_temporary_session_only_voids_the_cached_user_settings(self) -> None:
        values = shared(
            temporary_session_only=True,
            passcode_grace_seconds=60,
            user_session_timeout=600,
            temporary_session_timeout=300,
        )
        outcome = check(values, edition=ARTICLE)
        assert outcome.ok
        assert (
            outcome.values.max_cached_users,
            outcome.values.passcode_grace_seconds,
            outcome.values.user_session_timeout,
        ) == (None, None, None)
        assert outcome.values.temporary_session_timeout == 300

    def test_the_temporary_session_timeout_needs_temporary_only(self) -> None:
        outcome = check(shared(temporary_session_timeout=300), edition=ARTICLE)
        assert outcome.values.temporary_session_timeout is None

    def test_timeouts_are_at_least_30_seconds(self) -> None:
        assert "user_session_timeout" in check(shared(user_session_timeout=10), edition=ARTICLE).errors
        assert check(shared(user_session_timeout=0), edition=ARTICLE).ok
        assert check(shared(user_session_timeout=30), edition=ARTICLE).ok

    def test_the_grace_period_takes_intunes_values(self) -> None:
        assert check(shared(passcode_grace_seconds=900), edition=ARTICLE).ok
        assert "passcode_grace_seconds" in check(shared(passcode_grace_seconds=90), edition=ARTICLE).errors

    def test_await_final_configuration_is_unavailable_without_affinity(self) -> None:
        outcome = check(shared(CURRENT, await_final_configuration=True), edition=CURRENT)
        assert "await_final_configuration" in outcome.errors


class AuthenticationRulesTests:
    def test_without_affinity_there_is_no_authentication(self) -> None:
        values = replace(
            BASE,
            user_affinity=Affinity.WITHOUT,
            authentication_method=AuthMethod.COMPANY_PORTAL,
            install_company_portal=True,
            vpp_token="vpp1",
            single_app_mode=True,
        )
        outcome = check(values, edition=ARTICLE)
        assert outcome.ok
        assert (
            outcome.values.authentication_method,
            outcome.values.install_company_portal,
            outcome.values.vpp_token,
            outcome.values.single_app_mode,
        ) == ("", False, "", False)

    def test_with_affinity_an_authentication_method_is_required(self) -> None:
        assert (
            "authentication_method" in check(replace(BASE, authentication_method=""), edition=ARTICLE).errors
        )

    def test_install_company_portal_belongs_to_legacy_setup_assistant(self) -> None:
        values = replace(BASE, authentication_method=AuthMethod.MODERN, install_company_portal=True)
        assert check(values, edition=ARTICLE).values.install_company_portal is False
        values = replace(BASE, authentication_method=AuthMethod.SETUP_ASSISTANT, install_company_portal=True)
        assert check(values, edition=ARTICLE).values.install_company_portal is True

    def test_single_app_mode_needs_company_portal_and_a_vpp_token(self) -> None:
        values = replace(BASE, authentication_method=AuthMethod.SETUP_ASSISTANT, single_app_mode=True)
        assert len(check(values, edition=ARTICLE).errors["single_app_mode"]) == 2
        values = replace(
            BASE, authentication_method=AuthMethod.COMPANY_PORTAL, single_app_mode=True, vpp_token="vpp1"
        )
        assert check(values, edition=ARTICLE).ok

    def test_todays_intune_keeps_the_affinity_of_an_existing_profile(self) -> None:
        previous = replace(BASE, user_affinity=Affinity.WITH)
        changed = replace(previous, user_affinity=Affinity.WITHOUT)
        assert "user_affinity" in check(changed, edition=CURRENT, previous=previous).errors
        assert check(changed, edition=ARTICLE, previous=previous).ok


class PairingRulesTests:
    def test_certificate_pairing_needs_a_certificate(self) -> None:
        values = replace(BASE, pairing=Pairing.BY_CERTIFICATE)
        assert "pairing" in check(values, edition=ARTICLE).errors
        assert check(values, edition=ARTICLE, certificate_count=1).ok

    def test_at_most_ten_certificates(self) -> None:
        values = replace(BASE, pairing=Pairing.BY_CERTIFICATE)
        assert check(values, edition=ARTICLE, certificate_count=10).ok
        assert "pairing" in check(values, edition=ARTICLE, certificate_count=11).errors

    def test_pairing_must_be_a_known_mode(self) -> None:
        assert "pairing" in check(replace(BASE, pairing="sometimes"), edition=ARTICLE).errors


class DeviceNameTemplateTests:
    def test_it_accepts_the_two_variables(self) -> None:
        assert name_template_errors("{{DEVICETYPE}}-{{SERIAL}}") == []

    @pytest.mark.parametrize(
        ("template", "fragment"),
        [
            ("", "Enter a device name template"),
            ("x" * 64, "at most 63"),
            ("{{SERIALNUMBER}}", "Unknown variable {{SERIALNUMBER}}"),
            ("{{serial}}", "Unknown variable {{serial}}"),
            ("iPad-{SERIAL}", "Braces must enclose a variable"),
            ("iPad-{{SERIAL}", "Braces must enclose a variable"),
            ("iPad\x07", "control characters"),
        ],
    )
    def test_it_rejects_bad_templates(self, template, fragment) -> None:
        assert any(fragment in error for error in name_template_errors(template))

    def test_it_is_checked_only_when_applied_and_needs_supervised(self) -> None:
        assert (
            check(replace(BASE, device_name_template="{{bad}}"), edition=ARTICLE).values.device_name_template
            == ""
        )
        values = replace(BASE, apply_device_name_template=True, device_name_template="{{bad}}")
        assert "device_name_template" in check(values, edition=ARTICLE).errors
        values = replace(
            BASE, apply_device_name_template=True, device_name_template="{{SERIAL}}", supervised=False
        )
        assert "apply_device_name_template" in check(values, edition=ARTICLE).errors

    def test_it_renders(self) -> None:
        assert (
            render_device_name("{{DEVICETYPE}}-{{SERIAL}}", serial="F9FXK1", device_type="iPad")
            == "iPad-F9FXK1"
        )


class OtherRulesTests:
    def test_cellular_data_plan_needs_a_url(self) -> None:
        assert (
            "carrier_activation_url" in check(replace(BASE, cellular_data_plan=True), edition=ARTICLE).errors
        )
        values = replace(
            BASE, cellular_data_plan=True, carrier_activation_url="https://carrier.example.com/activate"
        )
        assert check(values, edition=ARTICLE).ok
        assert (
            check(
                replace(BASE, carrier_activation_url="https://x"), edition=ARTICLE
            ).values.carrier_activation_url
            == ""
        )

    def test_todays_intune_requires_the_department_and_phone(self) -> None:
        values = replace(BASE, department="", department_phone="")
        assert check(values, edition=ARTICLE).ok
        assert {"department", "department_phone"} <= set(check(values, edition=CURRENT).errors)

    def test_hidden_screens_must_be_known(self) -> None:
        assert check(replace(BASE, hidden_screens=frozenset({"Siri", "Passcode"})), edition=ARTICLE).ok
        assert (
            "hidden_screens"
            in check(replace(BASE, hidden_screens=frozenset({"Nope"})), edition=ARTICLE).errors
        )

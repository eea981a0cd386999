"""Apple's limits on a profile's strings: one table for the form, the rules and the define call."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.forms import CharField
from django.test import Client

from profiles.apple_limits import APPLE_LIMITS, FIELD_LIMITS, body_over_limit
from profiles.choices import RulesEdition
from profiles.forms import ProfileForm
from profiles.models import EnrollmentProfile
from profiles.rules import check
from profiles.services import profile_apple_json, profile_define_on_apple
from tests.profiles.conftest import VALUES, profile_create
from tests.profiles.views.form_data import form_data
from tokens.dep_client import DepError


def test_the_table_holds_apples_limits() -> None:
    limits = {limit.key: limit.max_length for limit in APPLE_LIMITS}
    assert limits["department"] == 125 and limits["support_phone_number"] == 50
    assert (
        limits["profile_name"] == 125
        and limits["support_email_address"] == 250
        and limits["org_magic"] == 256
    )


@pytest.mark.parametrize("field", sorted(FIELD_LIMITS))
def test_the_form_and_the_rules_take_their_limits_from_it(field: str) -> None:
    longest = FIELD_LIMITS[field].max_length
    form_field = ProfileForm().fields[field]
    assert isinstance(form_field, CharField) and form_field.max_length == longest
    changes: dict[str, Any] = {field: "x" * longest}
    assert check(replace(VALUES, **changes), edition=RulesEdition.CURRENT).ok
    changes = {field: "x" * (longest + 1)}
    assert field in check(replace(VALUES, **changes), edition=RulesEdition.CURRENT).errors


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "longest"), [("department", 125), ("department_phone", 50)])
def test_the_form_refuses_a_value_apple_would_refuse(
    admin_client: Client, token, field: str, longest: int
) -> None:
    url = f"/enrollment/apple/tokens/{token.pk}/profiles/create/"
    response = admin_client.post(url, form_data(**{field: "x" * (longest + 1)}), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert f"au plus {longest} caractères" in response.content.decode()
    assert not EnrollmentProfile.objects.exists()
    assert admin_client.post(url, form_data(**{field: "x" * longest})).status_code == 302


@pytest.mark.django_db
def test_the_define_call_refuses_before_asking_apple(token) -> None:
    """A profile saved before the limits (200 characters of department) fails with Apple's own
    code, without a request that would fail the same way at every assignment."""
    profile = profile_create(token, department="x" * 200)
    over = body_over_limit(profile_apple_json(profile))
    assert over is not None and over.code == "DEPARTMENT_INVALID"
    with pytest.raises(DepError) as refused:
        profile_define_on_apple(profile=profile)
    assert refused.value.code == "DEPARTMENT_INVALID" and refused.value.status == 400
    profile.refresh_from_db()
    assert not profile.apple_profile_uuid

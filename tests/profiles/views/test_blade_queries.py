"""The profile blades' queries, pinned: a page of profiles with their assigned devices (from
the tallies, one query for the page) costs the same queries as one profile."""

from __future__ import annotations

import pytest

from tests.blade_queries import blade_read
from tests.devices.conftest import devices_create
from tests.profiles.conftest import profile_create, token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def profiles():
    found = []
    for number in range(3):
        token = token_create(f"Lycée {number}")
        for kind in range(5):
            profile = profile_create(token, name=f"Profil {number}-{kind}")
            devices_create(token, 2, prefix=f"T{number}P{kind}", assigned_profile=profile)
            found.append(profile)
    return found


def test_the_profiles_blade(admin_client, django_assert_max_num_queries, profiles) -> None:
    html = blade_read(admin_client, "/enrollment/apple/profiles/", django_assert_max_num_queries, 15)
    assert "Profil 2-4" in html
    blade_read(
        admin_client,
        "/enrollment/apple/profiles/?fragment=grid",
        django_assert_max_num_queries,
        14,
        htmx=True,
    )
    token = profiles[0].token
    blade_read(
        admin_client, f"/enrollment/apple/tokens/{token.pk}/profiles/", django_assert_max_num_queries, 15
    )


def test_a_profile_s_blade(admin_client, django_assert_max_num_queries, profiles) -> None:
    blade_read(
        admin_client, f"/enrollment/apple/profiles/{profiles[0].pk}/", django_assert_max_num_queries, 15
    )

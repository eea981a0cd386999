"""The shell's blades' queries, pinned: home, Devices › Enrollment, Apple enrollment."""

from __future__ import annotations

import pytest

from tests.blade_queries import blade_read
from tests.devices.conftest import devices_create, profile_create, token_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("url", "limit"), [("/", 15), ("/enrollment/", 15), ("/enrollment/apple/", 15)])
def test_a_blade(admin_client, django_assert_max_num_queries, url, limit) -> None:
    for number in range(3):
        token = token_create(f"Lycée {number}")
        devices_create(token, 4, prefix=f"T{number}", assigned_profile=profile_create(token))
    blade_read(admin_client, url, django_assert_max_num_queries, limit)
    blade_read(admin_client, url, django_assert_max_num_queries, limit, htmx=True)

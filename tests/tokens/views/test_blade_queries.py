"""The token blades' queries, pinned: a page of tokens with their device counts (from the
tallies, one query for the page) costs the same queries as one token."""

from __future__ import annotations

import pytest

from tests.blade_queries import blade_read
from tests.devices.conftest import devices_create, profile_create
from tests.tokens.conftest import make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(push_certificate):
    found = [make_token(token_name=f"Lycée {number}") for number in range(12)]
    for token in found[:4]:
        devices_create(token, 5, prefix=f"T{token.pk}N")
        devices_create(token, 3, prefix=f"T{token.pk}P", assigned_profile=profile_create(token))
    return found


def test_the_tokens_blade(admin_client, django_assert_max_num_queries, tokens) -> None:
    html = blade_read(admin_client, "/enrollment/apple/tokens/", django_assert_max_num_queries, 15)
    assert "Lycée 11" in html
    blade_read(
        admin_client, "/enrollment/apple/tokens/?fragment=grid", django_assert_max_num_queries, 14, htmx=True
    )


def test_a_token_s_blade(admin_client, django_assert_max_num_queries, tokens) -> None:
    blade_read(admin_client, f"/enrollment/apple/tokens/{tokens[0].pk}/", django_assert_max_num_queries, 15)

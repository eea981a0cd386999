"""School Data Sync's blades' queries, pinned, over an imported roster (24 people, their
schools, classes and memberships): a page of rows costs the same queries as one row."""

from __future__ import annotations

import pytest

from tests.blade_queries import blade_read

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/sds/", 15),
        ("/sds/profiles/", 15),
        ("/sds/schools/", 15),
        ("/sds/classes/", 15),
        ("/sds/people/", 15),
    ],
)
def test_a_blade(admin_client, django_assert_max_num_queries, imported_classic, url, limit) -> None:
    blade_read(admin_client, url, django_assert_max_num_queries, limit)
    blade_read(admin_client, f"{url}?fragment=grid", django_assert_max_num_queries, limit, htmx=True)

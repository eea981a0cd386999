"""The devices blades' queries, pinned: a page of 50 devices from three tokens and four
profiles costs the same few queries as a page of one (names come in two queries, the total
from the tallies), so an N+1 fails here."""

from __future__ import annotations

import pytest
from django.urls import reverse

from devices.models import EnrollmentState, ProfileStatus
from tests.blade_queries import blade_read
from tests.devices.conftest import devices_create, profile_create, token_create

pytestmark = pytest.mark.django_db

# The session, the user's tenant and role, the shell (notifications, preferences), then the
# blade's own reads: its page's ids, its rows, their token and profile names, its total.
LIMIT = 17


@pytest.fixture
def tokens():
    found = []
    for number in range(3):
        token = token_create(f"Lycée {number} - Intune")
        profiles = [profile_create(token, name=f"Profil {number}-{kind}") for kind in range(2)]
        for index, profile in enumerate(profiles):
            devices_create(
                token,
                10,
                prefix=f"T{number}P{index}",
                assigned_profile=profile,
                profile_status=ProfileStatus.ASSIGNED,
                enrollment_state=EnrollmentState.ENROLLED if index else EnrollmentState.NOT_CONTACTED,
            )
        devices_create(token, 5, prefix=f"T{number}N")
        found.append(token)
    return found


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=T1",
        "?state=enrolled",
        "?profile_status=assigned",
        "?profile=none",
        "?sort=profile",
        "?sort=token&dir=desc",
        "?sort=last_contacted",
        "?page=2",
    ],
)
def test_the_devices_blade_across_tokens(admin_client, django_assert_max_num_queries, tokens, query) -> None:
    # A sort by profile or token name reads the page group by group (devices.selectors.
    # _grouped_page_ids): the sizes, the names, then one index range per group on the page —
    # here 6 groups of 10 devices (profiles) or 2 of 25 (tokens). Known: a page of 50 groups of
    # one device would take 50 (bounded by the page's size, not by the devices).
    extra = {"?sort=profile": 6, "?sort=token&dir=desc": 3}.get(query, 0)
    url = reverse("devices:list") + query
    html = blade_read(admin_client, url, django_assert_max_num_queries, LIMIT + extra)
    assert "Lycée" in html
    joiner = "&" if query else "?"
    blade_read(
        admin_client,
        f"{url}{joiner}fragment=grid",
        django_assert_max_num_queries,
        LIMIT - 1 + extra,
        htmx=True,
    )


@pytest.mark.parametrize("query", ["", "?q=T0P", "?state=enrolled&sort=model", "?profile=none"])
def test_a_token_s_devices_grid(admin_client, django_assert_max_num_queries, tokens, query) -> None:
    url = reverse("devices:token_devices", args=[tokens[0].pk]) + query
    blade_read(admin_client, url, django_assert_max_num_queries, LIMIT + 1)
    joiner = "&" if query else "?"
    blade_read(admin_client, f"{url}{joiner}fragment=grid", django_assert_max_num_queries, LIMIT, htmx=True)


def test_a_profile_s_assignments_and_assign(admin_client, django_assert_max_num_queries, tokens) -> None:
    profile = tokens[1].profiles.order_by("pk").first()
    blade_read(
        admin_client,
        reverse("devices:profile_assignments", args=[profile.pk]),
        django_assert_max_num_queries,
        LIMIT,
    )
    blade_read(
        admin_client,
        reverse("devices:profile_assign", args=[profile.pk]) + "?show=any",
        django_assert_max_num_queries,
        LIMIT,
    )


def test_the_sync_blade(admin_client, django_assert_max_num_queries, tokens) -> None:
    blade_read(
        admin_client, reverse("devices:sync", args=[tokens[0].pk]), django_assert_max_num_queries, LIMIT
    )

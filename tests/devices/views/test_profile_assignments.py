"""A profile's « Device assignments » and its « Assign » blade (the article's step 5)."""

from __future__ import annotations

import pytest

from devices.assignment import profile_assign
from devices.models import AssignmentDevice, EnrollmentState, ProfileAssignment
from tests.conftest import HTMX
from tests.devices.conftest import devices_create, profile_create, token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile():
    return profile_create(token_create(), name="Élèves")


def serials(html: str) -> list[str]:
    return [part.split("<")[0] for part in html.split('<td class="mono-serial">')[1:]]


class ProfileAssignmentsTests:
    def url(self, profile) -> str:
        return f"/enrollment/apple/profiles/{profile.pk}/assignments/"

    def test_it_lists_the_profile_s_devices(self, admin_client, profile) -> None:
        devices_create(profile.token, 2, prefix="MINE", assigned_profile=profile)
        devices_create(profile.token, 2, prefix="FREE")
        body = admin_client.get(self.url(profile)).content.decode()
        assert "Élèves | Device assignments" in body and "Date assigned" in body
        assert serials(body) == ["MINE000000", "MINE000001"]
        assert f'href="{self.url(profile)}assign/"' in body

    def test_htmx_grid_fragment(self, admin_client, profile) -> None:
        devices_create(profile.token, 1, assigned_profile=profile)
        body = admin_client.get(self.url(profile) + "?fragment=grid", **HTMX).content.decode()
        assert "<html" not in body and 'id="grid"' in body

    def test_read_only_operators_cannot_assign(self, operator_client, profile) -> None:
        body = operator_client.get(self.url(profile)).content.decode()
        assert 'aria-disabled="true" title="Read-only operators cannot assign profiles."' in body

    def test_the_profile_detail_links_here(self, admin_client, profile) -> None:
        devices_create(profile.token, 3, assigned_profile=profile)
        body = admin_client.get(f"/enrollment/apple/profiles/{profile.pk}/").content.decode()
        assert f'href="{self.url(profile)}"' in body and ">3</a>" in body


class ProfileAssignTests:
    def url(self, profile) -> str:
        return f"/enrollment/apple/profiles/{profile.pk}/assignments/assign/"

    def test_it_lists_unassigned_devices_by_default(self, admin_client, profile) -> None:
        other = profile_create(profile.token, name="Professeurs")
        devices_create(profile.token, 2, prefix="FREE")
        devices_create(profile.token, 1, prefix="MINE", assigned_profile=profile)
        devices_create(profile.token, 1, prefix="THEIRS", assigned_profile=other)
        devices_create(profile.token, 1, prefix="GONE", removed_by_apple=True)
        body = admin_client.get(self.url(profile)).content.decode()
        assert serials(body) == ["FREE000000", "FREE000001"]
        assert "selects up to 1,000 listed devices" in body
        assert serials(admin_client.get(self.url(profile) + "?show=any").content.decode()) == [
            "FREE000000",
            "FREE000001",
            "MINE000000",
            "THEIRS000000",
        ]
        assert serials(admin_client.get(f"{self.url(profile)}?show={other.pk}").content.decode()) == [
            "THEIRS000000"
        ]

    def test_it_lists_one_thousand_devices_per_page(self, admin_client, profile) -> None:
        devices_create(profile.token, 1001)
        body = admin_client.get(self.url(profile)).content.decode()
        assert len(serials(body)) == 1000 and "DMPQ001000" not in body
        assert "Assign these 1,000, then repeat for the others." in body
        assert serials(admin_client.get(self.url(profile) + "?page=2").content.decode()) == ["DMPQ001000"]

    def test_assign_creates_the_assignment(
        self, admin_client, profile, django_capture_on_commit_callbacks
    ) -> None:
        devices_create(profile.token, 3)
        with django_capture_on_commit_callbacks():
            response = admin_client.post(self.url(profile), {"serial": ["DMPQ000000", "dmpq000002"]})
        assignment = ProfileAssignment.objects.get()
        assert (
            response.status_code == 302
            and response["Location"] == f"/enrollment/apple/assignments/{assignment.pk}/"
        )
        assert assignment.source == ProfileAssignment.Source.PROFILE
        assert sorted(AssignmentDevice.objects.values_list("serial_number", flat=True)) == [
            "DMPQ000000",
            "DMPQ000002",
        ]

    def test_the_1001st_device_cannot_be_assigned_in_one_go(self, admin_client, profile) -> None:
        devices_create(profile.token, 1001)
        response = admin_client.post(self.url(profile), {"serial": [f"DMPQ{n:06d}" for n in range(1001)]})
        body = response.content.decode()
        assert response.status_code == 200
        assert "at most 1,000 devices at a time" in body
        assert not ProfileAssignment.objects.exists()

    def test_serial_numbers_of_another_token_are_refused(self, admin_client, profile) -> None:
        devices_create(token_create("Other"), 1, prefix="OTHER")
        body = admin_client.post(self.url(profile), {"serial": ["OTHER000000"]}).content.decode()
        assert "OTHER000000 is not a device of the token" in body
        assert not ProfileAssignment.objects.exists()

    def test_nothing_selected(self, admin_client, profile) -> None:
        assert "Select at least one device." in admin_client.post(self.url(profile), {}).content.decode()

    def test_read_only_operators_are_refused(self, operator_client, profile) -> None:
        devices_create(profile.token, 1)
        assert operator_client.get(self.url(profile)).status_code == 403
        assert operator_client.post(self.url(profile), {"serial": ["DMPQ000000"]}).status_code == 403

    def test_other_methods(self, admin_client, profile) -> None:
        assert admin_client.put(self.url(profile)).status_code == 405


class AssignmentDetailTests:
    def test_it_polls_while_apple_has_not_answered(self, admin_client, admin_user, profile) -> None:

        devices_create(profile.token, 2)
        assignment = profile_assign(actor=admin_user, profile=profile, serials=["DMPQ000000", "DMPQ000001"])
        url = f"/enrollment/apple/assignments/{assignment.pk}/"
        body = admin_client.get(url).content.decode()
        assert "Intune is assigning the profile to 2 devices" in body and 'hx-trigger="every 2s"' in body
        fragment = admin_client.get(url + "?fragment=status", **HTMX).content.decode()
        assert "<html" not in fragment and 'id="assignment-status"' in fragment

    def test_it_shows_apple_s_answers(self, admin_client, operator_client, profile) -> None:
        from asm_portal import clock

        assignment = ProfileAssignment.objects.create(
            profile=profile,
            source="profile",
            state="completedWithErrors",
            requested_at=clock.now(),
            finished_at=clock.now(),
            device_count=3,
            succeeded=1,
            failed=1,
            not_accessible=1,
            reset_required=1,
        )
        for serial, status in (("OK1", "SUCCESS"), ("BAD1", "FAILED"), ("FAR1", "NOT_ACCESSIBLE")):
            AssignmentDevice.objects.create(assignment=assignment, serial_number=serial, status=status)
        body = operator_client.get(f"/enrollment/apple/assignments/{assignment.pk}/").content.decode()
        assert "assigned to 1 of 3 devices" in body
        assert "BAD1" in body and "FAR1" in body and "OK1" not in body
        assert "Reset required" in body
        assert "hx-trigger" not in body.split('id="assignment-status"')[1].split(">")[0]

    def test_unknown_assignment(self, admin_client) -> None:
        assert admin_client.get("/enrollment/apple/assignments/999/").status_code == 404


class ProfileCountsTests:
    def test_the_profile_list_counts_assigned_devices(self, admin_client, profile) -> None:
        devices_create(profile.token, 4, assigned_profile=profile)
        profile_create(profile.token, name="Empty")
        body = admin_client.get("/enrollment/apple/profiles/").content.decode()
        row = body.split("Élèves</a>")[1].split("</tr>")[0]
        assert '<td class="numeric">4</td>' in row
        empty = body.split("Empty</a>")[1].split("</tr>")[0]
        assert '<td class="numeric">0</td>' in empty

    def test_a_profile_with_devices_cannot_be_deleted(self, admin_client, profile) -> None:
        from profiles.models import EnrollmentProfile

        devices_create(profile.token, 2, assigned_profile=profile, enrollment_state=EnrollmentState.ENROLLED)
        response = admin_client.post(f"/enrollment/apple/profiles/{profile.pk}/delete/")
        assert "be deleted while 2 devices are assigned to it" in response.content.decode()
        assert EnrollmentProfile.objects.filter(pk=profile.pk).exists()

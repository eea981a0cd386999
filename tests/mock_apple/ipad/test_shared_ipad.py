"""Shared iPad: sign-in with a Managed Apple Account, cached users, guest sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mock_apple.ipad import setup_assistant, shared_ipad
from mock_apple.models import Person, SharedIPadUser, SignInFailure, VirtualDevice
from mock_apple.roster import passwords
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.ipad_fake import (
    ipad_with_profile,
    setup_to_wifi,
)
from tests.mock_apple.roster_records import imported, server_of

ADDRESS = "192.0.2.10"


@pytest.mark.django_db(databases=APPLE_DB)
class SharedIPadTests:
    def shared(self, organization, engine, **values) -> VirtualDevice:
        virtual, server = ipad_with_profile(organization, is_multi_user=True, **values)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        assert virtual.pane == "home"  # every pane after activation skipped
        return virtual

    def people(self, organization) -> list[Person]:
        imported(server_of(organization))
        return list(Person.objects.order_by("last_name"))

    def test_first_sign_in_changes_the_temporary_password(self, organization, engine) -> None:
        virtual = self.shared(organization, engine)
        person = self.people(organization)[0]
        shared_ipad.pick_person(virtual, person.pk)
        temporary = person.temporary_password
        assert not shared_ipad.sign_in(virtual, "wrong", address=ADDRESS).ok
        assert shared_ipad.sign_in(virtual, temporary, address=ADDRESS).must_change_password
        assert virtual.session_kind == ""
        assert shared_ipad.change_password(
            virtual, current=temporary, new="Blue-Sky-77", confirm="Blue-Sky-77", address=ADDRESS
        ).ok
        assert virtual.session_user is not None and virtual.session_user.person == person
        shared_ipad.sign_out(virtual)
        shared_ipad.pick_person(virtual, person.pk)
        assert shared_ipad.sign_in(virtual, "Blue-Sky-77", address=ADDRESS).ok

    def test_the_oldest_cached_user_is_evicted_beyond_the_maximum(self, organization, engine) -> None:
        virtual = self.shared(organization, engine, shared_ipad_maximum_user_count=2)
        people = self.people(organization)
        for person in people:
            passwords.person_password_change(person=person, password="Blue-Sky-77")
        evicted = []
        for person in people:
            shared_ipad.pick_person(virtual, person.pk)
            evicted.append(shared_ipad.sign_in(virtual, "Blue-Sky-77", address=ADDRESS).evicted)
            shared_ipad.sign_out(virtual)
        assert evicted == [(), (), (people[0].display_name,)]
        assert set(SharedIPadUser.objects.values_list("person_id", flat=True)) == {people[1].pk, people[2].pk}

    def test_temporary_session_only_allows_the_guest_alone(self, organization, engine) -> None:
        virtual = self.shared(organization, engine, shared_ipad_temporary_session_only=True)
        person = self.people(organization)[0]
        shared_ipad.pick_person(virtual, person.pk)
        assert not shared_ipad.sign_in(virtual, person.temporary_password, address=ADDRESS).ok
        shared_ipad.guest_session(virtual)
        assert virtual.session_kind == "guest"

    def test_wrong_passwords_lock_the_account_for_a_while(self, organization, engine, settings) -> None:
        """Five wrong passwords in fifteen minutes: the sixth attempt is refused without a look,
        the right password too; the limit decays as the failures age out of the window."""
        virtual = self.shared(organization, engine)
        person = self.people(organization)[0]
        passwords.person_password_change(person=person, password="Blue-Sky-77")
        shared_ipad.pick_person(virtual, person.pk)
        for _ in range(settings.SIGNIN_MAX_FAILURES):
            result = shared_ipad.sign_in(virtual, "wrong", address=ADDRESS)
            assert not result.ok and not result.locked
        assert shared_ipad.sign_in(virtual, "Blue-Sky-77", address=ADDRESS).locked
        # From another address: the account is still locked.
        assert shared_ipad.sign_in(virtual, "Blue-Sky-77", address="198.51.100.7").locked
        SignInFailure.objects.update(
            failed_at=timezone.now() - timedelta(seconds=settings.SIGNIN_LOCKOUT_SECONDS + 1)
        )
        assert shared_ipad.sign_in(virtual, "Blue-Sky-77", address=ADDRESS).ok
        # A right password clears the account's failures, not the address's.
        assert SignInFailure.objects.exists()

    def test_the_temporary_password_change_counts_too(self, organization, engine, settings) -> None:
        virtual = self.shared(organization, engine)
        person = self.people(organization)[0]
        shared_ipad.pick_person(virtual, person.pk)
        for _ in range(settings.SIGNIN_MAX_FAILURES):
            result = shared_ipad.change_password(
                virtual, current="wrong", new="Blue-Sky-77", confirm="Blue-Sky-77", address=ADDRESS
            )
            assert not result.ok and not result.locked
        temporary = person.temporary_password
        assert shared_ipad.change_password(
            virtual, current=temporary, new="Blue-Sky-77", confirm="Blue-Sky-77", address=ADDRESS
        ).locked

"""Shared iPad: the class and person pickers, sign-in with a Managed Apple Account (and the
first change of a temporary password), the cached users, guest sessions and sign-out."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from mock_apple import attempts, clock
from mock_apple.db import DB
from mock_apple.ipad import user_channel
from mock_apple.ipad.setup_assistant import save_fields
from mock_apple.models import (
    Person,
    RosterClass,
    SharedIPadUser,
    VirtualDevice,
)
from mock_apple.roster import passwords


def is_shared(virtual: VirtualDevice) -> bool:
    return bool((virtual.activation or {}).get("is_multi_user")) and virtual.device.device_family == "iPad"


def temporary_session_only(virtual: VirtualDevice) -> bool:
    return bool((virtual.activation or {}).get("shared_ipad_temporary_session_only"))


def maximum_users(virtual: VirtualDevice) -> int:
    value = (virtual.activation or {}).get("shared_ipad_maximum_user_count")
    return value if isinstance(value, int) and value > 0 else 10  # Apple's default


def signin_classes(virtual: VirtualDevice) -> list[RosterClass]:
    return list(RosterClass.objects.filter(organization=virtual.device.organization).order_by("display_name"))


def class_people(roster_class: RosterClass) -> list[Person]:
    people = {p.pk: p for p in roster_class.students.filter(is_active=True)}
    people.update({p.pk: p for p in roster_class.instructors.filter(is_active=True)})
    return sorted(people.values(), key=lambda p: (p.last_name, p.first_name, p.pk))


def pick_class(virtual: VirtualDevice, class_pk: int) -> VirtualDevice:
    found = RosterClass.objects.filter(pk=class_pk, organization=virtual.device.organization).first()
    virtual.signin_class, virtual.signin_person = found, None
    save_fields(virtual, "signin_class", "signin_person")
    return virtual


def pick_person(virtual: VirtualDevice, person_pk: int) -> VirtualDevice:
    found = Person.objects.filter(
        pk=person_pk, organization=virtual.device.organization, is_active=True
    ).first()
    virtual.signin_person = found
    save_fields(virtual, "signin_person")
    return virtual


def signin_back(virtual: VirtualDevice) -> VirtualDevice:
    if virtual.signin_person is not None:
        virtual.signin_person = None
    else:
        virtual.signin_class = None
    save_fields(virtual, "signin_class", "signin_person")
    return virtual


@dataclass(frozen=True)
class SignIn:
    ok: bool
    must_change_password: bool = False
    evicted: tuple[str, ...] = ()
    locked: bool = False  # too many wrong passwords: refused without a look at this one


def _attempt_subjects(person: Person, address: str) -> tuple[str, str]:
    return attempts.subjects(
        kind="shared-ipad", account=person.managed_apple_id or str(person.pk), address=address
    )


def sign_in(virtual: VirtualDevice, password: str, *, address: str) -> SignIn:
    """A Managed Apple Account signs in: the password (the temporary one must be changed first),
    then the user's partition, evicting the least recently used beyond the maximum. Wrong
    passwords count against the account and the address (`client` of mock_apple.attempts)."""
    person = virtual.signin_person
    if person is None or temporary_session_only(virtual):
        return SignIn(False)
    keys = _attempt_subjects(person, address)
    if attempts.locked(keys):
        return SignIn(False, locked=True)
    if not passwords.person_password_check(person=person, password=password):
        attempts.failure_record(keys)
        return SignIn(False)
    attempts.success_record(keys[0])
    if passwords.person_must_change_password(person):
        return SignIn(True, must_change_password=True)
    return SignIn(True, evicted=_session_open(virtual, person))


def change_password(virtual: VirtualDevice, *, current: str, new: str, confirm: str, address: str) -> SignIn:
    """The first sign-in with a temporary password: choose one (ValidationError if too weak).
    The current password counts against the same limit as the sign-in's."""
    person = virtual.signin_person
    if person is None:
        return SignIn(False, must_change_password=True)
    keys = _attempt_subjects(person, address)
    if attempts.locked(keys):
        return SignIn(False, must_change_password=True, locked=True)
    if not passwords.person_password_check(person=person, password=current):
        attempts.failure_record(keys)
        return SignIn(False, must_change_password=True)
    if new != confirm:
        return SignIn(False, must_change_password=True)
    attempts.success_record(keys[0])
    passwords.person_password_change(person=person, password=new)
    return SignIn(True, evicted=_session_open(virtual, person))


def _session_open(virtual: VirtualDevice, person: Person) -> tuple[str, ...]:
    now = clock.now()
    with transaction.atomic(using=DB):
        cached, created = SharedIPadUser.objects.get_or_create(
            virtual_device=virtual,
            person=person,
            defaults={"first_signed_in_at": now, "last_signed_in_at": now},
        )
        if not created:
            SharedIPadUser.objects.filter(pk=cached.pk).update(last_signed_in_at=now)
        evicted = list(SharedIPadUser.objects.filter(virtual_device=virtual)[maximum_users(virtual) :])
        SharedIPadUser.objects.filter(pk__in=[user.pk for user in evicted]).delete()
        virtual.session_kind, virtual.session_user = VirtualDevice.Session.USER, cached
        virtual.signin_class = virtual.signin_person = None
        save_fields(virtual, "session_kind", "session_user", "signin_class", "signin_person")
    # The user's own MDM channel opens with their TokenUpdate (once the sign-in is committed).
    user_channel.user_signed_in(virtual, person)
    return tuple(user.person.display_name for user in evicted)


def guest_session(virtual: VirtualDevice) -> VirtualDevice:
    virtual.session_kind, virtual.session_user = VirtualDevice.Session.GUEST, None
    save_fields(virtual, "session_kind", "session_user")
    return virtual


def sign_out(virtual: VirtualDevice) -> VirtualDevice:
    """Sign Out from the lock screen; a guest's data is erased, a user's stays cached."""
    virtual.session_kind, virtual.session_user, virtual.open_app = VirtualDevice.Session.NONE, None, ""
    virtual.signin_class = virtual.signin_person = None
    save_fields(virtual, "session_kind", "session_user", "open_app", "signin_class", "signin_person")
    return virtual

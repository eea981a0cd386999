"""The tenant's directory (Microsoft Entra ID, portal side): the users who sign in on devices.

Teachers and students sign in to Setup Assistant's web view (user affinity) and to the Company
Portal app with these accounts. Failed sign-ins count against the same lockout as the admin
center's (SIGNIN_MAX_FAILURES per SIGNIN_LOCKOUT_SECONDS).
"""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock
from asm_portal.refusals import Refusal
from asm_portal.services import signin_clear_failures, signin_is_locked, signin_record_failure
from devices.models import Device
from mdm.models import DirectoryUser

# A few teachers and students of the demo school (Contoso High School, as in the SDS samples),
# with the user names School Data Sync gives them.
DEMO_DIRECTORY_USERS = (
    # upn, display name, job title
    # (Job titles are stored in English; the Users blade translates them.)
    ("CBeane@contoso.onmicrosoft.com", "Craig Beane", gettext_noop("Teacher")),
    ("DTodd@contoso.onmicrosoft.com", "Daisy Todd", gettext_noop("Teacher")),
    ("OKlein@contoso.onmicrosoft.com", "Ora Klein", gettext_noop("Student")),
    ("BMcMillan@contoso.onmicrosoft.com", "Beulah McMillan", gettext_noop("Student")),
    ("FStark@contoso.onmicrosoft.com", "Florence Stark", gettext_noop("Student")),
    ("NGilbertson@contoso.onmicrosoft.com", "Noah Gilbertson", gettext_noop("Student")),
)


class DirectorySignInRefused(Refusal):
    """Wrong credentials, or too many of them (`locked`: the page answers 429)."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


def directory_users_seed(*, password: str, domain: str = "contoso.onmicrosoft.com") -> list[DirectoryUser]:
    """The demo directory users of the current tenant, in `domain` (a trainee's tenant has its
    own), all with `password` (idempotent)."""
    users = []
    hashed = make_password(password)
    for demo_upn, name, title in DEMO_DIRECTORY_USERS:
        upn = f"{demo_upn.split('@')[0]}@{domain}"
        fields = {"display_name": name, "job_title": title, "password": hashed, "enabled": True}
        user, _created = DirectoryUser.objects.update_or_create(
            upn=upn, defaults=fields, create_defaults={**fields, "created_at": clock.now()}
        )
        users.append(user)
    return users


def directory_user_find(upn: str) -> DirectoryUser | None:
    """User principal names are case-insensitive."""
    return DirectoryUser.objects.filter(upn__iexact=upn.strip(), enabled=True).first()


def directory_user_of(device: Device) -> DirectoryUser | None:
    """The directory user the device is enrolled to (its blade shows the name), if any."""
    if not device.enrolled_user_name:
        return None
    return DirectoryUser.objects.filter(upn__iexact=device.enrolled_user_name).first()


def directory_sign_in(*, upn: str, password: str, ip_address: str | None) -> DirectoryUser:
    """The directory user with these credentials; refused (and counted) otherwise."""
    upn = upn.strip()
    if not upn or not password:
        raise DirectorySignInRefused(_("Enter your account and password."))
    if signin_is_locked(username=upn, ip_address=ip_address):
        raise DirectorySignInRefused(
            _("Your account is temporarily locked to prevent unauthorized use. Try again later."), locked=True
        )
    user = directory_user_find(upn)
    if user is None or not check_password(password, user.password):
        signin_record_failure(username=upn, ip_address=ip_address)
        raise DirectorySignInRefused(_("Your account or password is incorrect."))
    signin_clear_failures(username=upn)
    return user

"""Attempt limits on passwords: the ASM portal's sign-in and a Shared iPad's password.

At most `settings.SIGNIN_MAX_FAILURES` failures per account and per client address within
`settings.SIGNIN_LOCKOUT_SECONDS` (5 in 15 minutes): beyond that, every attempt is refused
without its password being checked until the oldest failure of the window ages out, so the limit
decays by itself. Failures are rows of the mock's own database (`SignInFailure`), the truth
whatever happens to a cache, shared by every process of the service.

An account is the name that was typed, known or not: an unknown Managed Apple Account locks
after as many attempts, with the same message, as a real one, and the sign-in checks a password
hash either way (`password_check`), so neither the answer nor its timing says whether the
account exists. The real clock, never the mock's: a trainer moving an organisation's clock
should not lift a lock-out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from mock_apple.models import SignInFailure


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def subjects(*, kind: str, account: str, address: str) -> tuple[str, str]:
    """What one attempt counts against: the account (as typed, case-insensitively) and the
    client's address, each under `kind` (the ASM sign-in and Shared iPads count apart)."""
    return _subject(kind, "account", account.strip().lower()), _subject(kind, "address", address)


def _subject(kind: str, what: str, value: str) -> str:
    return f"{kind}:{what}:{hashlib.sha256(value.encode()).hexdigest()[:48]}"


def locked_message() -> str:
    """The one answer past the limit, for an account that exists or not, and for an address."""
    return _("Too many attempts. Wait a few minutes, then try again.")


def _window() -> timedelta:
    return timedelta(seconds=settings.SIGNIN_LOCKOUT_SECONDS)


def locked(keys: Iterable[str]) -> bool:
    """True when any of the subjects has used up its failures of the window."""
    since = timezone.now() - _window()
    return any(
        SignInFailure.objects.filter(subject=key, failed_at__gt=since).count() >= settings.SIGNIN_MAX_FAILURES
        for key in keys
    )


def failure_record(keys: Iterable[str]) -> None:
    now = timezone.now()
    SignInFailure.objects.bulk_create(SignInFailure(subject=key, failed_at=now) for key in keys)
    # Housekeeping on the way: failures that no window counts any more.
    SignInFailure.objects.filter(failed_at__lt=now - 2 * _window()).delete()


def success_record(account_key: str) -> None:
    """A right password clears the account's failures (not the address's: one account known
    to an attacker does not buy more guesses at the others)."""
    SignInFailure.objects.filter(subject=account_key).delete()


@cache
def _decoy_hash(hasher: str) -> str:
    """A hash of the hasher accounts are hashed with (keyed by it: tests use a faster one)."""
    return make_password("not the password of any account")


def password_check(password: str, encoded: str | None) -> bool:
    """`check_password`, and as long for no account at all (`encoded` None): a hash of the
    default hasher is checked either way, so the time taken says nothing of the account."""
    if encoded is None:
        check_password(password, _decoy_hash(settings.PASSWORD_HASHERS[0]))
        return False
    return check_password(password, encoded)

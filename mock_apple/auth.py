"""Who is signed in to the mock Apple portals, and what each Apple School Manager role may do.

The mock keeps no Django users: an AppleAccount id sits in the signed-cookie session, with a
digest of its password hash so that a password change signs every browser out.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from mock_apple import tenancy
from mock_apple.models import AppleAccount

SESSION_KEY = "apple_account_id"
HASH_KEY = "apple_account_hash"

F = TypeVar("F", bound=Callable[..., Any])

DEVICE_ROLES = {
    AppleAccount.Role.ADMINISTRATOR,
    AppleAccount.Role.SITE_MANAGER,
    AppleAccount.Role.DEVICE_ENROLLMENT_MANAGER,
}
# Who manages accounts (format, passwords, sign-in sheets); Apple's People Manager role too.
PEOPLE_ROLES = {AppleAccount.Role.ADMINISTRATOR, AppleAccount.Role.SITE_MANAGER}


class AppleHttpRequest(HttpRequest):
    account: AppleAccount


def _hash(account: AppleAccount) -> str:
    return salted_hmac("mock_apple.auth", account.password, algorithm="sha256").hexdigest()


def login(request: HttpRequest, account: AppleAccount) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = account.pk
    request.session[HASH_KEY] = _hash(account)


def logout(request: HttpRequest) -> None:
    request.session.flush()


def current_account(request: HttpRequest) -> AppleAccount | None:
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    account = AppleAccount.objects.select_related("organization").filter(pk=pk, is_active=True).first()
    if account is None or not constant_time_compare(request.session.get(HASH_KEY, ""), _hash(account)):
        return None
    return account


def account_required(view: F) -> F:
    """Every page of the mock portals needs a signed-in Apple account."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        account = current_account(request)
        if account is None:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('asm_signin')}?{query}")
        request.account = account  # type: ignore[attr-defined]
        # The page acts for the account's organisation: its clock, switches and faults.
        with tenancy.acting_for(account.organization_id):
            return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def can_manage_devices(account: AppleAccount) -> bool:
    return account.is_active and account.role in DEVICE_ROLES


def is_administrator(account: AppleAccount) -> bool:
    return account.is_active and account.role == AppleAccount.Role.ADMINISTRATOR


def can_manage_people(account: AppleAccount) -> bool:
    return account.is_active and account.role in PEOPLE_ROLES


def require_people_manager(account: AppleAccount | None) -> None:
    if account is not None and not can_manage_people(account):
        raise PermissionDenied("This Apple account cannot manage people.")


def require_device_manager(account: AppleAccount | None) -> None:
    """Services call this, so the rule holds whoever calls them (None: the DEP API or the CLI)."""
    if account is not None and not can_manage_devices(account):
        raise PermissionDenied("This Apple account cannot manage devices.")


def require_administrator(account: AppleAccount | None) -> None:
    if account is not None and not is_administrator(account):
        raise PermissionDenied("Only an Administrator can do this.")


def _role_required(require: Callable[[AppleAccount | None], None]) -> Callable[[F], F]:
    """A view decorator from a role check: the signed-in account must pass `require`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            require(request.account)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


device_manager_required = _role_required(require_device_manager)
people_manager_required = _role_required(require_people_manager)
administrator_required = _role_required(require_administrator)

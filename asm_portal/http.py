"""Typed requests for views (house style rule 2)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, User
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    user: User


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: trusting X-Forwarded-For would let anyone pick the address that the
    # sign-in rate limit counts. Deployments behind a proxy set it from the proxy.
    return request.META.get("REMOTE_ADDR") or None


def redirect_target_allowed(url: str, *, host: str, require_https: bool) -> bool:
    """A URL we may send a browser to: on `host` (or relative), http(s) only, no `//other`,
    `/\\other`, `javascript:` or control characters. Every `next` and return URL goes through here."""
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={host}, require_https=require_https
    )


def safe_next(request: HttpRequest, target: str | None, *, fallback: str) -> str:
    """Where to go back to: `target` (a `next` from the query or the form) when it stays on this
    site, else `fallback`."""
    if target and redirect_target_allowed(target, host=request.get_host(), require_https=request.is_secure()):
        return target
    return fallback


__all__ = [
    "AbstractBaseUser",
    "AuthenticatedHttpRequest",
    "HtmxHttpRequest",
    "client_ip",
    "redirect_target_allowed",
    "safe_next",
]

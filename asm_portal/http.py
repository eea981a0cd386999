"""Typed requests for views (house style rule 2)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    user: User


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: trusting X-Forwarded-For would let anyone pick the address that the
    # sign-in rate limit counts. Deployments behind a proxy set it from the proxy.
    return request.META.get("REMOTE_ADDR") or None


__all__ = [
    "AbstractBaseUser",
    "AuthenticatedHttpRequest",
    "HtmxHttpRequest",
    "client_ip",
]

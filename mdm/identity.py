"""Apple's device CA: what a device's MachineInfo signature must chain to
(mdm.enrollment_profile), fetched from Apple over HTTP when no trust anchor is configured
(a real iPad's certificate is issued by Apple at manufacture; in this emulator by the mock
Apple service)."""

from __future__ import annotations

import logging

import requests
from cryptography import x509
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

CA_PATH = "/deviceservices/ca.pem"
_CA_CACHE_KEY = "devices:apple-device-ca-pem"


class DeviceCaUnavailable(Exception):
    """Apple's device CA could not be fetched: the portal cannot tell devices apart."""


def ca_pem_fetch() -> bytes:
    """GET {APPLE_BASE_URL}/deviceservices/ca.pem (server to server): Apple's device CA, as PEM.

    The one place the CA comes from; `apple_device_ca` reads through this module-level name, so
    tests replace it (e.g. with a local CA) without touching the cache or the HTTP call.
    """
    url = f"{settings.APPLE_BASE_URL}{CA_PATH}"
    try:
        response = requests.get(url, timeout=settings.APPLE_HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException as error:
        raise DeviceCaUnavailable(f"{url}: {error}") from error
    return response.content


def apple_device_ca() -> x509.Certificate:
    """Apple's device CA, from the cache or fetched once (DEVICE_CA_CACHE_SECONDS)."""
    pem = cache.get(_CA_CACHE_KEY)
    if pem is None:
        pem = ca_pem_fetch()
        try:
            ca = x509.load_pem_x509_certificate(pem)
        except ValueError as error:
            raise DeviceCaUnavailable(f"Apple's device CA is not a PEM certificate: {error}") from error
        cache.set(_CA_CACHE_KEY, pem, settings.DEVICE_CA_CACHE_SECONDS)
        return ca
    return x509.load_pem_x509_certificate(pem)

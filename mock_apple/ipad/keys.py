"""The virtual iPad's private keys, loaded once per process (parsing a PEM key costs)."""

from __future__ import annotations

from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mock_apple.models import VirtualDevice


@lru_cache(maxsize=4096)
def _key(pem: str) -> rsa.RSAPrivateKey:
    # OpenSSL's RSA key check makes loading a 2048-bit key cost ~30-90 ms of CPU (a push's whole
    # budget on a busy machine): the served mock loads each device's key at its first session,
    # the benchmark process at enrollment. These keys are the device's own, made by its SCEP
    # key generation or read from a PKCS#12 payload (checked then) and kept in its own row, so
    # the check is skipped here, as `cryptography` allows for keys that are known good.
    key = serialization.load_pem_private_key(pem.encode(), password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA key")
    return key


@lru_cache(maxsize=4096)
def certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def device_key(virtual: VirtualDevice) -> rsa.RSAPrivateKey:
    """The hardware identity's key."""
    return _key(virtual.private_key)


def mdm_identity(virtual: VirtualDevice) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The identity the enrollment profile gave (SCEP or PKCS#12)."""
    return certificate(virtual.mdm_certificate_pem), _key(virtual.mdm_private_key)


def key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def certificate_pem(value: x509.Certificate) -> str:
    return value.public_bytes(serialization.Encoding.PEM).decode()

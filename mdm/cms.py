"""CMS (PKCS#7) as the MDM protocol uses it, with asn1crypto for the structures and
`cryptography` for every key operation — no DER written by hand.

- `cms_sign`: SignedData (RSA PKCS#1 v1.5, SHA-1 or SHA-256, signed attributes, optionally
  detached, extra signed attributes for SCEP);
- `cms_verify`: the single signer's signature over the content (or a detached body), with or
  without signed attributes, as iPads sign MachineInfo, `Mdm-Signature` and SCEP messages;
- `envelope_decrypt` / `envelope_encrypt`: EnvelopedData to an RSA recipient (AES-CBC, and
  3DES to decrypt what older clients send).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class CmsError(ValueError):
    """Not a well-formed CMS structure, or a signature / encryption that does not check out."""


class CmsUnsupportedAlgorithm(CmsError):
    """Well formed, but encrypted with an algorithm this side does not accept (SCEP's badAlg)."""


@dataclass
class Signed:
    content: bytes
    signer: x509.Certificate
    certificates: list[x509.Certificate] = field(default_factory=list)
    # Signed attributes by dotted OID: their first value, as DER.
    attributes: dict[str, bytes] = field(default_factory=dict)


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _issuer_and_serial(certificate: x509.Certificate) -> cms.IssuerAndSerialNumber:
    parsed = _asn1_certificate(certificate)
    return cms.IssuerAndSerialNumber({"issuer": parsed.issuer, "serial_number": parsed.serial_number})


def attribute(oid: str, value: core.Asn1Value) -> cms.CMSAttribute:
    """A signed attribute asn1crypto has no name for (SCEP's), by its dotted OID."""
    return cms.CMSAttribute({"type": oid, "values": [value]})


def _signed_attributes_der(signed_attrs: cms.CMSAttributes) -> bytes:
    # The signature covers the attributes' DER as a SET (tag 0x31), not as the [0] IMPLICIT
    # field they are in the SignerInfo (RFC 5652 §5.4).
    der: bytes = signed_attrs.dump()
    return b"\x31" + der[1:]


def cms_sign(
    *,
    content: bytes,
    certificate: x509.Certificate,
    key: rsa.RSAPrivateKey,
    digest: str = "sha256",
    detached: bool = False,
    extra_attributes: list[cms.CMSAttribute] | None = None,
    certificates: list[x509.Certificate] | None = None,
) -> bytes:
    """A ContentInfo(SignedData) of `content` (type data) signed by `certificate`'s key."""
    hash_type = DIGESTS[digest]
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": datetime.now(UTC)})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.new(digest, content).digest()]}),
            *(extra_attributes or []),
        ]
    )
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": _issuer_and_serial(certificate)}),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
            "signature": b"",
        }
    )
    to_sign = _signed_attributes_der(signer_info["signed_attrs"])
    signer_info["signature"] = key.sign(to_sign, asym_padding.PKCS1v15(), hash_type())
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest})],
            "encap_content_info": {"content_type": "data", "content": None if detached else content},
            "certificates": [_asn1_certificate(each) for each in [certificate, *(certificates or [])]],
            "signer_infos": [signer_info],
        }
    )
    encoded: bytes = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    return encoded


def _load(der: bytes, wanted: str) -> cms.ContentInfo:
    """The ContentInfo of `wanted` type. asn1crypto parses lazily: what the caller reads later
    may still be malformed, so callers read it inside `_parsing()`. (Converting the whole
    structure to Python values up front, `.native`, checked it all at once but cost more than
    the signature itself on every ServerURL request: every certificate's every field.)"""
    with _parsing(f"a CMS {wanted}"):
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != wanted:
            raise CmsError(f"not {wanted}")
        info["content"].contents  # noqa: B018 — the content is there
    return info


@contextmanager
def _parsing(what: str) -> Iterator[None]:
    """What asn1crypto raises on malformed DER, as CmsError."""
    try:
        yield
    except CmsError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as error:
        raise CmsError(f"not {what}: {error}") from None


def _verify_raw(certificate: x509.Certificate, signature: bytes, data: bytes, digest: str) -> bool:
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, asym_padding.PKCS1v15(), DIGESTS[digest]())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(DIGESTS[digest]()))
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def cms_verify(der: bytes, *, detached_content: bytes | None = None) -> Signed:
    """The content and the signer's certificate of a SignedData whose one signature checks out.

    The signer must be among the certificates the structure carries; who issued it is the
    caller's question (chain checks differ: Apple's device CA, the tenant's CA, self-signed).
    """
    signed_data = _load(der, "signed_data")["content"]
    with _parsing("a SignedData"):
        return _signed_verify(signed_data, detached_content)


def _signer_certificate(choices: list[asn1_x509.Certificate], sid: cms.SignerIdentifier) -> int | None:
    """The index of the certificate `sid` names (compared on asn1crypto's own parse: no
    certificate is serialised again to be compared).

    Issuers are compared on their DER first: a signer copies its certificate's issuer byte for
    byte, so the bytes almost always match, and Name equality (RFC 5280 string preparation of
    every attribute) cost a third of a ServerURL request's signature check; only names whose
    bytes differ are compared the RFC's way."""
    for index, parsed in enumerate(choices):
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if parsed.serial_number == wanted["serial_number"].native and (
                parsed.issuer.dump() == wanted["issuer"].dump() or parsed.issuer == wanted["issuer"]
            ):
                return index
        elif parsed.key_identifier == sid.chosen.native:
            return index
    return None


def _signed_verify(signed_data: cms.SignedData, detached_content: bytes | None) -> Signed:
    choices = [choice.chosen for choice in signed_data["certificates"] or [] if choice.name == "certificate"]
    signer_infos = list(signed_data["signer_infos"])
    if len(signer_infos) != 1:
        raise CmsError("exactly one signer is expected")
    signer_info = signer_infos[0]
    content = detached_content
    if content is None:
        content = signed_data["encap_content_info"]["content"].native
        if not isinstance(content, bytes):
            raise CmsError("no content")
    digest = signer_info["digest_algorithm"]["algorithm"].native
    if digest not in DIGESTS:
        raise CmsError(f"unsupported digest {digest}")
    index = _signer_certificate(choices, signer_info["sid"])
    if index is None:
        raise CmsError("the signer's certificate is not in the message")
    certificates = [certificate_load(parsed.dump()) for parsed in choices]
    signer = certificates[index]
    attributes: dict[str, bytes] = {}
    signed_attrs = signer_info["signed_attrs"]
    if signed_attrs is not None and len(signed_attrs):
        message_digest = None
        for attr in signed_attrs:
            values = attr["values"]
            first = values[0] if len(values) else None
            attributes[attr["type"].dotted] = first.dump() if first is not None else b""
            if attr["type"].native == "message_digest" and first is not None:
                message_digest = first.native
        if message_digest != hashlib.new(digest, content).digest():
            raise CmsError("the message digest does not match the content")
        data = _signed_attributes_der(signed_attrs)
    else:
        data = content
    if not _verify_raw(signer, signer_info["signature"].native, data, digest):
        raise CmsError("the signature does not verify")
    return Signed(content=content, signer=signer, certificates=certificates, attributes=attributes)


@lru_cache(maxsize=4096)
def certificate_load(der: bytes) -> x509.Certificate:
    """A DER certificate, parsed once per process: a device signs every request with the same
    identity certificate (x509.Certificate is immutable; ValueError for a malformed one)."""
    return x509.load_der_x509_certificate(der)


def printable(attributes: dict[str, bytes], oid: str) -> str:
    """A signed attribute's PrintableString value ('' when absent or another type)."""
    der = attributes.get(oid)
    if not der:
        return ""
    try:
        value = core.Asn1Value.load(der).native
    except ValueError:
        return ""
    return value if isinstance(value, str) else ""


def octets(attributes: dict[str, bytes], oid: str) -> bytes:
    der = attributes.get(oid)
    if not der:
        return b""
    try:
        value = core.Asn1Value.load(der).native
    except ValueError:
        return b""
    return value if isinstance(value, bytes) else b""


# --- EnvelopedData ---------------------------------------------------------------------------------


# The content encryptions a device may use (asn1crypto's names): AES-CBC and 3DES-CBC, as iPads
# send them. Single DES ("des") only where the caller allows it (SCEP_LEGACY_CLIENTS).
_CBC_CIPHERS = frozenset({"aes128_cbc", "aes192_cbc", "aes256_cbc", "tripledes_3key"})


def envelope_decrypt(der: bytes, *, key: rsa.RSAPrivateKey, allow_des: bool = False) -> bytes:
    """The content of an EnvelopedData encrypted to `key` (RSA key transport; AES-CBC or 3DES,
    single DES only with `allow_des`). Another cipher raises CmsUnsupportedAlgorithm."""
    enveloped = _load(der, "enveloped_data")["content"]
    with _parsing("an EnvelopedData"):
        return _envelope_open(enveloped, key, allow_des=allow_des)


def _envelope_open(enveloped: cms.EnvelopedData, key: rsa.RSAPrivateKey, *, allow_des: bool) -> bytes:
    recipients = [info.chosen for info in enveloped["recipient_infos"] if info.name == "ktri"]
    if not recipients:
        raise CmsError("no RSA recipient")
    content_info = enveloped["encrypted_content_info"]
    algorithm = content_info["content_encryption_algorithm"]
    ciphertext = content_info["encrypted_content"].native
    if not isinstance(ciphertext, bytes):
        raise CmsError("no encrypted content")
    name = algorithm["algorithm"].native
    if name not in _CBC_CIPHERS and not (name == "des" and allow_des):
        raise CmsUnsupportedAlgorithm(f"unsupported content encryption {name}")
    for recipient in recipients:
        try:
            content_key = key.decrypt(recipient["encrypted_key"].native, asym_padding.PKCS1v15())
        except ValueError:
            continue
        try:
            iv = algorithm.encryption_iv
            if name.startswith("aes"):
                cipher_algorithm: algorithms.AES | TripleDES = algorithms.AES(content_key)
            elif name == "tripledes_3key":
                cipher_algorithm = TripleDES(content_key)
            else:
                # Single DES is 3DES with K1 = K2 = K3 (the 8-byte key form is deprecated).
                cipher_algorithm = TripleDES(content_key * 3)
            decryptor = Cipher(cipher_algorithm, modes.CBC(iv)).decryptor()
            padded = decryptor.update(ciphertext) + decryptor.finalize()
            unpadder = padding.PKCS7(cipher_algorithm.block_size).unpadder()
            return unpadder.update(padded) + unpadder.finalize()
        except (ValueError, TypeError) as error:
            raise CmsError(f"cannot decrypt: {error}") from None
    raise CmsError("not encrypted to this key")


def envelope_encrypt(content: bytes, *, recipient: x509.Certificate) -> bytes:
    """A ContentInfo(EnvelopedData) of `content` to `recipient` (RSA PKCS#1 v1.5, AES-256-CBC)."""
    public_key = recipient.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise CmsError("the recipient's key is not RSA")
    content_key = os.urandom(32)
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(content) + padder.finalize()
    encryptor = Cipher(algorithms.AES(content_key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    enveloped = cms.EnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [
                cms.RecipientInfo(
                    {
                        "ktri": {
                            "version": "v0",
                            "rid": cms.RecipientIdentifier(
                                {"issuer_and_serial_number": _issuer_and_serial(recipient)}
                            ),
                            "key_encryption_algorithm": {"algorithm": "rsaes_pkcs1v15"},
                            "encrypted_key": public_key.encrypt(content_key, asym_padding.PKCS1v15()),
                        }
                    }
                )
            ],
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {"algorithm": "aes256_cbc", "parameters": iv},
                "encrypted_content": ciphertext,
            },
        }
    )
    encoded: bytes = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump()
    return encoded

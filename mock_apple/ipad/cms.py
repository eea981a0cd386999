"""CMS (RFC 5652) as the virtual iPad needs it: SignedData it makes (MachineInfo attached, the
Mdm-Signature detached, SCEP's PKCSReq with its attributes) and SignedData it checks (a signed
profile, SCEP's CertRep); EnvelopedData it makes (the PKCSReq's CSR, to the SCEP CA) and opens
(the CertRep's certificate). asn1crypto builds and parses the structures, `cryptography` signs,
verifies and ciphers: `cryptography` alone can neither add SCEP's signed attributes, verify CMS,
nor envelope with the triple DES and DES that SCEP servers still use (RFC 8894 §3.5.2)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as block_padding
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm, Cipher, modes
from cryptography.hazmat.primitives.ciphers.algorithms import AES

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class CmsError(ValueError):
    """Not a SignedData, or one whose signature does not hold."""


@dataclass(frozen=True)
class Verified:
    content: bytes
    signer: x509.Certificate
    certificates: list[x509.Certificate]
    # The signed attributes by dotted OID (SCEP's CertRep carries its status there).
    attributes: dict[str, core.Asn1Value]


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def sign(
    content: bytes,
    certificate: x509.Certificate,
    key: rsa.RSAPrivateKey,
    *,
    detached: bool = False,
    chain: list[x509.Certificate] | None = None,
    attributes: dict[str, core.Asn1Value] | None = None,
) -> bytes:
    """A DER ContentInfo(SignedData), SHA-256 RSA PKCS#1 v1.5, one signer by issuer and serial,
    the signed attributes contentType, messageDigest (and `attributes`, by dotted OID)."""
    parsed = asn1_x509.Certificate.load(der(certificate))
    signed_attrs = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
    ]
    for oid, value in (attributes or {}).items():
        signed_attrs.append(cms.CMSAttribute({"type": oid, "values": [value]}))
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": parsed.issuer,
                        "serial_number": parsed.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
            "signature": b"",
        }
    )
    # The signature covers the DER of the attributes as a SET (RFC 5652 §5.4), not [0] IMPLICIT.
    signer["signature"] = key.sign(
        b"\x31" + signer["signed_attrs"].dump()[1:], padding.PKCS1v15(), hashes.SHA256()
    )
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "data", "content": None if detached else content},
            "certificates": [asn1_x509.Certificate.load(der(each)) for each in [certificate, *(chain or [])]],
            "signer_infos": [signer],
        }
    )
    encoded: bytes = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    return encoded


def _verify_signature(
    public_key: object, signature: bytes, data: bytes, digest: type[hashes.HashAlgorithm]
) -> None:
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), digest())
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(digest()))
    else:
        raise CmsError("unsupported signer key")


def verify(body: bytes, *, detached_content: bytes | None = None) -> Verified:
    """Check a SignedData's one signer against the certificate it names inside the message.
    Trust in that certificate is the caller's business (a profile may be signed by anyone)."""
    try:
        info = cms.ContentInfo.load(body)
        if info["content_type"].native != "signed_data":
            raise CmsError("not a SignedData")
        signed = info["content"]
        content = detached_content
        if content is None:
            content = signed["encap_content_info"]["content"].native or b""
        certificates = [
            x509.load_der_x509_certificate(each.chosen.dump()) for each in signed["certificates"] or []
        ]
        signers = list(signed["signer_infos"])
        if len(signers) != 1:
            raise CmsError("not exactly one signer")
        signer_info = signers[0]
        sid = signer_info["sid"]
        if sid.name != "issuer_and_serial_number":
            raise CmsError("signer not named by issuer and serial")
        serial = sid.chosen["serial_number"].native
        signer = next((each for each in certificates if each.serial_number == serial), None)
        if signer is None:
            raise CmsError("the signer's certificate is not in the message")
        digest_name = signer_info["digest_algorithm"]["algorithm"].native
        digest = HASHES.get(digest_name)
        if digest is None:
            raise CmsError(f"unsupported digest {digest_name}")
        attributes: dict[str, core.Asn1Value] = {}
        signed_attrs = signer_info["signed_attrs"]
        if signed_attrs.native is not None and len(signed_attrs):
            for attribute in signed_attrs:
                attributes[attribute["type"].dotted] = attribute["values"][0]
            expected = attributes.get("1.2.840.113549.1.9.4")
            if expected is None or expected.native != hashlib.new(digest_name, content).digest():
                raise CmsError("the message digest does not match")
            data = b"\x31" + signed_attrs.dump()[1:]
        else:
            data = content
        _verify_signature(signer.public_key(), signer_info["signature"].native, data, digest)
    except (ValueError, TypeError, KeyError, InvalidSignature) as exc:
        if isinstance(exc, CmsError):
            raise
        raise CmsError(str(exc) or exc.__class__.__name__) from None
    return Verified(content=content, signer=signer, certificates=certificates, attributes=attributes)


def is_signed_data(body: bytes) -> bool:
    """A DER SignedData rather than a plain XML or binary plist."""
    return body[:1] == b"\x30"


# --- EnvelopedData (RFC 5652 §6) ----------------------------------------------------------------

# The content ciphers SCEP meets (RFC 8894 §3.5.2: AES128-CBC, triple DES-CBC, and single DES
# from CAs that advertise neither), by asn1crypto's name: the key length in bytes.
CONTENT_CIPHERS = {
    "aes128_cbc": 16,
    "aes192_cbc": 24,
    "aes256_cbc": 32,
    "tripledes_3key": 24,
    "des": 8,
}


def _cipher(name: str, key: bytes) -> BlockCipherAlgorithm:
    if name.startswith("aes"):
        return AES(key)
    # DES is triple DES with the same key thrice (EDE with K1 = K2 = K3).
    return TripleDES(key * 3 if name == "des" else key)


def envelope(content: bytes, recipient: x509.Certificate, cipher: str = "aes128_cbc") -> bytes:
    """A DER ContentInfo(EnvelopedData) of `content` for one RSA recipient named by issuer and
    serial, its content key encrypted with RSA PKCS#1 v1.5, the content with `cipher` in CBC."""
    public_key = recipient.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise CmsError("the recipient's key is not RSA")
    key = os.urandom(CONTENT_CIPHERS[cipher])
    algorithm = _cipher(cipher, key)
    iv = os.urandom(algorithm.block_size // 8)
    padder = block_padding.PKCS7(algorithm.block_size).padder()
    encryptor = Cipher(algorithm, modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padder.update(content) + padder.finalize()) + encryptor.finalize()
    parsed = asn1_x509.Certificate.load(der(recipient))
    enveloped = cms.EnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [
                cms.KeyTransRecipientInfo(
                    {
                        "version": "v0",
                        "rid": cms.RecipientIdentifier(
                            {
                                "issuer_and_serial_number": {
                                    "issuer": parsed.issuer,
                                    "serial_number": parsed.serial_number,
                                }
                            }
                        ),
                        "key_encryption_algorithm": {"algorithm": "rsaes_pkcs1v15"},
                        "encrypted_key": public_key.encrypt(key, padding.PKCS1v15()),
                    }
                )
            ],
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {"algorithm": cipher, "parameters": core.OctetString(iv)},
                "encrypted_content": encrypted,
            },
        }
    )
    encoded: bytes = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump()
    return encoded


def decrypt(body: bytes, recipient: x509.Certificate, key: rsa.RSAPrivateKey) -> bytes:
    """Open an EnvelopedData addressed to `recipient` (key transport by RSA PKCS#1 v1.5 or OAEP),
    whatever content cipher of CONTENT_CIPHERS the sender chose."""
    try:
        info = cms.ContentInfo.load(body)
        if info["content_type"].native != "enveloped_data":
            raise CmsError("not an EnvelopedData")
        enveloped = info["content"]
        serial = recipient.serial_number
        mine = [
            each.chosen
            for each in enveloped["recipient_infos"]
            if each.name == "ktri"
            and each.chosen["rid"].name == "issuer_and_serial_number"
            and each.chosen["rid"].chosen["serial_number"].native == serial
        ]
        if not mine:
            raise CmsError("not enveloped to this certificate")
        transport = mine[0]["key_encryption_algorithm"]["algorithm"].native
        if transport == "rsaes_pkcs1v15":
            content_key = key.decrypt(mine[0]["encrypted_key"].native, padding.PKCS1v15())
        elif transport == "rsaes_oaep":
            oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
            content_key = key.decrypt(mine[0]["encrypted_key"].native, oaep)
        else:
            raise CmsError(f"unsupported key transport {transport}")
        content_info = enveloped["encrypted_content_info"]
        name = content_info["content_encryption_algorithm"]["algorithm"].native
        if name not in CONTENT_CIPHERS:
            raise CmsError(f"unsupported content cipher {name}")
        if len(content_key) != CONTENT_CIPHERS[name]:
            raise CmsError("the content key has the wrong length")
        iv = content_info["content_encryption_algorithm"]["parameters"].native
        algorithm = _cipher(name, content_key)
        decryptor = Cipher(algorithm, modes.CBC(iv)).decryptor()
        padded = decryptor.update(content_info["encrypted_content"].native or b"") + decryptor.finalize()
        unpadder = block_padding.PKCS7(algorithm.block_size).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except (ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, CmsError):
            raise
        raise CmsError(str(exc) or exc.__class__.__name__) from None

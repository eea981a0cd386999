"""An MDM device client written from Apple's documentation and RFC 8894, for the protocol
tests: it speaks to the portal over real HTTP with plistlib, `cryptography` and asn1crypto, and
shares no code with the server (mdm.cms, mdm.scep are not imported).

- SCEP (RFC 8894): GetCACaps, GetCACert, PKCSReq / RenewalReq — a CSR with the challenge,
  enveloped to the CA (cryptography's PKCS7EnvelopeBuilder, or RFC 5652 by hand for a chosen
  content encryption), signed with a self-signed
  certificate of the same key, with the SCEP signed attributes (asn1crypto); the CertRep's
  signature is checked against the CA and its content decrypted (cryptography).
- Check-in and ServerURL: PUT of XML plists; the `Mdm-Signature` header is a base64 detached CMS
  SignedData over the exact body, SHA-256 or SHA-1 as devices sign.
"""

from __future__ import annotations

import base64
import hashlib
import os
import plistlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

CHECKIN_TYPE = "application/x-apple-aspen-mdm-checkin"
SCEP_OIDS = {
    "messageType": "2.16.840.1.113733.1.9.2",
    "pkiStatus": "2.16.840.1.113733.1.9.3",
    "failInfo": "2.16.840.1.113733.1.9.4",
    "senderNonce": "2.16.840.1.113733.1.9.5",
    "recipientNonce": "2.16.840.1.113733.1.9.6",
    "transactionID": "2.16.840.1.113733.1.9.7",
}
HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256}


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def enveloped_data(content: bytes, *, recipient: x509.Certificate, cipher: str) -> bytes:
    """A ContentInfo(EnvelopedData) of `content` to `recipient` (RFC 5652 §6: RSA PKCS#1 v1.5 key
    transport) with the content encryption named `cipher`, CBC with PKCS#7 padding. RC2 is not
    encrypted (random bytes): only its algorithm is looked at."""
    key_size, block = {"des": (8, 8), "tripledes_3key": (24, 8), "aes128_cbc": (16, 16), "rc2": (16, 8)}[
        cipher
    ]
    content_key, iv = os.urandom(key_size), os.urandom(block)
    padder = sym_padding.PKCS7(block * 8).padder()
    padded = padder.update(content) + padder.finalize()
    if cipher == "rc2":
        ciphertext = os.urandom(len(padded))
        parameters: core.Asn1Value = algos.Rc2Params({"rc2_parameter_version": 58, "iv": iv})
    else:
        algorithm: algorithms.AES | TripleDES = (
            algorithms.AES(content_key)
            if cipher.startswith("aes")
            else TripleDES(content_key * (24 // key_size))
        )
        encryptor = Cipher(algorithm, modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(padded) + encryptor.finalize()
        parameters = core.OctetString(iv)
    public_key = recipient.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    issuer = asn1_x509.Certificate.load(der(recipient))["tbs_certificate"]
    recipient_info = cms.RecipientInfo(
        name="ktri",
        value={
            "version": "v0",
            "rid": cms.RecipientIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": issuer["issuer"], "serial_number": issuer["serial_number"]},
            ),
            "key_encryption_algorithm": {"algorithm": "rsaes_pkcs1v15"},
            "encrypted_key": public_key.encrypt(content_key, padding.PKCS1v15()),
        },
    )
    enveloped = cms.EnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [recipient_info],
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {"algorithm": cipher, "parameters": parameters},
                "encrypted_content": ciphertext,
            },
        }
    )
    info: bytes = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump()
    return info


def self_signed(key: rsa.RSAPrivateKey, common_name: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def signed_data(
    content: bytes,
    certificate: x509.Certificate,
    key: rsa.RSAPrivateKey,
    *,
    digest: str = "sha256",
    detached: bool = False,
    attributes: dict[str, core.Asn1Value] | None = None,
    chain: list[x509.Certificate] | None = None,
) -> bytes:
    """RFC 5652 SignedData, one signer, signed attributes (contentType, messageDigest, + extra)."""
    parsed = asn1_x509.Certificate.load(der(certificate))
    attrs = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.new(digest, content).digest()]}),
    ]
    for oid, value in (attributes or {}).items():
        attrs.append(cms.CMSAttribute({"type": SCEP_OIDS.get(oid, oid), "values": [value]}))
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": {
                "issuer_and_serial_number": {"issuer": parsed.issuer, "serial_number": parsed.serial_number}
            },
            "digest_algorithm": {"algorithm": digest},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
            "signature": b"",
        }
    )
    to_sign = b"\x31" + signer["signed_attrs"].dump()[1:]
    signer["signature"] = key.sign(to_sign, padding.PKCS1v15(), HASHES[digest]())
    data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest})],
            "encap_content_info": {"content_type": "data", "content": None if detached else content},
            "certificates": [asn1_x509.Certificate.load(der(each)) for each in [certificate, *(chain or [])]],
            "signer_infos": [signer],
        }
    )
    encoded: bytes = cms.ContentInfo({"content_type": "signed_data", "content": data}).dump()
    return encoded


@dataclass
class CertRep:
    status: str
    fail_info: str
    certificate: x509.Certificate | None
    transaction_id: str
    recipient_nonce: bytes


class ScepClient:
    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        self.url = url
        self.session = session or requests.Session()

    def caps(self) -> list[str]:
        response = self.session.get(self.url, params={"operation": "GetCACaps"}, timeout=10)
        assert response.status_code == 200, response.text
        return response.text.split()

    def ca(self) -> x509.Certificate:
        response = self.session.get(self.url, params={"operation": "GetCACert"}, timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/x-x509-ca-cert"
        return x509.load_der_x509_certificate(response.content)

    def request(
        self,
        *,
        key: rsa.RSAPrivateKey,
        subject: x509.Name,
        challenge: str | None,
        message_type: str = "19",
        signer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None,
        encrypt_to: x509.Certificate | None = None,
        cipher: str = "",
        message_in_query: bool = False,
    ) -> tuple[requests.Response, CertRep | None]:
        """A PKIOperation. `cipher` (asn1crypto's name: "des", "tripledes_3key", "aes128_cbc",
        "rc2"): the content encryption of the EnvelopedData, cryptography's default otherwise.
        `message_in_query`: the message also repeated, raw, as the query's `message`."""
        ca = self.ca()
        builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
        if challenge is not None:
            builder = builder.add_attribute(x509.oid.AttributeOID.CHALLENGE_PASSWORD, challenge.encode())
        csr = builder.sign(key, hashes.SHA256())
        csr_der = csr.public_bytes(serialization.Encoding.DER)
        if cipher:
            enveloped = enveloped_data(csr_der, recipient=encrypt_to or ca, cipher=cipher)
        else:
            enveloped = (
                pkcs7.PKCS7EnvelopeBuilder()
                .set_data(csr_der)
                .add_recipient(encrypt_to or ca)
                .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
            )
        signing_cert, signing_key = signer or (self_signed(key, "SCEP requester"), key)
        transaction_id = hashlib.sha256(os.urandom(16)).hexdigest()
        nonce = os.urandom(16)
        message = signed_data(
            enveloped,
            signing_cert,
            signing_key,
            attributes={
                "messageType": core.PrintableString(message_type),
                "transactionID": core.PrintableString(transaction_id),
                "senderNonce": core.OctetString(nonce),
            },
        )
        params: dict[str, str | bytes] = {"operation": "PKIOperation"}
        if message_in_query:
            params["message"] = message
        response = self.session.post(
            self.url,
            params=params,
            data=message,
            headers={"Content-Type": "application/x-pki-message"},
            timeout=30,
        )
        if response.status_code != 200:
            return response, None
        assert response.headers["Content-Type"] == "application/x-pki-message"
        rep = self._cert_rep(response.content, ca, signing_cert, signing_key)
        assert rep.transaction_id == transaction_id and rep.recipient_nonce == nonce
        return response, rep

    @staticmethod
    def _cert_rep(
        body: bytes, ca: x509.Certificate, recipient: x509.Certificate, key: rsa.RSAPrivateKey
    ) -> CertRep:
        info = cms.ContentInfo.load(body)
        data = info["content"]
        signer = data["signer_infos"][0]
        attrs = {attr["type"].dotted: attr["values"][0] for attr in signer["signed_attrs"]}
        # The CertRep is signed by the CA.
        public_key = ca.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        digest = signer["digest_algorithm"]["algorithm"].native
        public_key.verify(
            signer["signature"].native,
            b"\x31" + signer["signed_attrs"].dump()[1:],
            padding.PKCS1v15(),
            HASHES[digest](),
        )

        def text(name: str) -> str:
            value = attrs.get(SCEP_OIDS[name])
            return value.parse(core.PrintableString).native if value is not None else ""

        certificate = None
        if text("pkiStatus") == "0":
            enveloped = data["encap_content_info"]["content"].native
            degenerate = pkcs7.pkcs7_decrypt_der(enveloped, recipient, key, [])
            certificate = pkcs7.load_der_pkcs7_certificates(degenerate)[0]
        nonce = attrs[SCEP_OIDS["recipientNonce"]].parse(core.OctetString).native
        return CertRep(text("pkiStatus"), text("failInfo"), certificate, text("transactionID"), nonce)


@dataclass
class MdmDevice:
    """A device enrolled with an identity certificate; it PUTs check-ins and ServerURL reports."""

    udid: str
    serial_number: str
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    checkin_url: str
    server_url: str
    topic: str = ""
    digest: str = "sha256"
    session: requests.Session = field(default_factory=requests.Session)
    token: bytes = field(default_factory=lambda: os.urandom(32))
    push_magic: str = field(default_factory=lambda: str(uuid.uuid4()).upper())

    def signature(self, body: bytes) -> str:
        return base64.b64encode(
            signed_data(body, self.certificate, self.key, digest=self.digest, detached=True)
        ).decode()

    def put(
        self, url: str, message: dict[str, Any], *, content_type: str | None = None, **headers: str
    ) -> requests.Response:
        body = plistlib.dumps(message)
        sent_headers = {"Mdm-Signature": self.signature(body), **headers}
        if content_type:
            sent_headers["Content-Type"] = content_type
        return self.session.put(url, data=body, headers=sent_headers, timeout=30)

    def checkin(self, message_type: str, **fields: Any) -> requests.Response:
        message = {"MessageType": message_type, "UDID": self.udid, "Topic": self.topic, **fields}
        return self.put(self.checkin_url, message, content_type=CHECKIN_TYPE)

    def authenticate(self) -> requests.Response:
        return self.checkin(
            "Authenticate",
            SerialNumber=self.serial_number,
            OSVersion="18.1",
            BuildVersion="22B83",
            ProductName="iPad13,18",
        )

    def token_update(self, **fields: Any) -> requests.Response:
        return self.checkin(
            "TokenUpdate",
            Token=self.token,
            PushMagic=self.push_magic,
            UnlockToken=b"unlock-" + self.token,
            **fields,
        )

    def report(self, status: str, command_uuid: str | None = None, **fields: Any) -> requests.Response:
        message: dict[str, Any] = {"UDID": self.udid, "Status": status, **fields}
        if command_uuid:
            message["CommandUUID"] = command_uuid
        return self.put(self.server_url, message)

    @staticmethod
    def command_of(response: requests.Response) -> dict[str, Any] | None:
        assert response.status_code == 200, (response.status_code, response.text)
        if not response.content:
            return None
        command: dict[str, Any] = plistlib.loads(response.content)
        return command

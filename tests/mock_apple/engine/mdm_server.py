"""A minimal MDM server written from Apple's documentation (and RFC 8894 for SCEP), for the
virtual iPad's engine tests: not the portal, no Django, a WSGI app on wsgiref in a thread.

- POST /enroll: a CMS-signed MachineInfo (signer issued by the device CA it is given) → the
  enrollment profile (root, SCEP or PKCS#12 identity, com.apple.mdm), signed by its CA, typed
  application/x-apple-aspen-config.
- /scep: GetCACaps, GetCACert, PKIOperation (PKCSReq with the challenge → CertRep).
- PUT /checkin (Authenticate, TokenUpdate, CheckOut), PUT /connect (Idle, replies → next command
  of its queue, or an empty 200). Every message is checked: Mdm-Signature, and Apple's schemas.
"""

from __future__ import annotations

import base64
import hashlib
import os
import plistlib
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from tests.mdm import apple_schema
from tests.mdm.mdm_client import SCEP_OIDS, der, signed_data

TOPIC = "com.apple.mgmt.External.5f3a6c7e-2b1d-4e8f-9a0b-1c2d3e4f5a6b"
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _ca(name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _des_key(key: bytes) -> bytes:
    # Single DES is triple DES (EDE) with one key thrice.
    return key * 3 if len(key) == 8 else key


def legacy_envelope(content: bytes, recipient: x509.Certificate, cipher: str) -> bytes:
    """EnvelopedData (RFC 5652 §6.1) with DES-CBC or DES-EDE3-CBC, the ciphers SCEP CAs without
    AES answer with (RFC 8894 §3.5.2); key transport RSA PKCS#1 v1.5 to issuer and serial."""
    key = os.urandom(8 if cipher == "des" else 24)
    iv = os.urandom(8)
    pad = 8 - len(content) % 8
    encryptor = Cipher(TripleDES(_des_key(key)), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(content + bytes([pad]) * pad) + encryptor.finalize()
    public_key = recipient.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    parsed = asn1_x509.Certificate.load(der(recipient))
    recipient_info = cms.KeyTransRecipientInfo(
        {
            "version": "v0",
            "rid": cms.RecipientIdentifier(
                {"issuer_and_serial_number": {"issuer": parsed.issuer, "serial_number": parsed.serial_number}}
            ),
            "key_encryption_algorithm": {"algorithm": "rsaes_pkcs1v15"},
            "encrypted_key": public_key.encrypt(key, padding.PKCS1v15()),
        }
    )
    enveloped = cms.EnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [recipient_info],
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {
                    "algorithm": "des" if cipher == "des" else "tripledes_3key",
                    "parameters": core.OctetString(iv),
                },
                "encrypted_content": encrypted,
            },
        }
    )
    encoded: bytes = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump()
    return encoded


def cms_verify(body: bytes, detached: bytes | None = None) -> tuple[bytes, x509.Certificate, dict[str, Any]]:
    """RFC 5652 SignedData: one signer, the signature over the signed attributes, whose
    messageDigest matches the content. Returns (content, signer, attributes by dotted OID)."""
    info = cms.ContentInfo.load(body)
    assert info["content_type"].native == "signed_data"
    signed = info["content"]
    content = detached if detached is not None else signed["encap_content_info"]["content"].native
    signer_info = signed["signer_infos"][0]
    serial = signer_info["sid"].chosen["serial_number"].native
    certificates = [x509.load_der_x509_certificate(each.chosen.dump()) for each in signed["certificates"]]
    signer = next(each for each in certificates if each.serial_number == serial)
    digest = signer_info["digest_algorithm"]["algorithm"].native
    attributes = {attr["type"].dotted: attr["values"][0] for attr in signer_info["signed_attrs"]}
    assert attributes["1.2.840.113549.1.9.4"].native == hashlib.new(digest, content).digest()
    public_key = signer.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(
        signer_info["signature"].native,
        b"\x31" + signer_info["signed_attrs"].dump()[1:],
        padding.PKCS1v15(),
        {"sha1": hashes.SHA1, "sha256": hashes.SHA256}[digest](),
    )
    return content, signer, attributes


@dataclass
class Device:
    udid: str
    certificate: x509.Certificate
    token: bytes = b""
    push_magic: str = ""
    awaiting: bool = False
    checked_out: bool = False
    # Shared iPad: UserShortName → (Token, PushMagic) of each user channel.
    user_channels: dict[str, tuple[bytes, str]] = field(default_factory=dict)


@dataclass
class MinimalMdm:
    device_ca: x509.Certificate  # the mock Apple iPhone Device CA, to check MachineInfo
    identity: str = "scep"  # or "pkcs12"
    await_configured: bool = False
    sign_profile: bool = True
    # The DEP profile it defined makes Shared iPads (their check-ins are checked as such).
    is_multi_user: bool = False
    base_url: str = ""
    ca_key: rsa.RSAPrivateKey = field(init=False)
    ca: x509.Certificate = field(init=False)
    challenge: str = field(default_factory=lambda: uuid.uuid4().hex)
    # RFC 8894 §3.5.2: what GetCACaps advertises, and the cipher the CertRep is enveloped with
    # (CAs answer with triple DES or single DES, whatever the request used).
    scep_caps: str = "POSTPKIOperation\nSHA-256\nAES\nSCEPStandard\n"
    cert_rep_cipher: str = "aes128_cbc"
    # The content cipher of each PKCSReq the device sent.
    request_ciphers: list[str] = field(default_factory=list)
    queue: deque[dict[str, Any]] = field(default_factory=deque)
    devices: dict[str, Device] = field(default_factory=dict)
    # Every message the device sent: (path, plist), and every schema complaint.
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    machine_infos: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.ca_key, self.ca = _ca("Minimal MDM CA")

    # --- The profile ---------------------------------------------------------------------

    def _payload(self, kind: str, name: str, **keys: Any) -> dict[str, Any]:
        return {
            "PayloadType": kind,
            "PayloadVersion": 1,
            "PayloadIdentifier": f"test.minimal-mdm.{name}",
            "PayloadUUID": str(uuid.uuid4()).upper(),
            "PayloadDisplayName": name,
            **keys,
        }

    def _pkcs12(self) -> bytes:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "minimal-mdm-device")]))
            .issuer_name(self.ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=30))
            .sign(self.ca_key, hashes.SHA256())
        )
        return pkcs12.serialize_key_and_certificates(
            b"device", key, certificate, None, serialization.BestAvailableEncryption(b"secret")
        )

    def enrollment_profile(self) -> dict[str, Any]:
        if self.identity == "scep":
            identity = self._payload(
                "com.apple.security.scep",
                "scep",
                PayloadContent={
                    "URL": f"{self.base_url}/scep",
                    "Name": "minimal",
                    "Subject": [[["CN", "minimal-mdm-device"]], [["O", "Minimal MDM"]]],
                    "Challenge": self.challenge,
                    "Keysize": 2048,
                    "Key Type": "RSA",
                    "Key Usage": 5,
                },
            )
        else:
            identity = self._payload(
                "com.apple.security.pkcs12", "identity", PayloadContent=self._pkcs12(), Password="secret"
            )
        return {
            "PayloadType": "Configuration",
            "PayloadVersion": 1,
            "PayloadIdentifier": "test.minimal-mdm",
            "PayloadUUID": str(uuid.uuid4()).upper(),
            "PayloadDisplayName": "Minimal MDM",
            "PayloadOrganization": "Minimal MDM Inc.",
            "PayloadContent": [
                self._payload("com.apple.security.root", "ca", PayloadContent=der(self.ca)),
                identity,
                self._payload(
                    "com.apple.mdm",
                    "mdm",
                    ServerURL=f"{self.base_url}/connect",
                    CheckInURL=f"{self.base_url}/checkin",
                    Topic=TOPIC,
                    IdentityCertificateUUID=identity["PayloadUUID"],
                    SignMessage=True,
                    AccessRights=8191,
                    CheckOutWhenRemoved=True,
                    ServerCapabilities=["com.apple.mdm.per-user-connections"],
                ),
            ],
        }

    def profile_bytes(self) -> bytes:
        profile = self.enrollment_profile()
        errors = apple_schema.validate_profile(profile)
        assert not errors, errors
        body = plistlib.dumps(profile)
        return signed_data(body, self.ca, self.ca_key) if self.sign_profile else body

    # --- Requests ------------------------------------------------------------------------

    def app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        query = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            with self.lock:
                status, headers, answer = self.route(method, path, query, body, environ)
        except Exception as exc:  # a test server: record what broke and answer 400
            self.errors.append(f"{method} {path}: {exc!r}")
            status, headers, answer = 400, [("Content-Type", "text/plain")], b"bad request"
        start_response(f"{status} X", headers)
        return [answer]

    def route(
        self, method: str, path: str, query: dict[str, str], body: bytes, environ: dict[str, Any]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if path == "/enroll" and method == "POST":
            return self.enroll(body)
        if path == "/scep":
            return self.scep(query, body)
        if path in ("/checkin", "/connect") and method == "PUT":
            message = self.authenticated(body, environ)
            self.received.append((path, message))
            return self.checkin(message, environ) if path == "/checkin" else self.connect(message)
        return 404, [], b""

    def enroll(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        content, signer, _ = cms_verify(body)
        signer.verify_directly_issued_by(self.device_ca)
        info = plistlib.loads(content)
        errors = apple_schema.validate_keys(
            info, apple_schema.schema("other/machineinfo.yaml")["payloadkeys"]
        )
        self.errors += [f"MachineInfo: {each}" for each in errors]
        self.machine_infos.append(info)
        return 200, [("Content-Type", "application/x-apple-aspen-config")], self.profile_bytes()

    def scep(self, query: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        operation = query.get("operation")
        if operation == "GetCACaps":
            return 200, [("Content-Type", "text/plain")], self.scep_caps.encode()
        if operation == "GetCACert":
            return 200, [("Content-Type", "application/x-x509-ca-cert")], der(self.ca)
        assert operation == "PKIOperation"
        # Without POSTPKIOperation the message comes base64 in the query (RFC 8894 §4.1).
        enveloped, requester, attributes = cms_verify(body or base64.b64decode(query["message"]))

        def text(name: str) -> str:
            return str(attributes[SCEP_OIDS[name]].parse(core.PrintableString).native)

        assert text("messageType") == "19"
        csr = x509.load_der_x509_csr(self.envelope_open(enveloped))
        challenge = csr.attributes.get_attribute_for_oid(x509.oid.AttributeOID.CHALLENGE_PASSWORD).value
        nonce = attributes[SCEP_OIDS["senderNonce"]].parse(core.OctetString).native
        reply: dict[str, core.Asn1Value] = {
            "messageType": core.PrintableString("3"),
            "transactionID": core.PrintableString(text("transactionID")),
            "recipientNonce": core.OctetString(nonce),
            "senderNonce": core.OctetString(uuid.uuid4().bytes),
        }
        if challenge != self.challenge.encode():
            reply |= {"pkiStatus": core.PrintableString("2"), "failInfo": core.PrintableString("2")}
            return (
                200,
                [("Content-Type", "application/x-pki-message")],
                signed_data(b"", self.ca, self.ca_key, attributes=reply),
            )
        now = datetime.now(UTC)
        issued = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.ca.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365))
            .sign(self.ca_key, hashes.SHA256())
        )
        degenerate = pkcs7.serialize_certificates([issued], serialization.Encoding.DER)
        content = (
            pkcs7.PKCS7EnvelopeBuilder()
            .set_data(degenerate)
            .add_recipient(requester)
            .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
            if self.cert_rep_cipher == "aes128_cbc"
            else legacy_envelope(degenerate, requester, self.cert_rep_cipher)
        )
        reply["pkiStatus"] = core.PrintableString("0")
        return (
            200,
            [("Content-Type", "application/x-pki-message")],
            signed_data(content, self.ca, self.ca_key, attributes=reply),
        )

    def envelope_open(self, enveloped: bytes) -> bytes:
        """The PKCSReq's CSR: `cryptography` opens AES, RFC 5652 by hand the DES family."""
        info = cms.ContentInfo.load(enveloped)
        encrypted = info["content"]["encrypted_content_info"]
        cipher = encrypted["content_encryption_algorithm"]["algorithm"].native
        self.request_ciphers.append(cipher)
        if cipher.startswith("aes"):
            return pkcs7.pkcs7_decrypt_der(enveloped, self.ca, self.ca_key, [])
        recipient = info["content"]["recipient_infos"][0].chosen
        content_key = self.ca_key.decrypt(recipient["encrypted_key"].native, padding.PKCS1v15())
        iv = encrypted["content_encryption_algorithm"]["parameters"].native
        decryptor = Cipher(TripleDES(_des_key(content_key)), modes.CBC(iv)).decryptor()
        padded = decryptor.update(encrypted["encrypted_content"].native) + decryptor.finalize()
        return padded[: -padded[-1]]

    def authenticated(self, body: bytes, environ: dict[str, Any]) -> dict[str, Any]:
        """Mdm-Signature: a detached SignedData over the exact body by a certificate of our CA."""
        signature = base64.b64decode(environ["HTTP_MDM_SIGNATURE"])
        _, signer, _ = cms_verify(signature, detached=body)
        signer.verify_directly_issued_by(self.ca)
        message: dict[str, Any] = plistlib.loads(body)
        return message

    def checkin(
        self, message: dict[str, Any], environ: dict[str, Any]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        assert environ.get("CONTENT_TYPE") == "application/x-apple-aspen-mdm-checkin"
        shared = self.is_multi_user
        self.errors += [f"check-in: {e}" for e in apple_schema.validate_checkin(message, shared_ipad=shared)]
        udid = message["UDID"]
        kind = message["MessageType"]
        if kind == "Authenticate":
            self.devices[udid] = Device(udid=udid, certificate=self.ca)
        elif kind == "TokenUpdate" and "UserShortName" in message:
            # A Shared iPad user's channel: its own token and push magic, the device's untouched.
            self.devices[udid].user_channels[message["UserShortName"]] = (
                message["Token"],
                message["PushMagic"],
            )
        elif kind == "TokenUpdate":
            device = self.devices[udid]
            device.token, device.push_magic = message["Token"], message["PushMagic"]
            device.awaiting = bool(message.get("AwaitingConfiguration"))
        elif kind == "CheckOut":
            self.devices[udid].checked_out = True
        return 200, [], b""

    def connect(self, message: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        if message.get("Status") != "Idle":
            command_uuid = message.get("CommandUUID", "")
            self.replies[command_uuid] = message
            request_type = self.sent.get(command_uuid, {}).get("Command", {}).get("RequestType", "")
            errors = apple_schema.validate_response(request_type, message)
            self.errors += [f"{request_type} reply: {each}" for each in errors]
        if not self.queue:
            return 200, [], b""
        command = self.queue.popleft()
        self.sent[command["CommandUUID"]] = command
        return 200, [("Content-Type", "application/xml")], plistlib.dumps(command)

    def send(self, request_type: str, **keys: Any) -> str:
        """Queue a command; returns its CommandUUID."""
        command_uuid = str(uuid.uuid4()).upper()
        command = {"CommandUUID": command_uuid, "Command": {"RequestType": request_type, **keys}}
        self.errors += [f"{request_type} (sent): {e}" for e in apple_schema.validate_command(command)]
        self.queue.append(command)
        return command_uuid


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *_args: Any) -> None:
        pass


@contextmanager
def minimal_mdm(device_ca: x509.Certificate, **options: Any) -> Iterator[MinimalMdm]:
    server = MinimalMdm(device_ca=device_ca, **options)
    httpd: WSGIServer = make_server("127.0.0.1", 0, server.app, handler_class=_QuietHandler)
    server.base_url = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()

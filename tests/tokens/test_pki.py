"""Keys, certificates and server token files, as `cryptography` and openssl make them."""

from __future__ import annotations

import base64
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from tests.tokens.apple import (
    PushCertificatesPortal,
    envelope,
    inner_entity,
    self_signed_certificate_pem,
    server_token_json,
    smime,
)
from tokens import pki
from tokens.pki import ServerTokenError, ServerTokenProblem

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def recipient() -> pki.RecipientKey:
    key = pki.rsa_key_generate()
    return pki.RecipientKey(
        certificate=pki.token_certificate_create(key, common_name="test", now=NOW), private_key=key
    )


def pem_of(recipient: pki.RecipientKey) -> str:
    return pki.certificate_to_pem(recipient.certificate)


def problem(data: bytes, recipients: list[pki.RecipientKey]) -> ServerTokenProblem:
    with pytest.raises(ServerTokenError) as caught:
        pki.server_token_read(data, recipients)
    return caught.value.problem


class KeysTests:
    @pytest.mark.real_keys
    def test_it_generates_rsa_2048_keys_and_a_certificate_for_them(self) -> None:
        key = pki.rsa_key_generate()
        certificate = pki.token_certificate_create(key, common_name="Microsoft Intune", now=NOW)
        assert key.key_size == 2048
        assert pki.certificate_public_key_fingerprint(certificate) == pki.public_key_fingerprint(
            key.public_key()
        )
        assert certificate.issuer == certificate.subject
        assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.key_encipherment and usage.digital_signature
        assert certificate.not_valid_before_utc < NOW < certificate.not_valid_after_utc
        assert (
            pki.private_key_from_pem(pki.private_key_to_pem(key)).private_numbers() == key.private_numbers()
        )

    def test_the_csr_is_signed_and_apple_s_certificate_gives_its_topic(self) -> None:
        key = pki.rsa_key_generate()
        csr_pem = pki.csr_to_pem(pki.csr_create(key, common_name="Microsoft Intune MDM Push"))
        assert x509.load_pem_x509_csr(csr_pem.encode()).is_signature_valid
        signed = PushCertificatesPortal().sign(csr_pem, topic_uuid="4cafc5ac")
        (certificate,) = pki.push_certificates_load(signed)
        assert pki.certificate_topic(certificate) == "com.apple.mgmt.External.4cafc5ac"
        assert pki.certificate_public_key_fingerprint(certificate) == pki.public_key_fingerprint(
            key.public_key()
        )
        der = certificate.public_bytes(serialization.Encoding.DER)
        assert pki.push_certificates_load(der) == [certificate]
        with pytest.raises(pki.PushCertificateFormatError):
            pki.push_certificates_load(
                b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
            )


class ServerTokenTests:
    def test_apple_s_s_mime_file(self, recipient) -> None:
        payload = server_token_json()
        found, token = pki.server_token_read(
            smime(envelope(pem_of(recipient), inner_entity(payload))), [recipient]
        )
        assert found is recipient
        assert token.credentials.consumer_secret == payload["consumer_secret"]
        assert token.credentials.access_token == payload["access_token"]
        assert token.access_token_expiry == datetime.fromisoformat(
            payload["access_token_expiry"].replace("Z", "+00:00")
        )

    @pytest.mark.parametrize("form", ["der", "pem", "base64", "cryptography-smime", "lf-smime", "aes128"])
    def test_every_wrapping_of_the_envelope(self, recipient, form) -> None:
        payload = server_token_json()
        content = inner_entity(payload)
        der = envelope(pem_of(recipient), content)
        data = {
            "der": der,
            "pem": b"-----BEGIN PKCS7-----\n" + base64.encodebytes(der) + b"-----END PKCS7-----\n",
            "base64": base64.encodebytes(der),
            "cryptography-smime": pkcs7.PKCS7EnvelopeBuilder()
            .set_data(content)
            .add_recipient(recipient.certificate)
            .encrypt(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.Binary]),
            "lf-smime": smime(der).replace(b"\r\n", b"\n"),
            "aes128": smime(envelope(pem_of(recipient), content, aes256=False)),
        }[form]
        assert (
            pki.server_token_read(data, [recipient])[1].credentials.access_secret == payload["access_secret"]
        )

    def test_the_json_without_mime_headers_or_markers(self, recipient) -> None:
        payload = server_token_json()
        bare = envelope(pem_of(recipient), inner_entity(payload, markers=False).split(b"\r\n\r\n", 1)[1])
        assert pki.server_token_read(bare, [recipient])[1].credentials.consumer_key == payload["consumer_key"]

    def test_not_a_server_token(self, recipient) -> None:
        for data in (
            b"",
            b"\x00\x01",
            b"plain text",
            self_signed_certificate_pem().encode(),
            b"Content-Type: image/png\n\nxx",
        ):
            assert problem(data, [recipient]) == ServerTokenProblem.NOT_PKCS7

    def test_encrypted_to_someone_else(self, recipient) -> None:
        data = smime(envelope(self_signed_certificate_pem(), inner_entity(server_token_json())))
        assert problem(data, [recipient]) == ServerTokenProblem.WRONG_RECIPIENT
        assert problem(data, []) == ServerTokenProblem.WRONG_RECIPIENT

    def test_truncated_or_damaged(self, recipient) -> None:
        der = envelope(pem_of(recipient), inner_entity(server_token_json()))
        assert problem(der[:-1], [recipient]) == ServerTokenProblem.CORRUPT
        assert problem(der + b"\x00", [recipient]) == ServerTokenProblem.CORRUPT
        assert problem(smime(der)[:-30], [recipient]) == ServerTokenProblem.CORRUPT
        damaged = bytearray(der)
        damaged[-2] ^= 0x55
        assert problem(bytes(damaged), [recipient]) == ServerTokenProblem.CORRUPT

    def test_missing_end_marker_or_not_json(self, recipient) -> None:
        cut = inner_entity(server_token_json()).split(b"-----END")[0]
        assert problem(envelope(pem_of(recipient), cut), [recipient]) == ServerTokenProblem.CORRUPT
        assert (
            problem(envelope(pem_of(recipient), inner_entity("[1, 2]")), [recipient])
            == ServerTokenProblem.CORRUPT
        )

    def test_missing_fields_are_named(self, recipient) -> None:
        payload = server_token_json(access_token=" ")
        del payload["consumer_key"]
        with pytest.raises(ServerTokenError) as caught:
            pki.server_token_read(envelope(pem_of(recipient), inner_entity(payload)), [recipient])
        assert caught.value.problem == ServerTokenProblem.MISSING_FIELDS
        assert caught.value.missing == ("consumer_key", "access_token")

    def test_an_expiry_without_time_zone_is_not_accepted(self, recipient) -> None:
        payload = server_token_json(access_token_expiry="2027-11-27T10:00:00")
        with pytest.raises(ServerTokenError) as caught:
            pki.server_token_read(envelope(pem_of(recipient), inner_entity(payload)), [recipient])
        assert caught.value.missing == ("access_token_expiry",)

    @pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
    def test_tokens_made_by_openssl(self, recipient, tmp_path) -> None:
        (tmp_path / "cert.pem").write_text(pem_of(recipient))
        payload = server_token_json()
        (tmp_path / "in.txt").write_bytes(inner_entity(payload))

        def openssl(*args: str) -> bytes:
            command = ["openssl", *args, "-in", "in.txt", "-out", "out", "cert.pem"]
            subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
            return bytes((tmp_path / "out").read_bytes())

        made = openssl("smime", "-encrypt", "-aes256", "-binary")
        assert b"application/x-pkcs7-mime" in made
        assert (
            pki.server_token_read(made, [recipient])[1].credentials.consumer_secret
            == payload["consumer_secret"]
        )
        des3 = openssl("smime", "-encrypt", "-des3", "-binary", "-outform", "DER")
        assert problem(des3, [recipient]) == ServerTokenProblem.UNSUPPORTED_CIPHER

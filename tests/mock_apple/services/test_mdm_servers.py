"""The .p7m of "Download Token": decrypted by `cryptography` and by `openssl smime -decrypt`."""

from __future__ import annotations

import email
import json
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from django.core.exceptions import ValidationError

from mock_apple.models import ServerToken
from mock_apple.services import mdm_servers
from tests.mock_apple.conftest import APPLE_DB, rsa_certificate_pem


def unwrap(inner: bytes) -> dict[str, str]:
    text = inner.decode()
    header, _, body = text.partition("\r\n\r\n")
    assert "Content-Type: text/plain;charset=UTF-8" in header
    lines = body.strip().splitlines()
    assert lines[0] == "-----BEGIN MESSAGE-----" and lines[-1] == "-----END MESSAGE-----"
    return dict(json.loads("\n".join(lines[1:-1])))


@pytest.mark.django_db(databases=APPLE_DB)
class ServerTokenFileTests:
    def token_file(self, organization, tmp_path):
        certificate_pem, key_pem = rsa_certificate_pem()
        server = mdm_servers.mdm_server_add(
            actor=None, organization=organization, name="Intune MDM", certificate=certificate_pem
        )
        filename, data = mdm_servers.server_token_file(actor=None, server=server)
        return filename, data, certificate_pem, key_pem

    def test_cryptography_decrypts_it(self, organization, tmp_path) -> None:
        filename, data, certificate_pem, key_pem = self.token_file(organization, tmp_path)
        assert filename.startswith("Intune MDM_Token_") and filename.endswith("_smime.p7m")
        message = email.message_from_bytes(data)
        assert (
            message["Content-Type"] == 'application/pkcs7-mime; name="smime.p7m"; smime-type=enveloped-data'
        )
        assert message["Content-Description"] == "S/MIME Encrypted Message"
        assert message["Content-Disposition"] == 'attachment; filename="smime.p7m"'
        certificate = x509.load_pem_x509_certificate(certificate_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
        inner = pkcs7.pkcs7_decrypt_smime(data, certificate, key, [])  # type: ignore[arg-type]
        values = unwrap(inner)
        assert set(values) == {
            "consumer_key",
            "consumer_secret",
            "access_token",
            "access_secret",
            "access_token_expiry",
        }
        token = ServerToken.objects.get()
        assert token.consumer_key == values["consumer_key"]
        assert token.access_secret == values["access_secret"]
        der = pkcs7.pkcs7_decrypt_der(message.get_payload(decode=True), certificate, key, [])  # type: ignore[arg-type]
        assert unwrap(der) == values
        assert values["access_token_expiry"][:4] == str(token.created_at.year + 1)

    def test_openssl_decrypts_it(self, organization, tmp_path) -> None:
        if shutil.which("openssl") is None:
            pytest.fail("openssl is needed for this test")
        _, data, certificate_pem, key_pem = self.token_file(organization, tmp_path)
        (tmp_path / "token.p7m").write_bytes(data)
        (tmp_path / "cert.pem").write_bytes(certificate_pem)
        (tmp_path / "key.pem").write_bytes(key_pem)
        result = subprocess.run(
            ["openssl", "smime", "-decrypt", "-in", "token.p7m", "-recip", "cert.pem", "-inkey", "key.pem"],
            cwd=tmp_path,
            capture_output=True,
            check=True,
        )
        assert unwrap(result.stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))[
            "consumer_key"
        ].startswith("CK_")

    def test_another_key_cannot_decrypt_it(self, organization, tmp_path) -> None:
        _, data, _, _ = self.token_file(organization, tmp_path)
        other_certificate, other_key = rsa_certificate_pem("someone else")
        with pytest.raises(ValueError):
            pkcs7.pkcs7_decrypt_smime(
                data,
                x509.load_pem_x509_certificate(other_certificate),
                serialization.load_pem_private_key(other_key, password=None),  # type: ignore[arg-type]
                [],
            )

    def test_a_new_download_revokes_the_previous_token(self, organization, tmp_path) -> None:
        _, _, _, _ = self.token_file(organization, tmp_path)
        server = organization.mdm_servers.get()
        mdm_servers.server_token_file(actor=None, server=server)
        assert ServerToken.objects.filter(revoked_at__isnull=True).count() == 1
        assert ServerToken.objects.count() == 2

    def test_secrets_are_ciphertext_at_rest(self, organization, tmp_path) -> None:
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
        _, values = mdm_servers.server_token_issue(actor=None, server=server)
        from django.db import connections

        with connections["apple"].cursor() as cursor:
            cursor.execute("SELECT consumer_secret, access_secret FROM mock_apple_servertoken")
            row = " ".join(cursor.fetchone())
        assert values["consumer_secret"] not in row and values["access_secret"] not in row

    @pytest.mark.parametrize("kind", ["ec", "csr", "garbage", "key"])
    def test_only_rsa_certificates_are_accepted(self, organization, kind) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        certificate_pem, key_pem = rsa_certificate_pem()
        data = {
            "garbage": b"hello",
            "key": key_pem,
            "csr": b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
            "ec": _ec_certificate(ec.generate_private_key(ec.SECP256R1())),
        }[kind]
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
        with pytest.raises(ValidationError):
            mdm_servers.mdm_server_certificate_upload(actor=None, server=server, data=data)
        server.refresh_from_db()
        assert server.certificate_pem == ""


def _ec_certificate(key) -> bytes:
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)

"""python manage.py mock_apple_token "<MDM server name>" [--assign N] (--json | --cert portal.pem)"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from django.core.management import CommandError, call_command

from mock_apple.models import Device, MdmServer
from tests.mock_apple.conftest import APPLE_DB, rsa_certificate_pem
from tests.mock_apple.services.test_mdm_servers import unwrap


def run(*args: str) -> str:
    out = StringIO()
    call_command("mock_apple_token", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(databases=APPLE_DB)
class MockAppleTokenTests:
    def test_it_creates_the_server_assigns_and_prints_json(self, organization) -> None:
        values = json.loads(run("Jamf Test", "--assign", "7", "--json"))
        assert set(values) == {
            "consumer_key",
            "consumer_secret",
            "access_token",
            "access_secret",
            "access_token_expiry",
        }
        server = MdmServer.objects.get(name="Jamf Test")
        assert Device.objects.filter(mdm_server=server).count() == 7
        run("Jamf Test", "--assign", "3", "--json")
        assert MdmServer.objects.count() == 1
        assert Device.objects.filter(mdm_server=server).count() == 10
        assert server.tokens.filter(revoked_at__isnull=True).count() == 1

    def test_it_writes_an_encrypted_token_for_a_certificate(self, organization, tmp_path) -> None:
        certificate_pem, key_pem = rsa_certificate_pem()
        (tmp_path / "portal.pem").write_bytes(certificate_pem)
        output = run("Intune", "--cert", str(tmp_path / "portal.pem"))
        assert "Content-Description: S/MIME Encrypted Message" in output
        inner = pkcs7.pkcs7_decrypt_smime(
            output.encode(),
            x509.load_pem_x509_certificate(certificate_pem),
            serialization.load_pem_private_key(key_pem, password=None),  # type: ignore[arg-type]
            [],
        )
        assert unwrap(inner)["consumer_key"] == MdmServer.objects.get().tokens.get().consumer_key

    def test_it_explains_what_is_wrong(self, organization, tmp_path) -> None:
        with pytest.raises(CommandError, match="unassigned devices"):
            run("Big", "--assign", "5000", "--json")
        (tmp_path / "bad.pem").write_text("nope")
        with pytest.raises(CommandError, match="RSA"):
            run("Intune", "--cert", str(tmp_path / "bad.pem"))
        with pytest.raises(CommandError, match="Cannot read"):
            run("Intune", "--cert", str(tmp_path / "missing.pem"))

    def test_it_needs_an_organisation(self) -> None:
        with pytest.raises(CommandError, match="seed_demo"):
            run("Intune", "--json")

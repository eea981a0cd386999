"""MDM servers: add (name + public key), upload a key, Download Token (.p7m)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mock_apple.models import MdmServer, ServerToken
from mock_apple.services import mdm_servers
from tests.mock_apple.conftest import APPLE_DB, rsa_certificate_pem


def pem(content: bytes, name: str = "portal.pem") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/x-pem-file")


@pytest.mark.django_db(databases=APPLE_DB)
class AsmMdmServersTests:
    def test_it_lists_servers(self, asm_admin, organization) -> None:
        mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
        response = asm_admin.get("/asm/mdm-servers/")
        assert response.status_code == 200 and b"Intune" in response.content

    def test_add_a_server_with_its_public_key(self, asm_admin, organization) -> None:
        certificate, _ = rsa_certificate_pem()
        response = asm_admin.post(
            "/asm/mdm-servers/add/", {"name": "Intune MDM", "certificate": pem(certificate)}
        )
        server = MdmServer.objects.get()
        assert (
            response.status_code == 302 and response["Location"] == f"/asm/mdm-servers/{server.server_uuid}/"
        )
        assert server.certificate_pem and server.created_by == "admin@appleid.contoso.edu"

    @pytest.mark.parametrize(
        "content", [b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
    )
    def test_a_bad_key_adds_nothing(self, asm_admin, organization, content) -> None:
        response = asm_admin.post(
            "/asm/mdm-servers/add/", {"name": "Intune MDM", "certificate": pem(content)}
        )
        assert response.status_code == 200 and "RSA" in response.content.decode()
        assert not MdmServer.objects.exists()

    def test_names_are_unique(self, asm_admin, organization) -> None:
        certificate, _ = rsa_certificate_pem()
        mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
        response = asm_admin.post(
            "/asm/mdm-servers/add/", {"name": "intune", "certificate": pem(certificate)}
        )
        assert "already exists" in response.content.decode()
        assert MdmServer.objects.count() == 1

    def test_download_token_needs_a_key_then_gives_a_p7m(self, asm_admin, organization) -> None:
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune MDM")
        response = asm_admin.post(f"/asm/mdm-servers/{server.server_uuid}/token/", follow=True)
        assert "before you download a token" in response.content.decode()
        certificate, _ = rsa_certificate_pem()
        asm_admin.post(
            f"/asm/mdm-servers/{server.server_uuid}/certificate/", {"certificate": pem(certificate)}
        )
        response = asm_admin.post(f"/asm/mdm-servers/{server.server_uuid}/token/")
        assert response.status_code == 200 and response["Content-Type"] == "application/pkcs7-mime"
        assert 'filename="Intune MDM_Token_' in response["Content-Disposition"]
        assert b"Content-Description: S/MIME Encrypted Message" in response.content
        token = ServerToken.objects.get()
        page = asm_admin.get(f"/asm/mdm-servers/{server.server_uuid}/").content.decode()
        assert token.consumer_key not in page and "Downloaded on" in page
        assert asm_admin.get(f"/asm/mdm-servers/{server.server_uuid}/token/").status_code == 405

    def test_staff_cannot_add_or_download(self, asm_staff, organization) -> None:
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
        assert asm_staff.get("/asm/mdm-servers/add/").status_code == 403
        assert asm_staff.post(f"/asm/mdm-servers/{server.server_uuid}/token/").status_code == 403
        assert asm_staff.get(f"/asm/mdm-servers/{server.server_uuid}/").status_code == 200

    def test_device_enrollment_managers_can(self, asm_manager, organization) -> None:
        certificate, _ = rsa_certificate_pem()
        response = asm_manager.post(
            "/asm/mdm-servers/add/", {"name": "Intune", "certificate": pem(certificate)}
        )
        assert response.status_code == 302

    def test_the_token_line_is_marked_for_the_page_to_refresh_after_a_download(
        self, asm_admin, organization
    ) -> None:
        """Download Token answers with the file, so the page itself stays as it was: the form
        names the part (data-download-then-refresh) that pages.js asks again until it changes."""
        certificate, _ = rsa_certificate_pem()
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune MDM")
        asm_admin.post(
            f"/asm/mdm-servers/{server.server_uuid}/certificate/", {"certificate": pem(certificate)}
        )
        html = asm_admin.get(f"/asm/mdm-servers/{server.server_uuid}/").content.decode()
        assert 'data-download-then-refresh="[data-server-token]"' in html
        assert "<dd data-server-token>No token downloaded yet</dd>" in html
        listing = asm_admin.get("/asm/mdm-servers/").content.decode()
        assert '<span class="badge badge-green">Uploaded</span>' in listing

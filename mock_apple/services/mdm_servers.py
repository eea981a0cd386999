"""MDM servers as Apple School Manager keeps them: creation, the vendor's public-key
certificate, and the server tokens (.p7m) issued for them."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mock_apple import auth, clock, crypto
from mock_apple.db import DB
from mock_apple.models import (
    AppleAccount,
    AuthSession,
    MdmServer,
    Organization,
    ServerToken,
)
from mock_apple.services.uploads import upload_load

TOKEN_LIFETIME = timedelta(days=365)


# --- MDM servers and server tokens ----------------------------------------------------------


def mdm_server_create(*, actor: AppleAccount | None, organization: Organization, name: str) -> MdmServer:
    auth.require_device_manager(actor)
    name = name.strip()
    if not name:
        raise ValidationError(_("Enter a name for the MDM server."), code="required")
    if len(name) > 200:
        raise ValidationError(_("The name can have at most 200 characters."), code="max_length")
    if MdmServer.objects.filter(organization=organization, name__iexact=name).exists():
        raise ValidationError(_("An MDM server with this name already exists."), code="unique")
    return MdmServer.objects.create(
        organization=organization,
        name=name,
        server_uuid=uuid.uuid4().hex.upper(),
        created_at=clock.now(),
        created_by=actor.apple_id if actor else "",
    )


def mdm_server_certificate_upload(*, actor: AppleAccount | None, server: MdmServer, data: bytes) -> MdmServer:
    """Keep the MDM vendor's public-key certificate that server tokens are encrypted to."""
    auth.require_device_manager(actor)
    certificate = upload_load(
        data=data,
        load=crypto.load_rsa_certificate,
        invalid_message=_(
            "This file is not a public-key certificate (.pem) with an RSA key. Upload the .pem file your MDM server gave you."
        ),
    )
    server.certificate_pem = crypto.certificate_pem(certificate)
    server.certificate_uploaded_at = clock.now()
    server.save(update_fields=["certificate_pem", "certificate_uploaded_at"])
    return server


def mdm_server_add(
    *, actor: AppleAccount | None, organization: Organization, name: str, certificate: bytes
) -> MdmServer:
    """Add MDM server as the portal's form does: a name and the public key, both or nothing."""
    with transaction.atomic(using=DB):
        server = mdm_server_create(actor=actor, organization=organization, name=name)
        return mdm_server_certificate_upload(actor=actor, server=server, data=certificate)


def server_token_issue(
    *, actor: AppleAccount | None, server: MdmServer, issued_by: AppleAccount | None = None
) -> tuple[ServerToken, dict[str, str]]:
    """New OAuth credentials for the server; every earlier token of the server stops working."""
    auth.require_device_manager(actor)
    now = clock.now()
    values = {
        "consumer_key": f"CK_{secrets.token_hex(48)}",
        "consumer_secret": f"CS_{secrets.token_hex(20)}",
        "access_token": f"AT_O{secrets.randbelow(10**10):010d}O{secrets.token_hex(40)}",
        "access_secret": f"AS_{secrets.token_hex(20)}",
        "access_token_expiry": crypto.rfc3339(now + TOKEN_LIFETIME),
    }
    with transaction.atomic(using=DB):
        server_token_revoke(server=server)
        token = ServerToken.objects.create(
            mdm_server=server,
            consumer_key=values["consumer_key"],
            consumer_secret=values["consumer_secret"],
            access_token=values["access_token"],
            access_secret=values["access_secret"],
            access_token_expiry=now.replace(microsecond=0) + TOKEN_LIFETIME,
            created_at=now,
            issued_by=issued_by or actor,
        )
    return token, values


def server_token_file(
    *, actor: AppleAccount | None, server: MdmServer, issued_by: AppleAccount | None = None
) -> tuple[str, bytes]:
    """Get token: the .p7m and its file name, encrypted to the server's uploaded certificate."""
    auth.require_device_manager(actor)
    if not server.certificate_pem:
        raise ValidationError(_("Upload the MDM server's public key (.pem) before you download a token."))
    certificate = crypto.load_rsa_certificate(server.certificate_pem.encode())
    token, values = server_token_issue(actor=actor, server=server, issued_by=issued_by)
    stamp = token.created_at.strftime("%Y-%m-%dT%H-%M-%SZ")
    safe_name = "".join(c if c.isalnum() or c in " -_." else "_" for c in server.name).strip() or "server"
    return f"{safe_name}_Token_{stamp}_smime.p7m", crypto.server_token_file(
        values=values, recipient=certificate
    )


def server_token_revoke(*, server: MdmServer) -> int:
    """Revoke the server's live tokens and close their sessions (clients then get token_rejected)."""
    live = ServerToken.objects.filter(mdm_server=server, revoked_at__isnull=True)
    AuthSession.objects.filter(server_token__in=live).delete()
    return live.update(revoked_at=clock.now())

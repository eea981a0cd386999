from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from command_language import TranslatedCommand
from mock_apple.models import MdmServer
from mock_apple.services import assignments, mdm_servers
from mock_apple.services import organization as organization_services


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Create an MDM server in the mock Apple School Manager if needed, optionally give it N "
        "unassigned devices, and write a new server token to standard output: the plain JSON "
        "(--json) or the encrypted .p7m for your certificate (--cert). The server's earlier token "
        "stops working."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help=_("Name of the MDM server."))
        parser.add_argument(
            "--assign", type=int, default=0, metavar="N", help=_("Assign N unassigned devices.")
        )
        output = parser.add_mutually_exclusive_group(required=True)
        output.add_argument("--json", action="store_true", help=_("Write the token's OAuth values as JSON."))
        output.add_argument("--cert", metavar="PEM", help=_("Encrypt the token (.p7m) to this certificate."))

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_services.organization_demo()
        if organization is None:
            raise CommandError(
                _("There is no Apple School Manager organisation yet: run seed_demo (or seed_apple).")
            )
        if options["assign"] < 0:
            raise CommandError(_("--assign must be a positive number."))
        certificate = b""
        if options["cert"]:
            try:
                certificate = Path(options["cert"]).read_bytes()
            except OSError as exc:
                raise CommandError(
                    _("Cannot read %(path)s: %(reason)s") % {"path": options["cert"], "reason": exc.strerror}
                ) from None
        admin = organization.accounts.filter(role="administrator", is_active=True).order_by("id").first()
        try:
            server = MdmServer.objects.filter(organization=organization, name=options["name"].strip()).first()
            if server is None:
                server = mdm_servers.mdm_server_create(
                    actor=None, organization=organization, name=options["name"]
                )
            if options["assign"]:
                assignments.devices_assign_unassigned(
                    server=server, count=options["assign"], assigned_by=admin.apple_id if admin else ""
                )
            if certificate:
                mdm_servers.mdm_server_certificate_upload(actor=None, server=server, data=certificate)
                _token, data = mdm_servers.server_token_file(actor=None, server=server, issued_by=admin)
                self.stdout.write(data.decode(), ending="")
            else:
                _issued, values = mdm_servers.server_token_issue(actor=None, server=server, issued_by=admin)
                self.stdout.write(json.dumps(values, indent=2))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from command_language import TranslatedCommand
from mock_apple.models import Organization
from mock_apple.services import api_accounts
from mock_apple.services import organization as organization_services

ORIGIN = "manage.py mock_apple_api_account"  # who created it, in the organisation's activity log


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Create an API account of the School Manager API (Preferences › API) in the mock and print "
        "its client id, key id, private key (PEM, shown only now) and scope."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help=_("Name of the API account."))
        parser.add_argument(
            "--organization", type=int, metavar="ID", help=_("The organisation (default: the first).")
        )
        parser.add_argument("--json", action="store_true", help=_("Print the account as one JSON object."))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["organization"] is not None:
            organization = Organization.objects.filter(pk=options["organization"]).first()
        else:
            organization = organization_services.organization_demo()
        if organization is None:
            raise CommandError(_("There is no such organisation: run seed_demo (or seed_apple)."))
        try:
            created = api_accounts.api_account_create(
                actor=None, organization=organization, name=options["name"], origin=ORIGIN
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        values = {
            "client_id": created.account.client_id,
            "key_id": created.account.key_id,
            "private_key_pem": created.private_key_pem,
            "scope": created.scope,
        }
        if options["json"]:
            self.stdout.write(json.dumps(values))
            return
        for key, value in values.items():
            self.stdout.write(f"{key}: {value}")

"""Register an application with admin consent and a client secret, for scripts and tests.

manage.py graph_app_create "Enrollment scripts" --permission ReadWrite --tenant contoso.onmicrosoft.com --json
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asm_portal.models import Tenant
from asm_portal.tenancy import DEFAULT_TENANT_DOMAIN, tenant_scope
from command_language import TranslatedCommand
from graph import registrations
from graph.actors import command_actor
from graph.models import DEVICE_ROLES, Permission
from graph.registrations import DEFAULT_SECRET_DAYS, AppRefused


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Register a Microsoft Graph application (consented) and print its client ID and a new secret."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help=_("The application's display name."))
        parser.add_argument("--permission", choices=Permission.values, default=Permission.READ_WRITE)
        parser.add_argument(
            "--device-permission",
            action="append",
            choices=DEVICE_ROLES,
            default=[],
            help=_(
                "A managed-device permission besides (repeatable), e.g. "
                "DeviceManagementManagedDevices.PrivilegedOperations.All."
            ),
        )
        parser.add_argument("--tenant", default=DEFAULT_TENANT_DOMAIN, help=_("The tenant's initial domain."))
        parser.add_argument(
            "--days", type=int, default=DEFAULT_SECRET_DAYS, help=_("Secret lifetime in days.")
        )
        parser.add_argument("--json", action="store_true", help=_("Print JSON only."))

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(initial_domain__iexact=options["tenant"]).first()
        if tenant is None:
            raise CommandError(
                _("No tenant has the initial domain “%(domain)s”.") % {"domain": options["tenant"]}
            )
        actor = command_actor("graph_app_create")
        with tenant_scope(tenant):
            try:
                app = registrations.app_create(
                    actor=actor,
                    display_name=options["name"],
                    permission=options["permission"],
                    device_permissions=options["device_permission"],
                )
                registrations.app_consent_grant(actor=actor, app=app)
                secret = registrations.secret_add(
                    actor=actor, app=app, description="graph_app_create", days=options["days"]
                )
            except AppRefused as refusal:
                raise CommandError(str(refusal)) from None
        result = {
            "tenant_id": str(tenant.tenant_id),
            "client_id": str(app.client_id),
            "client_secret": secret.value,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")

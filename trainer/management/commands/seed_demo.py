from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asm_portal import demo
from asm_portal.tenancy import default_tenant, tenant_scope
from command_language import TranslatedCommand
from mdm.directory import directory_users_seed


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Create the demo users and the mock Apple School Manager organisation (idempotent)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--devices",
            type=int,
            default=500,
            help=_("Devices in the ASM inventory (up to 200,000 and more)."),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help=_("Random seed for a repeatable inventory."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = demo.demo_password()
        # The demo lives in the default tenant, Contoso.
        with tenant_scope(default_tenant()) as tenant:
            users = demo.users_seed(password=password, tenant=tenant)
            directory = directory_users_seed(password=password)
        # The Apple side is seeded by its own command: the portal does not import mock_apple.
        call_command(
            "seed_apple",
            devices=options["devices"],
            password=password,
            seed=options["seed"],
            stdout=self.stdout,
            language=translation.get_language(),
        )
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Demo ready.")))
        self.stdout.write("  " + _("Intune portal: %(url)s") % {"url": f"{settings.PORTAL_BASE_URL}/"})
        for user, role in users:
            self.stdout.write(f"    {_(role):<22} {user.get_username()}")
        self.stdout.write("  " + _("Directory users (sign in on devices and in the Company Portal):"))
        for person in directory:
            self.stdout.write(f"    {_(person.job_title):<22} {person.upn}")
        self.stdout.write(
            "  " + _("Apple School Manager: %(url)s") % {"url": f"{settings.APPLE_PUBLIC_URL}/asm/"}
        )
        self.stdout.write("  " + _("Password (all accounts): %(password)s") % {"password": password})

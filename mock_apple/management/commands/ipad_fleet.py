from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mock_apple.ipad.fleet import fleet_enroll
from mock_apple.models import Organization
from mock_apple.services import organization as organization_services


class Command(BaseCommand):
    help = (
        "Enroll N headless virtual iPads of an organisation at once into the MDM server their DEP "
        "profile names (the portal, or your own): Setup Assistant unattended, ADE, check-ins until "
        "the home screen. Prints how long each enrollment took (p50, p95) and the failures."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--count", type=int, default=10, help="How many devices (default 10).")
        parser.add_argument(
            "--organization", metavar="ORG_ID", help="The organisation's org_id (default: the demo's)."
        )
        parser.add_argument("--workers", type=int, default=16, help="Devices enrolling at a time.")
        parser.add_argument("--language", default="en", choices=("en", "fr"), help="The devices' language.")
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["organization"]:
            organization = Organization.objects.filter(org_id=options["organization"]).first()
        else:
            organization = organization_services.organization_demo()
        if organization is None:
            raise CommandError("There is no such organisation: run seed_demo (or seed_apple).")
        if options["count"] < 1:
            raise CommandError("--count must be at least 1.")
        result = fleet_enroll(
            organization, count=options["count"], workers=options["workers"], language=options["language"]
        )
        summary = {
            "enrolled": len(result.durations),
            "failed": len(result.failures),
            "p50_seconds": round(result.percentile(0.5), 3),
            "p95_seconds": round(result.percentile(0.95), 3),
            "failures": result.failures,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"{summary['enrolled']} enrolled, {summary['failed']} failed; "
            f"enrollment p50 {summary['p50_seconds']} s, p95 {summary['p95_seconds']} s"
        )
        for serial, failure in result.failures.items():
            self.stdout.write(f"  {serial}: {failure}")

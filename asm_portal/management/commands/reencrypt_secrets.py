from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

import encrypted_fields
from asm_portal.tenancy import every_tenant


class Command(BaseCommand):
    help = (
        "Encrypt every secret stored at rest again with the first FIELD_ENCRYPTION_KEY. "
        "Run it after putting a new key first; the old keys can then be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Every tenant's secrets at once: key rotation spans tenants.
        with every_tenant():
            changed = encrypted_fields.secrets_reencrypt()
        self.stdout.write(f"{changed} secret(s) encrypted with the current key.")

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

import encrypted_fields


class Command(BaseCommand):
    help = (
        "Encrypt every secret stored at rest again with the first FIELD_ENCRYPTION_KEY. "
        "Run it after putting a new key first; the old keys can then be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = encrypted_fields.secrets_reencrypt()
        self.stdout.write(f"{changed} secret(s) encrypted with the current key.")

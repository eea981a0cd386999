from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy, ngettext

import encrypted_fields
from asm_portal.tenancy import every_tenant
from command_language import TranslatedCommand


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Encrypt every secret stored at rest again with the first FIELD_ENCRYPTION_KEY. "
        "Run it after putting a new key first; the old keys can then be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Every tenant's secrets at once: key rotation spans tenants.
        with every_tenant():
            changed = encrypted_fields.secrets_reencrypt()
        self.stdout.write(
            ngettext(
                "%(count)d secret encrypted with the current key.",
                "%(count)d secrets encrypted with the current key.",
                changed,
            )
            % {"count": changed}
        )

"""Where the mdm app's blade sits in the shell (registered by MdmConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from asm_portal import navigation


def register() -> None:
    navigation.register_blades({"directory_users": (_("Users"), "tenant_admin", "tenant")})

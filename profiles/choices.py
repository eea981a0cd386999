"""The values of an enrollment profile's settings, as Intune offers them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Affinity(models.TextChoices):
    WITH = "with", _("Enroll with User Affinity")
    WITHOUT = "without", _("Enroll without User Affinity")


class AuthMethod(models.TextChoices):
    COMPANY_PORTAL = "company_portal", _("Company Portal")
    SETUP_ASSISTANT = "setup_assistant", _("Setup Assistant (legacy)")
    MODERN = "setup_assistant_modern", _("Setup Assistant with modern authentication")


class Pairing(models.TextChoices):
    DENY_ALL = "deny_all", _("Deny All")
    ALLOW_ALL = "allow_all", _("Allow All")
    BY_CERTIFICATE = "certificate", _("Allow Apple Configurator by certificate")


class RulesEdition(models.TextChoices):
    """Where the 2017 article and today's Intune disagree, the tenant chooses whose rules apply."""

    ARTICLE_2017 = "2017", _("Rules as in the 2017 article")
    CURRENT = "current", _("Rules as in today's Intune")


# Maximum seconds after screen lock before the password is required (Shared iPad).
GRACE_PERIODS = (0, 60, 300, 900, 3600, 14400)
MAX_CACHED_USERS = 24  # "up to 24 users can be cached on a 32 GB or 64 GB device"
MIN_SESSION_TIMEOUT = 30
MAX_CERTIFICATES = 10
NAME_TEMPLATE_MAX = 63
NAME_TEMPLATE_VARIABLES = ("{{SERIAL}}", "{{DEVICETYPE}}")

"""Error pages: the exception reporter filter hides secrets, even in debug."""

from __future__ import annotations

from django.test import RequestFactory

from asm_portal.error_reports import SecretsExceptionReporterFilter


def test_error_pages_hide_sensitive_variables_even_in_debug(settings) -> None:
    settings.DEBUG = True
    assert SecretsExceptionReporterFilter().is_active(RequestFactory().get("/")) is True

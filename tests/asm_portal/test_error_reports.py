"""Error pages: the exception reporter filter hides secrets, even in debug."""

from __future__ import annotations

import logging
import sys

from django.test import RequestFactory
from django.urls import reverse

from asm_portal.error_reports import RefusalWithoutTraceback, SecretsExceptionReporterFilter


def test_error_pages_hide_sensitive_variables_even_in_debug(settings) -> None:
    settings.DEBUG = True
    assert SecretsExceptionReporterFilter().is_active(RequestFactory().get("/")) is True


def test_a_403_is_logged_once_without_a_traceback(operator_client, caplog) -> None:
    """A read-only operator's refused change: one warning line on django.request, no traceback
    (the filter of settings.LOGGING), and nothing else about the request."""
    url = reverse("tokens:push_certificate_csr")
    with caplog.at_level(logging.INFO):
        assert operator_client.post(url, {}).status_code == 403
    records = [record for record in caplog.records if record.name.startswith("django")]
    assert [(record.name, record.levelname) for record in records] == [("django.request", "WARNING")]
    (record,) = records
    assert record.exc_info is None
    line = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    assert line.startswith("WARNING django.request Forbidden") and "Traceback" not in line


def test_other_errors_keep_their_traceback() -> None:
    refusal = RefusalWithoutTraceback()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, "", 0, "Internal Server Error", None, sys.exc_info()
        )
    assert refusal.filter(record) and record.exc_info is not None

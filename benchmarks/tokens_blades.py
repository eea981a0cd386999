"""Benchmark of the enrollment program token blades at Intune's limit of 2,000 tokens per tenant.

Measures, in a scratch database (SQLite by default, or --database-url), with Django's test
client (no network):
- the Enrollment program tokens blade (first page and last page of 50), full page and htmx;
- a token's blade;
- reading a server token file (.p7m): S/MIME unwrap, RSA-2048 + AES-256 decryption, JSON.

Usage:
    .venv/bin/python benchmarks/tokens_blades.py [--tokens 2000] [--runs 30]
    .venv/bin/python benchmarks/tokens_blades.py --database-url postgres://postgres@127.0.0.1:5432/asm_tokens_bench
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import django_scratch, django_scratch_drop, measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()

    django_scratch("asm-tokens-bench-", options.database_url)
    from django.db import connections
    from django.test import Client

    # Users and tokens, in bulk. The four OAuth values are encrypted row by row (as saves do).
    from asm_portal import clock, demo
    from asm_portal.tenancy import default_tenant
    from benchmarks.harness import act_for_default_tenant
    from tests.tokens.apple import envelope, inner_entity, server_token_json, smime
    from tokens import pki
    from tokens.models import EnrollmentProgramToken

    act_for_default_tenant()
    demo.users_seed(password="Bench-pass-123!", tenant=default_tenant())
    now = clock.now()
    started = time.perf_counter()
    EnrollmentProgramToken.objects.bulk_create(
        EnrollmentProgramToken(
            token_name=f"École {number:04d} - Intune",
            apple_id="admin@appleid.contoso.edu",
            token_type=EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER,
            org_name="Contoso School District",
            server_uuid=f"{number:032X}",
            consumer_key=f"CK_{number:040d}",
            consumer_key_sha256=f"{number:064x}",
            consumer_secret=f"CS_{number:040d}",
            access_token=f"AT_{number:040d}",
            access_secret=f"AS_{number:040d}",
            expires_at=now + timedelta(days=number % 400 - 20),
            last_successful_sync_at=now,
            created_at=now,
            modified_at=now,
        )
        for number in range(options.tokens)
    )
    print(
        f"{options.tokens} tokens created in {time.perf_counter() - started:.1f} s "
        f"({connections['default'].vendor})"
    )

    client = Client()
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="admin@contoso.onmicrosoft.com"))
    last_page = (options.tokens + 49) // 50
    token = EnrollmentProgramToken.objects.order_by("pk")[options.tokens // 2]

    def get(url: str, htmx: bool = False) -> Any:
        def action() -> None:
            response = client.get(url, headers={"HX-Request": "true"} if htmx else None)
            assert response.status_code == 200, (url, response.status_code)

        return action

    measure(
        "Enrollment program tokens blade, page 1 (full page)", options.runs, get("/enrollment/apple/tokens/")
    )
    measure(
        f"Enrollment program tokens blade, page {last_page} (htmx grid)",
        options.runs,
        get(f"/enrollment/apple/tokens/?page={last_page}&fragment=grid", htmx=True),
    )
    measure("A token's blade (full page)", options.runs, get(f"/enrollment/apple/tokens/{token.pk}/"))

    key = pki.rsa_key_generate()
    certificate = pki.token_certificate_create(key, common_name="bench", now=now)
    recipient = pki.RecipientKey(certificate=certificate, private_key=key)
    data = smime(envelope(pki.certificate_to_pem(certificate), inner_entity(server_token_json())))
    measure(
        "Reading a .p7m (S/MIME, RSA-2048 + AES-256, JSON)",
        options.runs,
        lambda: pki.server_token_read(data, [recipient]),
    )
    measure(
        "Making a token request's key pair (RSA-2048 + certificate)",
        max(5, options.runs // 3),
        lambda: pki.token_certificate_create(pki.rsa_key_generate(), common_name="bench", now=now),
    )

    if options.database_url:
        django_scratch_drop()


if __name__ == "__main__":
    main()

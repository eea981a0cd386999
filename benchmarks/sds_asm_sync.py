"""Benchmark: sync a 100,000-row School Data Sync roster to the mock Apple School Manager.

    .venv/bin/python benchmarks/sds_asm_sync.py                    # SQLite in a temporary folder
    .venv/bin/python benchmarks/sds_asm_sync.py --database-url postgres://postgres@127.0.0.1:5432/asm_sds_asm_bench

Works in scratch databases (a temporary folder, or the PostgreSQL database given and its
`_apple` twin, dropped and re-created). It imports the classic SDS roster of the import
benchmark (benchmarks/sds_import.py, 100,000 rows: 31,000 people, 2,000 classes), makes an
Apple School Manager organisation and a token shared with School Data Sync, serves the mock
Apple service with gunicorn (2 workers, DEBUG=False), then times what the worker does
(`apple_roster_sync_run`: the DEP session, then POST /roster/import batch after batch) for a
first sync (every account made, with its Managed Apple Account and temporary password), a
second one (every record updated in place), and one after 5% of the students left the roster;
then the Apple School Manager pages over real HTTP.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import PASSWORD, act_for_default_tenant, scratch_environment, serve, timed  # noqa: E402


def asm_pages(base: str, repeat: int) -> None:
    """Apple School Manager's roster pages, signed in as the administrator, over HTTP."""
    http = requests.Session()
    signin = http.get(f"{base}/asm/signin/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', signin.text)
    assert token is not None, (signin.status_code, signin.url, signin.text[:500])
    http.post(
        f"{base}/asm/signin/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "apple_id": "admin@appleid.contoso.edu",
            "password": PASSWORD,
        },
        headers={"Referer": f"{base}/asm/signin/"},
        timeout=10,
    )
    from mock_apple.models import Person, RosterClass

    school_class = RosterClass.objects.order_by("id").first()
    person = Person.objects.order_by("id").last()
    assert school_class is not None and person is not None
    print(f"Apple School Manager pages over {Person.objects.count():,} people (median of {repeat}):")
    for label, path in (
        ("People, first page", "/asm/people/"),
        ("People, search by name (htmx grid)", "/asm/people/?fragment=grid&q=Learner1234"),
        ("People, students only, page 200", "/asm/people/?role=student&page=200"),
        ("Classes, first page", "/asm/classes/"),
        ("a class with its instructors and students", f"/asm/classes/{school_class.pk}/"),
        ("a person", f"/asm/people/{person.pk}/"),
        ("Locations", "/asm/locations/"),
    ):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = http.get(f"{base}{path}", timeout=30)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200 and "signin" not in response.url, (path, response.status_code)
        print(f"  GET {label:<66} {statistics.median(times) * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default="", help="A scratch PostgreSQL database (dropped and re-created)."
    )
    parser.add_argument("--port", type=int, default=8163)
    parser.add_argument("--repeat", type=int, default=20, help="Requests timed per page for the median.")
    options = parser.parse_args()
    scratch_environment("sds-asm-bench-", database_url=options.database_url)

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from asm_portal import clock, demo, roles
    from asm_portal.celery import app as celery_app
    from benchmarks.sds_import import roster_v1
    from mock_apple.services import mdm_servers
    from mock_apple.services import organization as organization_services
    from sds import apple_roster_sync_queue, sync_profiles, uploads
    from sds.models import AppleRosterSync, RosterUpload
    from tokens.models import EnrollmentProgramToken

    celery_app.conf.task_always_eager = True
    backend = "PostgreSQL" if options.database_url else "SQLite"
    print(f"Database: {backend}, {os.cpu_count()} cores; mock Apple: gunicorn, 2 workers, DEBUG=False")
    call_command("migrate_all", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # DEBUG=False serves the manifest
    act_for_default_tenant()
    organization, admin_account = organization_services.organization_seed_demo(admin_password=PASSWORD)
    server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Benchmark - Intune")
    _token, values = mdm_servers.server_token_issue(actor=None, server=server, issued_by=admin_account)
    now = clock.now()
    from datetime import timedelta

    EnrollmentProgramToken.objects.create(
        token_name=server.name,
        apple_id=admin_account.apple_id,
        token_type=EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER,
        server_uuid=server.server_uuid,
        consumer_key=values["consumer_key"],
        consumer_key_sha256=hashlib.sha256(values["consumer_key"].encode()).hexdigest(),
        consumer_secret=values["consumer_secret"],
        access_token=values["access_token"],
        access_secret=values["access_secret"],
        expires_at=now + timedelta(days=365),
        created_at=now,
        modified_at=now,
        # Shared only once the roster is in: the import itself must not sync (it is timed apart).
        shared_with_sds=False,
    )
    admin = User.objects.create_user("bench@contoso.onmicrosoft.com", password="x")
    admin.groups.set([demo.roles_seed()[roles.ADMINISTRATOR]])
    profile = sync_profiles.sync_profile_create(
        actor=admin, name="Benchmark v1", roster_format="v1", domain_suffix="contoso.edu"
    )

    def import_roster(drop_every: int = 0) -> RosterUpload:
        upload = uploads.roster_upload_create(
            actor=admin, profile=profile, files=roster_v1(options.rows, drop_every=drop_every)
        )
        return RosterUpload.objects.get(pk=upload.pk)

    upload = timed(f"SDS import of the {options.rows:,}-row classic roster (not the sync)", import_roster)
    assert upload.state == RosterUpload.State.SUCCEEDED
    EnrollmentProgramToken.objects.update(shared_with_sds=True)
    mock = serve(options.port, "apple")
    settings.APPLE_BASE_URL = f"http://127.0.0.1:{options.port}"
    try:

        def sync() -> AppleRosterSync:
            (queued,) = apple_roster_sync_queue.apple_roster_sync_request(actor=admin)
            queued.refresh_from_db()
            assert queued.state == AppleRosterSync.State.SUCCEEDED, (queued.state, queued.error_code)
            return queued

        print(
            f"Syncs to Apple School Manager over HTTP ({upload.person_count:,} people, {upload.class_count:,} classes):"
        )
        first = timed("first sync: every account made (Managed Apple Account, temporary password)", sync)
        print(
            f"      {first.batches_done} requests; {first.people_created:,} people, {first.classes_created:,} classes created"
        )
        second = timed("second sync: every record updated in place", sync)
        print(
            f"      {second.people_updated:,} people and {second.classes_updated:,} classes updated, none created"
        )
        EnrollmentProgramToken.objects.update(shared_with_sds=False)
        import_roster(drop_every=20)
        EnrollmentProgramToken.objects.update(shared_with_sds=True)
        third = timed("sync after 5% of the students left the roster", sync)
        print(f"      {third.people_deactivated:,} people made inactive in Apple School Manager")
        asm_pages(settings.APPLE_BASE_URL, options.repeat)
    finally:
        mock.terminate()
        mock.wait(timeout=20)


if __name__ == "__main__":
    main()

"""Benchmark: validate and import a 100,000-row School Data Sync roster, then browse it.

    .venv/bin/python benchmarks/sds_import.py                       # SQLite (a temporary file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/asm_sds \\
        .venv/bin/python benchmarks/sds_import.py                   # PostgreSQL

The script works in a throwaway database (a temporary SQLite file, or `<name>_sdsbench` on the
PostgreSQL server of DATABASE_URL) that it creates, migrates and drops. It times what the
worker does for an upload (`roster_upload_process`: decrypt, validate, import in one
transaction), for a first import, a re-import of the same files (every row updated) and a
re-import without 5% of the students (they turn inactive), in both formats; then the roster
pages of the portal, as the test client gets them.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asm_portal.settings")


def csv_bytes(header: list[str], rows: Iterator[list[str]] | list[list[str]]) -> bytes:
    lines = [",".join(header)]
    lines.extend(",".join(row) for row in rows)
    return ("\n".join(lines) + "\n").encode()


def roster_v1(total: int, *, drop_every: int = 0) -> dict[str, bytes]:
    """A classic SDS roster of `total` rows over the six files (the student enrollments fill up)."""
    schools, sections, teachers, students = 20, total // 50, total // 100, (total * 3) // 10
    enrollments = total - schools - sections * 3 - teachers - students
    kept = [s for s in range(students) if not (drop_every and s % drop_every == 0)]
    kept_set = set(kept)
    return {
        "School.csv": csv_bytes(
            ["SIS ID", "Name", "School Number"], ([f"S{n}", f"School {n}", str(n)] for n in range(schools))
        ),
        "Section.csv": csv_bytes(
            ["SIS ID", "School SIS ID", "Section Name", "Section Number", "Term Name", "Course Name"],
            (
                [f"C{n}", f"S{n % schools}", f"Section {n}", str(n), "SY2526", f"Course {n % 40}"]
                for n in range(sections)
            ),
        ),
        "Teacher.csv": csv_bytes(
            ["SIS ID", "School SIS ID", "Username", "First Name", "Last Name", "Status"],
            (
                [f"T{n}", f"S{n % schools}", f"teacher{n}", f"Tina{n}", f"Teach{n}", "Active"]
                for n in range(teachers)
            ),
        ),
        "Student.csv": csv_bytes(
            ["SIS ID", "School SIS ID", "Username", "First Name", "Last Name", "Grade", "Status"],
            (
                [
                    f"P{n}",
                    f"S{n % schools}",
                    f"student{n}",
                    f"Sam{n}",
                    f"Learner{n}",
                    str(1 + n % 12),
                    "Active",
                ]
                for n in kept
            ),
        ),
        "TeacherRoster.csv": csv_bytes(
            ["Section SIS ID", "SIS ID"],
            ([f"C{n}", f"T{(n + k) % teachers}"] for n in range(sections) for k in range(2)),
        ),
        "StudentEnrollment.csv": csv_bytes(
            ["Section SIS ID", "SIS ID"],
            (
                [f"C{(s * 7 + k * 13) % sections}", f"P{s}"]
                for k, s in ((n // students, n % students) for n in range(enrollments))
                if s in kept_set
            ),
        ),
    }


def roster_v2_1(total: int, *, drop_every: int = 0) -> dict[str, bytes]:
    """An SDS v2.1 roster of `total` rows over orgs, users, roles, classes and enrollments."""
    orgs, classes = 20, total // 60
    users = total // 4
    enrollments = total - orgs - users * 2 - classes
    teachers = classes // 2
    dropped = {u for u in range(teachers, users) if drop_every and u % drop_every == 0}
    live = [u for u in range(users) if u not in dropped]
    students = [u for u in live if u >= teachers]
    return {
        "orgs.csv": csv_bytes(
            ["sourcedId", "name", "type", "parentSourcedId"],
            ([f"O{n}", f"School {n}", "school", ""] for n in range(orgs)),
        ),
        "users.csv": csv_bytes(
            ["sourcedId", "username", "givenName", "familyName", "email"],
            (
                [f"U{u}", f"user{u}@contoso.edu", f"Given{u}", f"Family{u}", f"user{u}@contoso.edu"]
                for u in live
            ),
        ),
        "roles.csv": csv_bytes(
            ["userSourcedId", "orgSourcedId", "role", "grade", "isPrimary"],
            (
                [
                    f"U{u}",
                    f"O{u % orgs}",
                    "teacher" if u < teachers else "student",
                    "" if u < teachers else "10",
                    "true",
                ]
                for u in live
            ),
        ),
        "classes.csv": csv_bytes(
            ["sourcedId", "orgSourcedId", "title", "code"],
            ([f"K{n}", f"O{n % orgs}", f"Class {n}", f"CODE{n}"] for n in range(classes)),
        ),
        "enrollments.csv": csv_bytes(
            ["classSourcedId", "userSourcedId", "role"],
            [
                *([f"K{n}", f"U{n % teachers}", "teacher"] for n in range(classes)),
                *(
                    [f"K{(s * 7 + k * 11) % classes}", f"U{s}", "student"]
                    for k, s in (
                        (n // len(students), students[n % len(students)])
                        for n in range(enrollments - classes)
                    )
                ),
            ],
        ),
    }


def rows_of(files: dict[str, bytes]) -> int:
    return sum(content.count(b"\n") - 1 for content in files.values())


@contextmanager
def throwaway_database() -> Iterator[str]:
    from django.db import connections

    connection = connections["default"]
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        conf["TEST"]["NAME"] = str(Path(tempfile.mkdtemp(prefix="sdsbench-")) / "bench.sqlite3")
    else:
        conf["TEST"]["NAME"] = f"{conf['NAME']}_sdsbench"
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield f"{connection.vendor} ({name})"
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def timed(label: str, action: Callable[[], Any], results: list[tuple[str, float]]) -> Any:
    started = time.perf_counter()
    value = action()
    elapsed = time.perf_counter() - started
    results.append((label, elapsed))
    print(f"  {label:<58} {elapsed:7.2f} s", flush=True)
    return value


def run(total: int, formats: list[str]) -> list[tuple[str, float]]:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client

    from asm_portal import demo, roles
    from asm_portal.celery import app as celery_app
    from benchmarks.harness import act_for_default_tenant
    from sds import sync_profiles, uploads
    from sds.models import Person, RosterUpload, SchoolClass, SyncProfile

    celery_app.conf.task_always_eager = True
    logging.getLogger("celery").setLevel(logging.WARNING)

    results: list[tuple[str, float]] = []
    with throwaway_database() as database:
        print(f"Database: {database}")
        act_for_default_tenant()
        admin = User.objects.create_user("bench@contoso.onmicrosoft.com", password="x")
        admin.groups.set([demo.roles_seed()[roles.ADMINISTRATOR]])
        for code, build in (("v1", roster_v1), ("v2.1", roster_v2_1)):
            if code not in formats:
                continue
            profile = sync_profiles.sync_profile_create(
                actor=admin, name=f"Benchmark {code}", roster_format=code, domain_suffix="contoso.edu"
            )
            for label, files in (
                ("first import", build(total)),
                ("re-import, same files", build(total)),
                ("re-import without 5% of the students", build(total, drop_every=20)),
            ):
                rows = rows_of(files)
                archive = io.BytesIO()
                with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
                    for name, content in files.items():
                        zipped.writestr(name, content)

                def upload_and_import(
                    files: dict[str, bytes] = files, profile: SyncProfile = profile
                ) -> RosterUpload:
                    # What a worker does for an upload: the task runs inline (eager) at commit.
                    upload = uploads.roster_upload_create(actor=admin, profile=profile, files=files)
                    return RosterUpload.objects.get(pk=upload.pk)

                done = timed(
                    f"{code}: {label} ({rows:,} rows, {len(archive.getvalue()) // 1024:,} KiB zipped)",
                    upload_and_import,
                    results,
                )
                assert done.state == RosterUpload.State.SUCCEEDED, (done.state, list(done.issues.all()[:5]))
                print(
                    f"      {done.person_count:,} people, {done.class_count:,} classes, "
                    f"{done.enrollment_count:,} enrollments active; {done.deactivated_count:,} turned inactive"
                )
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        school_class = SchoolClass.objects.order_by("id").first()
        person = Person.objects.order_by("id").last()
        assert school_class is not None and person is not None
        print(f"Roster pages over {Person.objects.count():,} people:")
        for label, url in (
            ("people, first page", "/sds/people/"),
            ("people, search by name", "/sds/people/?q=Learner1234"),
            ("people, search, no match", "/sds/people/?q=nobody-at-all"),
            ("people, students only, page 200", "/sds/people/?role=student&page=200"),
            ("classes, first page", "/sds/classes/"),
            ("classes, search", "/sds/classes/?q=Section 19"),
            ("schools", "/sds/schools/"),
            ("a class with its teachers and students", f"/sds/classes/{school_class.pk}/"),
            ("a person", f"/sds/people/{person.pk}/"),
        ):

            def get(url: str = url) -> Any:
                return client.get(url)

            response = timed(f"GET {label}", get, results)
            assert response.status_code == 200, (url, response.status_code)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the roster, all files together")
    parser.add_argument("--format", choices=["v1", "v2.1", "both"], default="both")
    options = parser.parse_args()
    formats = ["v1", "v2.1"] if options.format == "both" else [options.format]
    started = time.perf_counter()
    run(options.rows, formats)
    print(f"Total: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

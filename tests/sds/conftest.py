"""Rosters for the School Data Sync tests: Microsoft's MIT samples, and ways to break them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from sds import roster_import, sync_profiles, uploads
from sds.models import RosterFile, RosterUpload, SyncProfile
from tests.conftest import REPO

SAMPLES = REPO / "tests" / "fixtures" / "sds-samples"


def sample(name: str) -> dict[str, bytes]:
    """The files of a sample set (v1-25-users, v1-min-required, v2.1), by name."""
    return {path.name: path.read_bytes() for path in sorted((SAMPLES / name).glob("*.csv"))}


def edited(
    files: dict[str, bytes], name: str, *, append: str = "", replace: tuple[str, str] | None = None
) -> dict[str, bytes]:
    """A copy of `files` with one file changed: lines appended, or a text replaced once."""
    text = files[name].decode()
    if replace is not None:
        assert replace[0] in text, replace[0]
        text = text.replace(replace[0], replace[1], 1)
    if append:
        text = text.rstrip("\n") + "\n" + append.rstrip("\n") + "\n"
    return {**files, name: text.encode()}


def without_lines(files: dict[str, bytes], name: str, *prefixes: str) -> dict[str, bytes]:
    """A copy of `files` without the lines of one file that start with any of `prefixes`."""
    lines = files[name].decode().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(prefixes)]
    assert len(kept) < len(lines), prefixes
    return {**files, name: "".join(kept).encode()}


def without(files: dict[str, bytes], *names: str) -> dict[str, bytes]:
    return {name: content for name, content in files.items() if name not in names}


def raw_content(file: RosterFile) -> bytes:
    """What the database holds for a roster file (the field decrypts what the model reads)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM sds_rosterfile WHERE id = %s", [file.pk])
        (value,) = cursor.fetchone()
    return bytes(value)


def upload_and_process(profile: SyncProfile, files: dict[str, bytes], actor) -> RosterUpload:
    """Upload as an administrator would, and run what the worker runs (the task, inline)."""
    upload = uploads.roster_upload_create(actor=actor, profile=profile, files=files)
    roster_import.roster_upload_process(upload_id=upload.pk)
    return RosterUpload.objects.get(pk=upload.pk)


@pytest.fixture
def classic_profile(admin_user) -> SyncProfile:
    return sync_profiles.sync_profile_create(
        actor=admin_user, name="Contoso classic", roster_format="v1", domain_suffix="contoso.edu"
    )


@pytest.fixture
def v21_profile(admin_user) -> SyncProfile:
    return sync_profiles.sync_profile_create(actor=admin_user, name="Contoso v2.1", roster_format="v2.1")


def sample_path(name: str) -> Path:
    return SAMPLES / name


@pytest.fixture
def imported_classic(classic_profile, admin_user) -> RosterUpload:
    """The classic 25-user sample, imported."""
    upload = upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
    assert upload.state == RosterUpload.State.SUCCEEDED
    return upload


@pytest.fixture
def imported_v21(v21_profile, admin_user) -> RosterUpload:
    upload = upload_and_process(v21_profile, sample("v2.1"), admin_user)
    assert upload.state == RosterUpload.State.SUCCEEDED
    return upload

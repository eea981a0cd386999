"""The MIT sample rosters of Microsoft's O365-EDU-Tools, offered for download with their licence."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_files"


@dataclass(frozen=True)
class SampleSet:
    slug: str
    folder: str
    roster_format: str
    description: str | Promise

    @property
    def files(self) -> list[str]:
        return sorted(path.name for path in (SAMPLE_DIR / self.folder).glob("*.csv"))


SAMPLE_SETS = (
    SampleSet(
        "v1-25-users",
        "v1-25-users",
        "v1",
        _("Classic SDS: 2 schools, 2 sections, 22 students and 2 teachers, with every optional column."),
    ),
    SampleSet(
        "v1-min-required",
        "v1-min-required",
        "v1",
        _("Classic SDS: the same roster with the required columns only (no names)."),
    ),
    SampleSet(
        "v2-1",
        "v2.1",
        "v2.1",
        _("SDS v2.1: 4 organisations, 8 users and 2 classes, with the five optional files."),
    ),
)


def licence_text() -> str:
    return (SAMPLE_DIR / "LICENSE").read_text(encoding="utf-8")


def source_text() -> str:
    return (SAMPLE_DIR / "SOURCE.txt").read_text(encoding="utf-8")


def sample_archive(sample: SampleSet) -> bytes:
    """The set's CSV files at the root of a .zip, ready to upload as they are.

    SDS wants nothing but its CSV files in an upload, so the source and the MIT licence travel
    in the archive's comment rather than as files.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sample.files:
            archive.write(SAMPLE_DIR / sample.folder / name, name)
        archive.comment = f"{source_text().strip()}\n\n{licence_text().strip()}\n".encode()
    return buffer.getvalue()

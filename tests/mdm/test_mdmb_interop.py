"""mdmb, an independent device simulator, against the portal served by the tests
(docs/mdm-server.md, "Checked with mdmb"): `scripts/interop/mdmb_check.py` end to end. mdmb is
not part of the project: the test is skipped unless $MDMB names its binary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.devices.conftest import enrollment_setup_create
from tests.mdm.test_mdm_protocol import portal  # noqa: F401
from tests.tokens.conftest import push_certificate, push_portal  # noqa: F401

MDMB = os.environ.get("MDMB", "")
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "interop" / "mdmb_check.py"

pytestmark = [
    pytest.mark.interop,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(MDMB).is_file(), reason="$MDMB does not name an mdmb binary"),
]


def test_mdmb_enrolls_and_answers_the_portal(portal, admin_user, settings, tmp_path) -> None:  # noqa: F811
    # mdmb's SCEP: single DES, a PKCSReq signed with a throw-away key (docs/mdm-server.md).
    settings.SCEP_LEGACY_CLIENTS = True
    setup = enrollment_setup_create()
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            MDMB,
            "--portal",
            portal,
            "--username",
            admin_user.username,
            "--password",
            PASSWORD,
            "--profile",
            str(setup.profile.pk),
            "--devices",
            "2",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: PASS" in result.stdout

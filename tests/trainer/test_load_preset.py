"""manage.py load_preset: the list, a load, and its refusals."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.mock_apple.conftest import live
from tokens.models import EnrollmentProgramToken


def run(*args: str) -> str:
    out = StringIO()
    call_command("load_preset", *args, stdout=out)
    return out.getvalue()


def test_list() -> None:
    output = run("--list")
    lines = output.strip().splitlines()
    assert [line.split()[0] for line in lines] == [
        "empty-tenant",
        "token-ready",
        "student-ipads",
        "shared-ipad-cart",
        "large-district",
    ]
    assert "50,000 devices at Apple" in output


@live
def test_load(apple, trainer_user) -> None:
    output = run("token-ready")
    assert f"Loading token-ready as {trainer_user.username}" in output
    assert "Tenant reset to “Token ready” — 40 devices, 1 token, 0 profiles in" in output
    assert EnrollmentProgramToken.objects.count() == 1


@pytest.mark.django_db
def test_unknown_preset(trainer_user) -> None:
    with pytest.raises(CommandError, match="Unknown preset “nope”. Presets: empty-tenant, token-ready"):
        run("nope")


@pytest.mark.django_db
def test_needs_a_trainer(admin_user) -> None:
    with pytest.raises(CommandError, match="No active trainer account"):
        run("token-ready")


@pytest.mark.django_db
def test_needs_a_preset() -> None:
    with pytest.raises(CommandError, match="Name a preset"):
        run()


@live
def test_apple_down(apple, trainer_user, settings) -> None:
    settings.APPLE_BASE_URL = "http://127.0.0.1:9"
    with pytest.raises(CommandError, match="cannot be reached"):
        run("token-ready")

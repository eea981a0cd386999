"""Fixtures of the trainer tests: a trainer (Administrator + Trainer, as the seed's demo login),
a trainer without the administrator role, and the mock Apple service served over HTTP (with the
demo organisation and its administrator, no devices: each preset brings its own)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from asm_portal import roles
from mock_apple.models import Organization
from tests.conftest import make_user
from tests.devices.conftest import apple_token, apple_token_create, devices_create  # noqa: F401
from tests.mock_apple.conftest import control, dep_server, live, organization_create  # noqa: F401
from tests.profiles.conftest import profile_create, token_create
from trainer.models import Trainee

__all__ = [
    "tenant_of",
    "apple_token_create",
    "control",
    "dep_server",
    "devices_create",
    "live",
    "profile_create",
    "token_create",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def served_apple(settings, dep_server):  # noqa: F811
    """The portal calls the served mock; its clock and faults go back to normal afterwards
    (the session-wide process keeps its clock offset in its own cache)."""
    settings.APPLE_BASE_URL = dep_server
    yield dep_server
    control(dep_server, "PUT", "clock", {"offset_seconds": 0})
    control(dep_server, "DELETE", "faults")


@pytest.fixture
def trainer_user(db: None) -> User:
    return make_user("trainer@contoso.onmicrosoft.com", roles.ADMINISTRATOR, roles.TRAINER)


@pytest.fixture
def trainer_client(trainer_user: User) -> Client:
    client = Client()
    client.force_login(trainer_user)
    return client


@pytest.fixture
def apple(settings, dep_server: str) -> Organization:  # noqa: F811
    """The mock Apple service over real HTTP, with the demo organisation and its administrator."""
    settings.APPLE_BASE_URL = dep_server
    settings.SYNC_RETRY_BACKOFF_SECONDS = 0
    return organization_create(devices=0)


def tenant_of(trainee: Trainee) -> int:
    """The tenant id of a built trainee (None only before the build, or after its failure)."""
    assert trainee.trainee_tenant_id is not None, trainee.error
    return trainee.trainee_tenant_id

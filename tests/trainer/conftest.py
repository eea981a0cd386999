"""Fixtures of the trainer-preset tests: a trainer, and the mock Apple service served over HTTP
with the demo organisation (its administrator, no devices: each preset brings its own)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from asm_portal import roles
from mock_apple.models import Organization
from tests.conftest import make_user
from tests.mock_apple.conftest import dep_server, organization_create

__all__ = ["dep_server"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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

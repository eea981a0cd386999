"""Fixtures of the profiles tests: a token, and a token that really exists on the mock Apple service."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from asm_portal import clock
from profiles.models import EnrollmentProfile
from profiles.rules import ProfileValues
from tokens.models import EnrollmentProgramToken

VALUES = ProfileValues(name="Student iPads", department="IT", department_phone="+33 1 23 45 67 89")


def token_create(
    name: str = "Contoso ASM", credentials: dict[str, str] | None = None, server_uuid: str = ""
) -> EnrollmentProgramToken:
    credentials = credentials or {
        "consumer_key": f"CK_{uuid.uuid4().hex}",
        "consumer_secret": "CS_test",
        "access_token": "AT_test",
        "access_secret": "AS_test",
    }
    now = clock.now()
    return EnrollmentProgramToken.objects.create(
        token_name=name,
        apple_id="admin@appleid.contoso.edu",
        token_type=EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER,
        org_name="Contoso School District",
        server_uuid=server_uuid or uuid.uuid4().hex.upper(),
        consumer_key=credentials["consumer_key"],
        consumer_key_sha256=hashlib.sha256(credentials["consumer_key"].encode()).hexdigest(),
        consumer_secret=credentials["consumer_secret"],
        access_token=credentials["access_token"],
        access_secret=credentials["access_secret"],
        expires_at=now + timedelta(days=365),
        data_sharing_consent=True,
        created_at=now,
        modified_at=now,
    )


def profile_create(token: EnrollmentProgramToken, **changes) -> EnrollmentProfile:
    now = clock.now()
    profile = EnrollmentProfile(token=token, created_at=now, modified_at=now)
    profile.apply(replace(VALUES, **changes))
    profile.save()
    return profile


@pytest.fixture
def token(db) -> EnrollmentProgramToken:
    return token_create()

"""The devices app follows the tokens and profiles apps below it through their signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from devices.assignment import default_profile_assign
from devices.models import SyncRun
from devices.sync_requests import sync_queue
from devices.tasks import profile_reassign_enqueue
from profiles import signals as profile_signals
from profiles.models import EnrollmentProfile
from tokens import signals as token_signals
from tokens.models import EnrollmentProgramToken


def token_sync_requested(
    sender: Any, *, token: EnrollmentProgramToken, actor: Any = None, **kwargs: Any
) -> None:
    sync_queue(
        token=token,
        trigger=SyncRun.Trigger.TOKEN_UPLOAD,
        requested_by=actor if isinstance(actor, User) else None,
    )


def profile_replaced_on_apple(sender: Any, *, profile: EnrollmentProfile, **kwargs: Any) -> None:
    profile_reassign_enqueue(profile_id=profile.pk)


def default_profile_set(sender: Any, *, profile: EnrollmentProfile, **kwargs: Any) -> None:
    default_profile_assign(token_id=profile.token_id)


def connect() -> None:
    token_signals.token_sync_requested.connect(token_sync_requested, dispatch_uid="devices.sync_queue")
    profile_signals.profile_replaced_on_apple.connect(
        profile_replaced_on_apple, dispatch_uid="devices.profile_reassign"
    )
    profile_signals.default_profile_set.connect(default_profile_set, dispatch_uid="devices.default_profile")

"""scenario_reset: each preset yields its counts on both sides; what a reset keeps; Apple down."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.utils import translation

from asm_portal import clock, roles
from asm_portal.models import AuditEvent, Notification, Tenant
from devices.models import Device, ProfileStatus, SyncRun
from mock_apple.models import Device as AppleDevice
from mock_apple.models import MdmServer, MockConfig, Person, PushCertificate
from profiles.models import EnrollmentProfile
from sds.models import AppleRosterSync, SyncProfile
from tests.conftest import make_user
from tests.mock_apple.conftest import live
from tokens.models import ApplePushCertificate, EnrollmentProgramToken
from trainer import presets, scenario_reset


def _portal_counts() -> dict[str, int]:
    return {
        "push_certificates": ApplePushCertificate.objects.filter(uploaded_at__isnull=False).count(),
        "tokens": EnrollmentProgramToken.objects.count(),
        "devices": Device.objects.count(),
        "profiles": EnrollmentProfile.objects.count(),
        "assigned": Device.objects.filter(profile_status=ProfileStatus.ASSIGNED).count(),
    }


@live
def test_token_ready_in_well_under_ten_seconds(apple, trainer_user) -> None:
    started = time.monotonic()
    outcome = scenario_reset.scenario_reset(actor=trainer_user, preset_key="token-ready")
    elapsed = time.monotonic() - started

    assert elapsed < 10, outcome.steps
    assert _portal_counts() == {
        "push_certificates": 1,
        "tokens": 1,
        "devices": 40,
        "profiles": 0,
        "assigned": 0,
    }
    token = EnrollmentProgramToken.objects.get()
    assert token.token_name == "Contoso Intune"
    assert token.last_successful_sync_at is not None
    assert SyncRun.objects.get().state == SyncRun.State.SUCCEEDED
    # Apple: the preset's inventory, the server holds the token's 40, the push certificate issued.
    assert AppleDevice.objects.count() == 60
    server = MdmServer.objects.get()
    assert server.server_uuid == token.server_uuid
    assert AppleDevice.objects.filter(mdm_server=server).count() == 40
    assert PushCertificate.objects.get().topic == ApplePushCertificate.objects.get().topic
    assert outcome.devices == 40 and outcome.tokens == 1


@live
def test_empty_tenant_keeps_the_push_certificate_and_no_token(apple, trainer_user) -> None:
    scenario_reset.scenario_reset(actor=trainer_user, preset_key="token-ready")
    scenario_reset.scenario_reset(actor=trainer_user, preset_key="empty-tenant")

    assert _portal_counts() == {
        "push_certificates": 1,
        "tokens": 0,
        "devices": 0,
        "profiles": 0,
        "assigned": 0,
    }
    assert AppleDevice.objects.count() == 60
    assert not MdmServer.objects.exists()
    assert AppleDevice.objects.filter(mdm_server__isnull=False).count() == 0


@live
def test_student_ipads(apple, trainer_user) -> None:
    outcome = scenario_reset.scenario_reset(actor=trainer_user, preset_key="student-ipads")

    assert _portal_counts() == {
        "push_certificates": 1,
        "tokens": 1,
        "devices": 100,
        "profiles": 1,
        "assigned": 100,
    }
    profile = EnrollmentProfile.objects.get()
    assert profile.user_affinity == "with" and profile.apple_profile_uuid
    # Apple holds the profile and its 100 devices.
    assert AppleDevice.objects.filter(profile_uuid=profile.apple_profile_uuid).count() == 100
    assert AppleDevice.objects.count() == 120
    assert outcome.assigned == 100
    assert (profile.name, profile.department) == ("Student iPads 1:1", "Contoso IT")


@live
def test_a_preset_names_things_in_the_language_of_whoever_runs_it(apple, trainer_user) -> None:
    with translation.override("fr"):
        scenario_reset.scenario_reset(actor=trainer_user, preset_key="student-ipads")
    profile = EnrollmentProfile.objects.get()
    assert profile.name == "iPad des élèves 1:1"
    assert profile.description == "Un iPad par élève, connecté avec le compte de l’élève"
    assert profile.department == "Service informatique Contoso"


@live
def test_shared_ipad_cart_with_roster(apple, trainer_user) -> None:
    outcome = scenario_reset.scenario_reset(actor=trainer_user, preset_key="shared-ipad-cart")

    assert _portal_counts() == {
        "push_certificates": 1,
        "tokens": 1,
        "devices": 40,
        "profiles": 1,
        "assigned": 30,
    }
    token = EnrollmentProgramToken.objects.get()
    assert token.shared_with_sds
    profile = EnrollmentProfile.objects.get()
    assert profile.shared_ipad
    cart = Device.objects.filter(assigned_profile=profile)
    assert set(cart.values_list("model", flat=True)) == {"iPad (10th generation)"}
    assert SyncProfile.objects.get().name == "Contoso classic"
    sync = AppleRosterSync.objects.get()
    assert sync.state == AppleRosterSync.State.SUCCEEDED
    # The roster's 22 students and 2 teachers have a Managed Apple Account in ASM.
    assert Person.objects.count() == outcome.people == 24
    assert AppleDevice.objects.filter(profile_uuid=profile.apple_profile_uuid).count() == 30


@live
def test_large_district_scaled_down(apple, trainer_user) -> None:
    # 1/100 of the 50,000 devices keeps the suite fast; the benchmark loads the whole preset.
    outcome = scenario_reset.scenario_reset(actor=trainer_user, preset_key="large-district", scale=0.01)

    assert _portal_counts() == {
        "push_certificates": 1,
        "tokens": 1,
        "devices": 500,
        "profiles": 1,
        "assigned": 0,
    }
    assert AppleDevice.objects.count() == 500
    assert outcome.apple_devices == 500
    assert presets.preset_get("large-district").apple_device_count == 50_000


@live
def test_reset_keeps_people_roles_audit_and_zeroes_the_clock(apple, trainer_user) -> None:
    operator = make_user("operator@contoso.onmicrosoft.com", roles.READ_ONLY_OPERATOR)
    clock.set_offset(timedelta(days=8))
    MockConfig.load()
    MockConfig.objects.filter(pk=1).update(clock_offset_seconds=86_400)
    before = AuditEvent.objects.count()
    Notification.objects.create(user=operator, created_at=clock.now(), title="Old news")

    scenario_reset.scenario_reset(actor=trainer_user, preset_key="token-ready")
    scenario_reset.scenario_reset(actor=trainer_user, preset_key="student-ipads")

    assert set(User.objects.values_list("username", flat=True)) == {trainer_user.username, operator.username}
    assert set(Group.objects.values_list("name", flat=True)) >= {roles.ADMINISTRATOR, roles.TRAINER}
    assert roles.TRAINER in roles.roles_of(User.objects.get(pk=trainer_user.pk))
    assert AuditEvent.objects.count() > before
    assert AuditEvent.objects.filter(action="Reset tenant to scenario preset", result="success").count() == 2
    assert Tenant.objects.get(initial_domain="contoso.onmicrosoft.com").clock_offset_seconds == 0
    assert MockConfig.load().clock_offset_seconds == 0
    assert not Notification.objects.filter(user=operator).exists()
    # Only the last reset's own toast is left for the trainer.
    toast = Notification.objects.get(user=trainer_user)
    assert "1:1 student iPads" in toast.title and "100 devices" in toast.title


@live
def test_apple_down_changes_nothing(apple, trainer_user, settings) -> None:
    scenario_reset.scenario_reset(actor=trainer_user, preset_key="token-ready")
    counts = _portal_counts()
    settings.APPLE_BASE_URL = "http://127.0.0.1:9"  # nothing listens there

    with pytest.raises(scenario_reset.ResetFailed, match="cannot be reached"):
        scenario_reset.scenario_reset(actor=trainer_user, preset_key="student-ipads")

    assert _portal_counts() == counts
    assert EnrollmentProgramToken.objects.get().token_name == "Contoso Intune"
    failure = AuditEvent.objects.get(action="Reset tenant to scenario preset", result="failure")
    assert failure.details["preset"] == "student-ipads"


@live
def test_apple_refusal_changes_nothing(apple, trainer_user) -> None:
    scenario_reset.scenario_reset(actor=trainer_user, preset_key="token-ready")
    AppleDevice.objects.all().delete()
    # The organisation's administrator is gone: the mock refuses to build, the portal stays.
    apple.accounts.all().delete()

    with pytest.raises(scenario_reset.ResetFailed, match="no active administrator"):
        scenario_reset.scenario_reset(actor=trainer_user, preset_key="student-ipads")

    assert EnrollmentProgramToken.objects.count() == 1
    assert Device.objects.count() == 40


@pytest.mark.django_db
def test_only_trainers_reset(admin_user, operator_user) -> None:
    for user in (admin_user, operator_user):
        with pytest.raises(PermissionDenied):
            scenario_reset.scenario_reset(actor=user, preset_key="token-ready")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_unknown_preset(trainer_user) -> None:
    with pytest.raises(presets.PresetNotFound):
        scenario_reset.scenario_reset(actor=trainer_user, preset_key="nope")

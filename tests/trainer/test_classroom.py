"""The classroom: a class of trainees, each with a tenant and an Apple organisation of their own,
built on a preset; the board; looking at a trainee's tenant; ending the class (nothing left)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client

from asm_portal import roles
from asm_portal.models import AuditEvent, Tenant, UserPreference
from asm_portal.tenancy import tenant_scope
from devices.models import Device
from mdm.models import DirectoryUser
from mock_apple.models import Device as AppleDevice
from mock_apple.models import MdmServer, Organization
from tests.mock_apple.conftest import live
from tests.trainer.conftest import tenant_of
from tokens.models import EnrollmentProgramToken
from trainer import classroom as classroom_services
from trainer.classroom_board import classroom_board
from trainer.models import Classroom, Trainee
from trainer.scenario_reset import scenario_reset


def _built(trainer: User, *, trainees: int, preset: str = "token-ready", language: str = "fr") -> Classroom:
    classroom = classroom_services.classroom_create(
        actor=trainer, name="CM2 A", trainees=trainees, preset_key=preset, language=language
    )
    for trainee_id in Trainee.objects.filter(classroom=classroom).values_list("pk", flat=True):
        classroom_services.classroom_trainee_build(trainee_id=trainee_id)
    return classroom


class ClassroomCreateRefusalTests:
    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            ({"trainees": 0}, "TRAINEES"),
            ({"trainees": 61}, "TRAINEES"),
            ({"preset_key": "nope"}, "PRESET"),
            ({"language": "de"}, "LANGUAGE"),
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, trainer_user, changes, code) -> None:
        arguments = {"name": "CM2 A", "trainees": 3, "preset_key": "token-ready", "language": "fr", **changes}
        with pytest.raises(classroom_services.ClassroomRefused) as refused:
            classroom_services.classroom_create(actor=trainer_user, **arguments)
        assert refused.value.code == code
        assert not Classroom.objects.exists() and not Trainee.objects.exists()

    def test_the_same_name_twice_is_refused(self, trainer_user) -> None:
        classroom_services.classroom_create(
            actor=trainer_user, name="CM2 A", trainees=1, preset_key="token-ready", language="fr"
        )
        with pytest.raises(classroom_services.ClassroomRefused):
            classroom_services.classroom_create(
                actor=trainer_user, name="cm2 a", trainees=1, preset_key="token-ready", language="fr"
            )
        assert Classroom.objects.count() == 1

    def test_only_trainers_create_classes(self, admin_user) -> None:
        with pytest.raises(PermissionDenied):
            classroom_services.classroom_create(
                actor=admin_user, name="CM2 A", trainees=1, preset_key="token-ready", language="fr"
            )

    def test_the_class_is_in_the_trainer_s_tenant_only(self, trainer_user) -> None:
        classroom_services.classroom_create(
            actor=trainer_user, name="CM2 A", trainees=2, preset_key="token-ready", language="fr"
        )
        other = Tenant.objects.create(display_name="Fabrikam", initial_domain="fabrikam.onmicrosoft.com")
        with tenant_scope(other):
            assert not Classroom.objects.exists() and not Trainee.objects.exists()


@live
def test_a_class_gives_each_trainee_a_tenant_and_an_organisation_then_ends_without_a_trace(
    apple, trainer_user
) -> None:
    classroom = _built(trainer_user, trainees=2)

    trainees = list(Trainee.objects.filter(classroom=classroom).select_related("trainee_tenant", "user"))
    assert [t.state for t in trainees] == ["ready", "ready"], [t.error for t in trainees]
    assert Classroom.objects.get(pk=classroom.pk).state == Classroom.State.READY
    first, second = trainees
    assert first.trainee_tenant is not None and first.user is not None
    assert first.trainee_tenant != second.trainee_tenant
    assert first.intune_upn == f"admin@{first.trainee_tenant.initial_domain}"
    assert first.trainee_tenant.initial_domain.endswith(".onmicrosoft.com")
    # The trainee's Intune administrator: Administrator, not Trainer, in the class's language.
    assert roles.roles_of(first.user) == {roles.ADMINISTRATOR}
    assert UserPreference.objects.get(user=first.user).language == "fr"
    assert Client().login(username=first.intune_upn, password=first.intune_password)

    # Each tenant holds its own preset, paired with its own organisation at Apple.
    for trainee in trainees:
        assert trainee.trainee_tenant is not None
        with tenant_scope(trainee.trainee_tenant):
            token = EnrollmentProgramToken.objects.get()
            assert Device.objects.count() == 40
            # Its own directory users, in its own domain, for step 6's sign-in on the iPads.
            student = DirectoryUser.objects.get(upn=f"OKlein@{trainee.trainee_tenant.initial_domain}")
            assert check_password(trainee.intune_password, student.password)
        organization = Organization.objects.using("apple").get(org_id=trainee.apple_organization_id)
        server = MdmServer.objects.using("apple").get(server_uuid=token.server_uuid)
        assert server.organization_id == organization.pk
        assert trainee.trainee_tenant.apple_organization_id == organization.org_id
        # The organisation keeps the trainee's name through the preset (not the preset's district).
        assert organization.name == trainee.trainee_tenant.display_name
    # The trainer's own tenant is untouched.
    assert not EnrollmentProgramToken.objects.exists()

    # The board: step 1's two checks and the sync are done for both, with their times.
    board = classroom_board(classroom)
    assert [row.done_count for row in board.rows] == [3, 3]
    done = {cell.key for cell in board.rows[0].cells if cell.done}
    assert done == {"public_key", "token", "sync"}

    tenant_ids = [tenant_of(t) for t in trainees]
    org_ids = [t.apple_organization_id for t in trainees]
    users = [t.user_id for t in trainees]
    ended = classroom_services.classroom_end(actor=trainer_user, classroom=classroom)

    assert ended.trainees == 2 and ended.portal_rows > 0 and ended.apple_rows > 0
    assert classroom_services.tenant_rows_left(tenant_ids) == 0
    assert not Tenant.objects.filter(pk__in=tenant_ids).exists()
    assert not User.objects.filter(pk__in=users).exists()
    assert not Organization.objects.using("apple").filter(org_id__in=org_ids).exists()
    assert not AppleDevice.objects.using("apple").filter(organization__org_id__in=org_ids).exists()
    assert not Classroom.objects.exists() and not Trainee.objects.exists()
    # The demo organisation (the trainer's) is still there.
    assert Organization.objects.using("apple").filter(pk=apple.pk).exists()


@live
def test_the_trainer_looks_at_a_trainee_s_tenant_read_only_and_comes_back(
    apple, trainer_user, trainer_client
) -> None:
    classroom = _built(trainer_user, trainees=1)
    trainee = Trainee.objects.get(classroom=classroom)
    with tenant_scope(tenant_of(trainee)):
        token = EnrollmentProgramToken.objects.get()

    # The trainer's own tenant has no such token.
    assert trainer_client.get(f"/enrollment/apple/tokens/{token.pk}/").status_code == 404
    response = trainer_client.post(f"/trainer/classroom/{classroom.pk}/trainees/{trainee.pk}/look/")
    assert response.status_code == 302

    page = trainer_client.get(f"/enrollment/apple/tokens/{token.pk}/")
    assert page.status_code == 200
    assert "look-banner" in page.content.decode()
    # Read-only: the trainer cannot change the trainee's tenant, nor reach the classroom meanwhile.
    assert (
        trainer_client.post(f"/enrollment/apple/tokens/{token.pk}/devices/sync/request/").status_code == 403
    )
    assert trainer_client.get("/trainer/classroom/").status_code == 403
    # Audited in both tenants.
    with tenant_scope(tenant_of(trainee)):
        assert AuditEvent.objects.filter(action="Look at trainee's tenant").count() == 1
    assert AuditEvent.objects.filter(action="Look at trainee's tenant").count() == 1

    trainer_client.post("/tenant-look/stop/")
    assert trainer_client.get(f"/enrollment/apple/tokens/{token.pk}/").status_code == 404
    assert trainer_client.get("/trainer/classroom/").status_code == 200


@live
def test_trainees_see_nothing_of_each_other_nor_of_the_classroom(apple, trainer_user) -> None:
    classroom = _built(trainer_user, trainees=2)
    first, second = Trainee.objects.filter(classroom=classroom).order_by("number")
    with tenant_scope(tenant_of(first)):
        first_token = EnrollmentProgramToken.objects.get()
    client = Client()
    assert client.login(username=second.intune_upn, password=second.intune_password)
    assert client.get(f"/enrollment/apple/tokens/{first_token.pk}/").status_code == 404
    assert client.get("/trainer/classroom/").status_code == 403
    assert client.get(f"/trainer/classroom/{classroom.pk}/").status_code == 404  # another tenant's class
    tokens_page = client.get("/enrollment/apple/tokens/").content.decode()
    assert first.intune_upn not in tokens_page


@live
def test_classroom_create_command_prints_the_accounts_as_json(apple, trainer_user, capsys) -> None:
    call_command("classroom_create", "Atelier", "--trainees", "2", "--preset", "empty-tenant", "--json")
    accounts = json.loads(capsys.readouterr().out)
    assert accounts["class"] == "Atelier"
    assert [a["number"] for a in accounts["trainees"]] == [1, 2]
    for account in accounts["trainees"]:
        assert account["state"] == "ready"
        assert account["intune_upn"].endswith(".onmicrosoft.com") and account["intune_password"]
        assert account["asm_apple_id"] and account["asm_password"]
        assert Client().login(username=account["intune_upn"], password=account["intune_password"])

    call_command("classroom_end", "Atelier")
    assert not Classroom.objects.exists()
    assert Tenant.objects.count() == 1  # the trainer's


@live
def test_the_trainer_resetting_their_own_tenant_keeps_their_classes(apple, trainer_user) -> None:
    classroom = classroom_services.classroom_create(
        actor=trainer_user, name="CM2 A", trainees=2, preset_key="token-ready", language="fr"
    )
    scenario_reset(actor=trainer_user, preset_key="empty-tenant")
    assert Classroom.objects.filter(pk=classroom.pk).exists()
    assert Trainee.objects.filter(classroom=classroom).count() == 2

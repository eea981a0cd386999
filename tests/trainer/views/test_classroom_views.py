"""The Classroom blades, through HTTP: create (built by the eager tasks), board, account sheet,
a trainee's pane and clock, end; trainers only."""

from __future__ import annotations

import pytest

from asm_portal import clock, roles
from asm_portal.models import Tenant, UserPreference
from asm_portal.tenancy import tenant_scope
from tests.conftest import HTMX, make_user
from tests.mock_apple.conftest import live
from tests.trainer.conftest import tenant_of
from trainer import classroom as classroom_services
from trainer.models import Classroom, Trainee


@pytest.mark.django_db
class ClassroomAccessTests:
    @pytest.mark.parametrize("url", ["/trainer/classroom/", "/trainer/classroom/add/"])
    def test_administrators_and_operators_get_403(self, admin_client, operator_client, url) -> None:
        assert admin_client.get(url).status_code == 403
        assert operator_client.get(url).status_code == 403

    def test_the_list_and_the_form_open(self, trainer_client) -> None:
        page = trainer_client.get("/trainer/classroom/").content.decode()
        assert "Create class" in page and "No classes yet" in page
        form = trainer_client.get("/trainer/classroom/add/", **HTMX).content.decode()
        assert 'name="trainees"' in form and 'value="token-ready"' in form

    def test_the_blade_speaks_french(self, trainer_client, trainer_user) -> None:
        UserPreference.objects.create(user=trainer_user, language="fr")
        page = trainer_client.get("/trainer/classroom/").content.decode()
        assert "Salle de classe" in page and "Créer une classe" in page and "Aucune classe" in page
        form = trainer_client.get("/trainer/classroom/add/", **HTMX).content.decode()
        assert "Nom de la classe" in form and "Chaque stagiaire part de" in form

    def test_bad_input_answers_the_form_with_the_reason_and_creates_nothing(self, trainer_client) -> None:
        response = trainer_client.post(
            "/trainer/classroom/add/",
            {"name": "CM2", "trainees": "99", "preset": "token-ready", "language": "fr"},
            **HTMX,
        )
        assert response.status_code == 200
        assert "Ensure this value is less than or equal to 60" in response.content.decode()
        assert not Classroom.objects.exists()

    def test_another_tenant_s_class_is_a_404(self, trainer_client, trainer_user) -> None:
        other = Tenant.objects.create(display_name="Fabrikam", initial_domain="fabrikam.onmicrosoft.com")
        with tenant_scope(other):
            someone = make_user("trainer@fabrikam.onmicrosoft.com", roles.TRAINER, tenant=other)
            theirs = classroom_services.classroom_create(
                actor=someone, name="Theirs", trainees=1, preset_key="token-ready", language="en"
            )
        for path in ("", "sheet/", "end/"):
            assert trainer_client.get(f"/trainer/classroom/{theirs.pk}/{path}").status_code == 404


@live
def test_create_a_class_follow_its_board_print_its_sheet_and_end_it(apple, trainer_client) -> None:
    response = trainer_client.post(
        "/trainer/classroom/add/",
        {"name": "CM2 B", "trainees": "2", "preset": "token-ready", "language": "fr"},
        **HTMX,
    )
    assert response.status_code == 204, response.content.decode()[:500]
    classroom = Classroom.objects.get()
    assert Classroom.objects.get().state == Classroom.State.READY  # eager tasks built both

    board = trainer_client.get(f"/trainer/classroom/{classroom.pk}/?fragment=board", **HTMX).content.decode()
    assert board.count('data-check="token" data-done="yes"') == 2
    assert 'hx-trigger="every 3s" data-poll-visible' in board

    sheet = trainer_client.get(f"/trainer/classroom/{classroom.pk}/sheet/")
    assert sheet["Cache-Control"].startswith("max-age=0")
    text = sheet.content.decode()
    first, second = Trainee.objects.filter(classroom=classroom).order_by("number")
    assert "Stagiaire 01" in text and "Stagiaire 02" in text  # the class's language, French
    assert first.intune_password in text and second.asm_password in text

    pane = trainer_client.get(f"/trainer/classroom/{classroom.pk}/trainees/{first.pk}/", **HTMX)
    assert pane.status_code == 200 and first.intune_upn in pane.content.decode()
    moved = trainer_client.post(
        f"/trainer/classroom/{classroom.pk}/trainees/{first.pk}/clock/", {"step": "1d"}, **HTMX
    )
    assert moved.status_code == 200
    with tenant_scope(tenant_of(first)):
        assert clock.offset().days == 1
    with tenant_scope(tenant_of(second)):
        assert clock.offset().days == 0
    assert clock.offset().days == 0  # nor the trainer's

    ended = trainer_client.post(f"/trainer/classroom/{classroom.pk}/end/", **HTMX)
    assert ended.status_code == 204
    assert not Classroom.objects.exists()

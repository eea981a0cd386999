"""Deleting a token: a danger confirmation, refused with the reason while something still needs it."""

from __future__ import annotations

import pytest
from django.db import connection, models
from django.db.models.deletion import ProtectedError

from asm_portal.models import AuditEvent, Notification
from tests.conftest import HTMX
from tests.tokens.conftest import make_token
from tokens import services
from tokens.models import EnrollmentProgramToken
from tokens.refusals import TokenDeletionError


def url(token: EnrollmentProgramToken) -> str:
    return f"/enrollment/apple/tokens/{token.pk}/delete/"


@pytest.fixture
def profile_model(db):
    """A model that refers to the token with PROTECT, as the profiles app's will."""
    from django.apps import apps

    class TestProfile(models.Model):
        id = models.IntegerField(primary_key=True)
        token = models.ForeignKey(EnrollmentProgramToken, on_delete=models.PROTECT, related_name="+")

        class Meta:
            app_label = "tokens"
            verbose_name = "enrollment program profile"
            verbose_name_plural = "enrollment program profiles"

        def __str__(self) -> str:
            return f"Profile {self.pk}"

    apps.clear_cache()
    # Plain DDL inside the test's transaction (SQLite's schema editor refuses to run there);
    # the rollback at the end of the test drops the table.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE tokens_testprofile (id integer PRIMARY KEY, token_id bigint NOT NULL)")
    yield TestProfile
    del apps.all_models["tokens"]["testprofile"]
    apps.clear_cache()


class TokenDeleteTests:
    def test_the_confirmation_page_works_without_javascript(self, admin_client) -> None:
        token = make_token(token_name="Lycée Jean Moulin")
        response = admin_client.get(url(token))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Delete confirmation" in body
        assert "This action will permanently delete the enrollment program token “Lycée Jean Moulin”" in body
        assert 'class="button button-danger"' in body

    def test_it_deletes_and_returns_to_the_list(self, admin_client, admin_user) -> None:
        token = make_token(token_name="Lycée Jean Moulin")
        response = admin_client.post(url(token))
        assert response.status_code == 302
        assert response["Location"] == "/enrollment/apple/tokens/"
        assert not EnrollmentProgramToken.objects.exists()
        event = AuditEvent.objects.get(action="Delete enrollment program token")
        assert (event.actor, event.target_name, event.target_id) == (
            admin_user,
            "Lycée Jean Moulin",
            str(token.pk),
        )
        assert Notification.objects.get(user=admin_user).title == "Token deleted"

    def test_htmx_delete_navigates_to_the_list(self, admin_client) -> None:
        response = admin_client.post(url(make_token()), **HTMX)
        assert response.status_code == 204
        assert '"path": "/enrollment/apple/tokens/"' in response["HX-Location"]

    def test_it_is_refused_with_the_reason_while_profiles_need_the_token(
        self, admin_client, profile_model
    ) -> None:
        token = make_token(token_name="Lycée Jean Moulin")
        profile_model.objects.bulk_create([profile_model(id=i, token=token) for i in range(3)])
        assert services.token_deletion_blockers(token=token) == [
            "The token still has 3 enrollment program profiles. Delete them first."
        ]
        response = admin_client.post(url(token), **HTMX)
        assert response.status_code == 200
        body = response.content.decode()
        assert "can’t be deleted yet" in body and "3 enrollment program profiles" in body
        assert "button-danger" not in body
        assert EnrollmentProgramToken.objects.filter(pk=token.pk).exists()
        assert not AuditEvent.objects.exists()
        # The token blade's dialog says so too, instead of offering Delete.
        dialog = (
            admin_client.get(f"/enrollment/apple/tokens/{token.pk}/").content.decode().split("<dialog")[1]
        )
        assert "3 enrollment program profiles" in dialog and "button-danger" not in dialog

    def test_a_race_with_a_new_profile_is_still_refused(self, admin_user, profile_model, monkeypatch) -> None:
        token = make_token()
        profile_model.objects.create(id=1, token=token)
        # The check ran before the profile arrived: the database's PROTECT still refuses.
        calls = iter([[], ["The token still has 1 enrollment program profile. Delete it first."]])
        monkeypatch.setattr(services, "token_deletion_blockers", lambda *, token: next(calls))
        with pytest.raises(TokenDeletionError) as caught:
            services.token_delete(actor=admin_user, token=token)
        assert caught.value.reasons == ["The token still has 1 enrollment program profile. Delete it first."]
        assert EnrollmentProgramToken.objects.filter(pk=token.pk).exists()
        assert not AuditEvent.objects.exists()
        with pytest.raises(ProtectedError):
            EnrollmentProgramToken.objects.filter(pk=token.pk).delete()

    def test_read_only_operators_are_refused(self, operator_client) -> None:
        token = make_token()
        assert operator_client.get(url(token)).status_code == 403
        assert operator_client.post(url(token)).status_code == 403
        assert EnrollmentProgramToken.objects.exists()

    def test_anonymous_users_sign_in_first(self, client, db) -> None:
        token = make_token()
        assert client.post(url(token)).status_code == 302
        assert EnrollmentProgramToken.objects.exists()

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.put(url(make_token())).status_code == 405

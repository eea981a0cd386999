from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from asm_portal.models import AuditEvent
from profiles import services
from profiles.choices import Affinity, Pairing, RulesEdition
from profiles.models import ConfiguratorCertificate, EnrollmentProfile, ProfileSettings
from tests.profiles.conftest import VALUES, profile_create
from tests.profiles.test_certificates import make_certificate
from tokens.services import token_deletion_blockers


def cer(name: str = "configurator.cer") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_certificate(name).public_bytes(serialization.Encoding.DER))


class ProfileCreateTests:
    def test_it_creates_and_audits(self, admin_user, token) -> None:
        result = services.profile_create(actor=admin_user, token=token, values=VALUES)
        profile = EnrollmentProfile.objects.get()
        assert result.profile == profile
        assert profile.values() == VALUES
        assert profile.token == token
        assert AuditEvent.objects.get().action == "Create enrollment profile"

    def test_a_broken_rule_saves_nothing(self, admin_user, token) -> None:
        with pytest.raises(services.ProfileRefused) as refused:
            services.profile_create(
                actor=admin_user,
                token=token,
                values=replace(VALUES, locked_enrollment=True, supervised=False),
            )
        assert refused.value.errors == {"locked_enrollment": ["Locked enrollment requires Supervised mode."]}
        assert not EnrollmentProfile.objects.exists()
        assert not AuditEvent.objects.exists()

    def test_read_only_operators_cannot(self, operator_user, token) -> None:
        with pytest.raises(PermissionDenied):
            services.profile_create(actor=operator_user, token=token, values=VALUES)

    def test_names_are_unique_per_token(self, admin_user, token) -> None:
        services.profile_create(actor=admin_user, token=token, values=VALUES)
        with pytest.raises(services.ProfileRefused) as refused:
            services.profile_create(actor=admin_user, token=token, values=VALUES)
        assert "name" in refused.value.errors

    def test_the_per_token_limit(self, admin_user, token) -> None:
        settings = ProfileSettings.load()
        settings.max_profiles_per_token = 1
        settings.save()
        services.profile_create(actor=admin_user, token=token, values=VALUES)
        with pytest.raises(services.ProfileRefused, match="limit of 1 enrollment profiles"):
            services.profile_create(actor=admin_user, token=token, values=replace(VALUES, name="Second"))

    def test_certificates_are_parsed_and_counted(self, admin_user, token) -> None:
        values = replace(VALUES, pairing=Pairing.BY_CERTIFICATE)
        with pytest.raises(services.ProfileRefused, match="at least one Apple Configurator certificate"):
            services.profile_create(actor=admin_user, token=token, values=values)
        services.profile_create(actor=admin_user, token=token, values=values, certificates=[cer()])
        certificate = ConfiguratorCertificate.objects.get()
        assert certificate.file_name == "configurator.cer"
        assert len(certificate.thumbprint) == 40

    def test_a_file_that_is_not_a_certificate_is_refused(self, admin_user, token) -> None:
        values = replace(VALUES, pairing=Pairing.BY_CERTIFICATE)
        bad = SimpleUploadedFile("notes.cer", b"hello")
        with pytest.raises(services.ProfileRefused) as refused:
            services.profile_create(actor=admin_user, token=token, values=values, certificates=[bad])
        assert str(refused.value.errors["certificates"][0]).startswith("notes.cer: ")
        assert not EnrollmentProfile.objects.exists()


class ProfileUpdateTests:
    def test_it_saves_and_lists_the_changes(self, admin_user, token) -> None:
        profile = profile_create(token)
        services.profile_update(
            actor=admin_user, profile=profile, values=replace(VALUES, department="Library")
        )
        profile.refresh_from_db()
        assert profile.department == "Library"
        assert AuditEvent.objects.get().details == {"changed": ["department"]}

    def test_turning_affinity_off_switches_shared_ipad_off(self, admin_user, token) -> None:
        profile = profile_create(token, shared_ipad=True, user_affinity=Affinity.WITH, max_cached_users=6)
        result = services.profile_update(
            actor=admin_user,
            profile=profile,
            values=replace(profile.values(), user_affinity=Affinity.WITHOUT),
        )
        profile.refresh_from_db()
        assert profile.shared_ipad is False
        assert profile.user_affinity == Affinity.WITHOUT
        assert "Shared iPad was turned off" in str(result.notices[0])

    def test_removing_the_last_certificate_breaks_certificate_pairing(self, admin_user, token) -> None:
        result = services.profile_create(
            actor=admin_user,
            token=token,
            values=replace(VALUES, pairing=Pairing.BY_CERTIFICATE),
            certificates=[cer()],
        )
        certificate = result.profile.certificates.get()
        with pytest.raises(services.ProfileRefused):
            services.profile_update(
                actor=admin_user,
                profile=result.profile,
                values=result.profile.values(),
                remove_certificate_ids=[certificate.pk],
            )
        assert result.profile.certificates.count() == 1


class ProfileDefaultAndDeleteTests:
    def test_one_default_per_token(self, admin_user, token) -> None:
        first = profile_create(token, name="First")
        second = profile_create(token, name="Second")
        services.profile_set_default(actor=admin_user, profile=first)
        services.profile_set_default(actor=admin_user, profile=second)
        assert list(EnrollmentProfile.objects.filter(is_default=True)) == [second]

    def test_delete(self, admin_user, token) -> None:
        profile = profile_create(token)
        services.profile_delete(actor=admin_user, profile=profile)
        assert not EnrollmentProfile.objects.exists()
        assert AuditEvent.objects.get().action == "Delete enrollment profile"

    def test_a_token_with_profiles_cannot_be_deleted(self, admin_user, token) -> None:
        profile_create(token)
        assert token_deletion_blockers(token=token) == [
            "The token still has 1 enrollment program profile. Delete it first."
        ]


class RulesEditionTests:
    def test_todays_intune_rules_apply_once_chosen(self, admin_user, token) -> None:
        values = replace(
            VALUES,
            shared_ipad=True,
            user_affinity=Affinity.WITHOUT,
            max_cached_users=4,
            await_final_configuration=False,
        )
        with pytest.raises(services.ProfileRefused):
            services.profile_create(actor=admin_user, token=token, values=values)
        services.rules_edition_set(actor=admin_user, edition=RulesEdition.CURRENT)
        services.profile_create(actor=admin_user, token=token, values=values)
        assert EnrollmentProfile.objects.get().shared_ipad is True

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from asm_portal import roles
from mock_apple.models import AppleAccount, Device, PurchaseOrder


@pytest.mark.django_db(databases=["default", "apple"])
class SeedDemoTests:
    def run(self, monkeypatch, devices: int) -> str:
        monkeypatch.setenv("DEMO_PASSWORD", "Seeded-Pass-1!")
        out = StringIO()
        call_command("seed_demo", devices=devices, seed=7, stdout=out)
        return out.getvalue()

    def test_it_creates_users_an_organisation_and_an_inventory(self, monkeypatch) -> None:
        output = self.run(monkeypatch, devices=300)
        admin = User.objects.get(username="admin@contoso.onmicrosoft.com")
        assert admin.check_password("Seeded-Pass-1!")
        assert roles.roles_of(admin) == {roles.ADMINISTRATOR}
        operator = User.objects.get(username="operator@contoso.onmicrosoft.com")
        assert roles.roles_of(operator) == {roles.READ_ONLY_OPERATOR}
        assert AppleAccount.objects.get().apple_id == "admin@appleid.contoso.edu"
        assert Device.objects.count() == 300
        families = set(Device.objects.values_list("device_family", flat=True))
        assert families <= {"iPad", "iPhone"}
        assert "iPad" in families
        assert PurchaseOrder.objects.count() >= 1
        assert all(len(serial) == 10 for serial in Device.objects.values_list("serial_number", flat=True))
        assert "Seeded-Pass-1!" in output
        assert "admin@contoso.onmicrosoft.com" in output
        assert "/asm/" in output
        # The directory's teachers and students, who sign in on the devices, with the same password.
        from django.contrib.auth.hashers import check_password

        from mdm.models import DirectoryUser

        student = DirectoryUser.objects.get(upn="OKlein@contoso.onmicrosoft.com")
        assert check_password("Seeded-Pass-1!", student.password) and student.enabled
        assert DirectoryUser.objects.count() == 6
        assert "CBeane@contoso.onmicrosoft.com" in output

    def test_it_speaks_the_administrator_s_language(self, monkeypatch) -> None:
        monkeypatch.setenv("DEMO_PASSWORD", "Seeded-Pass-1!")
        out = StringIO()
        call_command("seed_demo", devices=5, seed=7, stdout=out, language="fr")
        output = out.getvalue()
        for french in (
            "Démonstration prête.",
            "Portail Intune\u00a0:",
            "Administrateur",
            "Enseignant",
            "Élève",
            "Mot de passe (tous les comptes)\u00a0: Seeded-Pass-1!",
            "5 appareils (5 nouveaux)",
        ):
            assert french in output, french
        for english in ("Demo ready", "Teacher", "Password", " devices ("):
            assert english not in output, english

    def test_it_is_idempotent_and_tops_up(self, monkeypatch) -> None:
        self.run(monkeypatch, devices=100)
        self.run(monkeypatch, devices=100)
        assert Device.objects.count() == 100
        assert User.objects.filter(username="admin@contoso.onmicrosoft.com").count() == 1
        self.run(monkeypatch, devices=250)
        assert Device.objects.count() == 250
        assert Device.objects.values("serial_number").distinct().count() == 250

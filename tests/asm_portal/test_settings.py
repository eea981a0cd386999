from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from asm_portal import settings as portal_settings
from tests.conftest import REPO

PRODUCTION_ENV = {
    "DEBUG": "False",
    "SECRET_KEY": "x" * 60 + "-production-secret-for-the-deploy-check",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "portal.example.org",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for the Playwright tests and would fail the deploy check.
    dropped = ("DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


class EnvHelpersTests:
    def test_it_accepts_only_true_and_false(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SOME_FLAG", "True")
        assert portal_settings.envbool("SOME_FLAG", "False") is True
        monkeypatch.setenv("SOME_FLAG", "yes")
        with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
            portal_settings.envbool("SOME_FLAG", "False")

    def test_it_fails_loudly_on_a_bad_number(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SOME_NUMBER", "ten")
        with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
            portal_settings.envint("SOME_NUMBER", "1")

    def test_it_reads_a_secret_from_a_file(self, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
        secret = tmp_path / "secret"
        secret.write_text("from-file\n")
        monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
        assert portal_settings.envsecret("SOME_SECRET") == "from-file"

    def test_it_rejects_a_url_without_scheme(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SOME_URL", "apple.example.org")
        with pytest.raises(ImproperlyConfigured, match="SOME_URL"):
            portal_settings.envurl("SOME_URL", "http://127.0.0.1")

    def test_it_places_the_apple_database_next_to_the_portal_one(self) -> None:
        url = portal_settings._apple_database_url("postgres://asm@db:5432/portal")
        assert url == "postgres://asm@db:5432/portal_apple"


class ProductionSettingsTests:
    def test_it_refuses_to_start_without_a_secret_key(self) -> None:
        env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
        result = run_manage("check", env=env)
        assert result.returncode != 0
        assert "SECRET_KEY must be set" in result.stderr

    def test_it_refuses_a_bad_encryption_key(self) -> None:
        result = run_manage("check", env={**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEY": "not-a-key"})
        assert result.returncode != 0
        assert "FIELD_ENCRYPTION_KEY" in result.stderr

    def test_deploy_check_is_clean(self) -> None:
        result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout

    def test_deploy_check_is_clean_for_the_apple_service(self) -> None:
        env = {**PRODUCTION_ENV, "ASM_SERVICE": "apple"}
        result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
        assert result.returncode == 0, result.stdout + result.stderr


class BrokerSettingsTests:
    def test_the_broker_never_shares_the_cache_database(self) -> None:
        assert portal_settings._redis_broker_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/1"
        assert portal_settings._redis_broker_url("redis://cache:6379") == "redis://cache:6379/1"
        assert (
            portal_settings._redis_broker_url("redis://:secret@cache:6379/4")
            == "redis://:secret@cache:6379/5"
        )


class EmbeddedCacheTests:
    def test_without_redis_every_process_shares_one_file_cache_under_var(self, tmp_path) -> None:
        # The worker writes a preset reset's progress and the web process reads it: a cache of
        # each process's own (LocMemCache) left the progress panel waiting for good.
        result = run_manage(
            "shell",
            "-c",
            "from django.conf import settings; c = settings.CACHES['default']; "
            "print(c['BACKEND'], c['LOCATION'])",
            env={"REDIS_URL": "", "ASM_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"},
        )
        assert result.returncode == 0, result.stderr
        backend, location = result.stdout.strip().splitlines()[-1].split()
        assert backend == "django.core.cache.backends.filebased.FileBasedCache"
        assert location == str(tmp_path / "cache" / "portal")


@pytest.mark.parametrize("service", ["portal", "apple"])
def test_both_services_send_a_permissions_policy(service: str) -> None:
    script = "from django.conf import settings; print(settings.MIDDLEWARE)"
    result = run_manage("shell", "-c", script, env={"ASM_SERVICE": service})
    assert result.returncode == 0, result.stderr
    assert "asm_portal.middleware.PermissionsPolicyMiddleware" in result.stdout

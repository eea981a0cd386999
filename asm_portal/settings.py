"""Settings for both processes of ASM Portal, read from the environment.

One module serves the portal (Intune side) and the mock Apple service: ``ASM_SERVICE``
chooses the URLconf, the middleware and the cookie names, so that the two processes can
run side by side on one host (cookies are shared across ports on ``localhost``).
Every variable is documented in README.md and .env.example.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.log import DEFAULT_LOGGING
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default)
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be 'True' or 'False', not {value!r}")
    return value == "True"


def envint(name: str, default: str) -> int:
    value = os.getenv(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envsecret(name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (Docker/K8s secrets)."""
    path = os.getenv(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc}") from None
    return os.getenv(name) or None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def envurl(name: str, default: str) -> str:
    value = os.getenv(name, default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"{name} must be an http(s) URL, not {value!r}")
    return value


def _dev_secret(path: Path, make: Any) -> str:
    """Generate a development secret once and keep it in the ignored var/ folder."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


DEBUG = envbool("DEBUG", "True")
VAR_DIR = Path(os.getenv("ASM_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ASM_SERVICE = os.getenv("ASM_SERVICE", "portal")
if ASM_SERVICE not in ("portal", "apple"):
    raise ImproperlyConfigured(f"ASM_SERVICE must be 'portal' or 'apple', not {ASM_SERVICE!r}")

SECRET_KEY = envsecret("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is False")
    SECRET_KEY = _dev_secret(VAR_DIR / "secret_key", lambda: secrets.token_urlsafe(50))

# Fernet keys for secrets at rest (private keys, OAuth secrets). Several keys, comma-separated,
# allow rotation: the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEYS = [
    key.strip() for key in (envsecret("FIELD_ENCRYPTION_KEY") or "").split(",") if key.strip()
]
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is False")
    FIELD_ENCRYPTION_KEYS = [
        _dev_secret(VAR_DIR / "field_encryption_key", lambda: Fernet.generate_key().decode())
    ]
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must hold Fernet keys (32 url-safe base64-encoded bytes)"
        ) from None

# The mock Apple service's control API (/_mock/: faults, clock, terms) needs this shared secret
# in X-Mock-Control-Token. Unset, the API does not exist, except in DEBUG where one is
# generated into var/.
MOCK_APPLE_CONTROL_TOKEN = envsecret("MOCK_APPLE_CONTROL_TOKEN") or (
    _dev_secret(VAR_DIR / "mock_control_token", lambda: secrets.token_urlsafe(32)) if DEBUG else ""
)

# The virtual iPads' background runner (mock_apple.ipad.wake): the served mock runs the sessions
# a push asks for, and checks each enrolled, powered-on device in every CHECKIN_SECONDS.
MOCK_APPLE_IPAD_RUNNER = envbool("MOCK_APPLE_IPAD_RUNNER", "True") and ASM_SERVICE == "apple"
MOCK_APPLE_IPAD_CHECKIN_SECONDS = envint("MOCK_APPLE_IPAD_CHECKIN_SECONDS", "900")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# Where each side is reached. The portal calls Apple at APPLE_BASE_URL (server to server);
# browsers open the mock ASM portal at APPLE_PUBLIC_URL, and virtual devices enroll at
# PORTAL_BASE_URL. On one machine all of them are loopback addresses.
PORTAL_BASE_URL = envurl("PORTAL_BASE_URL", "http://127.0.0.1:8000")
APPLE_BASE_URL = envurl("APPLE_BASE_URL", "http://127.0.0.1:8001")
APPLE_PUBLIC_URL = envurl("APPLE_PUBLIC_URL", APPLE_BASE_URL)
APPLE_HTTP_TIMEOUT_SECONDS = envint("APPLE_HTTP_TIMEOUT_SECONDS", "15")
# APNs provider API (the MDM server's pushes): Apple's is https://api.push.apple.com; the mock
# Apple service answers /3/device/<token> itself. The push certificate travels in this header, as
# a TLS-terminating proxy forwards a client certificate (docs/mdm-server.md).
APNS_BASE_URL = envurl("APNS_BASE_URL", APPLE_BASE_URL)
APNS_CLIENT_CERTIFICATE_HEADER = os.getenv("APNS_CLIENT_CERTIFICATE_HEADER", "X-Apns-Client-Certificate")
# Pushes sent at once by one push task, each over its own kept-alive connection (APNs takes
# many concurrent streams; a bulk action on 1,000 devices must be pushed within seconds).
APNS_CONCURRENCY = envint("APNS_CONCURRENCY", "8")
# The MDM server (mdm app): how long an enrollment profile's SCEP challenge can be used (once);
# the largest body a device may send to the MDM endpoints; the header a TLS-terminating proxy
# puts the device's client certificate in (URL-escaped PEM or RFC 9440 :base64-DER:), unset: none
# trusted, devices sign with Mdm-Signature; the PEM file of the CA that signs devices' MachineInfo
# (Apple's device CA chain in production), unset: the mock Apple service's, fetched over HTTP.
SCEP_CHALLENGE_SECONDS = envint("SCEP_CHALLENGE_SECONDS", "3600")
# Off (the default), SCEP takes what RFC 8894 and iPads send: AES or 3DES, a PKCSReq signed with
# the CSR's own key. On, it also takes single DES and a PKCSReq signed with another self-signed
# key, as device simulators send (mdmb, docs/mdm-server.md "Checked with mdmb"); for test setups.
SCEP_LEGACY_CLIENTS = envbool("SCEP_LEGACY_CLIENTS", "False")
MDM_MAX_BODY_BYTES = envint("MDM_MAX_BODY_BYTES", str(2 * 1024 * 1024))
MDM_CLIENT_CERTIFICATE_HEADER = os.getenv("MDM_CLIENT_CERTIFICATE_HEADER", "")
MDM_MACHINEINFO_TRUST_ANCHOR = os.getenv("MDM_MACHINEINFO_TRUST_ANCHOR", "")
# The X-Server-Protocol-Version the DEP client sends (7: iPads report os "iPadOS"; 9: a throttled
# profile assignment answers THROTTLED; 10: with retry_after_seconds, which assignments honour).
APPLE_SERVER_PROTOCOL_VERSION = envint("APPLE_SERVER_PROTOCOL_VERSION", "10")

# Device sync and profile assignment (devices app), Intune's limits. A trainer can shorten them.
# A full sync (every serial Apple assigns) at most once per this interval; a request inside it
# refreshes only the serial numbers Intune does not know yet.
SYNC_FULL_INTERVAL_SECONDS = envint("SYNC_FULL_INTERVAL_SECONDS", str(7 * 86400))
# Each sync request has this long to finish; until then, or until it succeeds, Sync is refused.
SYNC_REQUEST_WINDOW_SECONDS = envint("SYNC_REQUEST_WINDOW_SECONDS", str(15 * 60))
# The automatic delta sync of every token (Celery beat).
SYNC_DELTA_INTERVAL_SECONDS = envint("SYNC_DELTA_INTERVAL_SECONDS", str(12 * 3600))
# Devices asked of Apple per page (Apple's maximum is 1000).
SYNC_PAGE_SIZE = envint("SYNC_PAGE_SIZE", "1000")
# Pages of Apple's the sync reads ahead of the one it writes (devices.read_ahead): enough to
# absorb a slow page, each ~2 MB of the worker's memory.
SYNC_READ_AHEAD_PAGES = envint("SYNC_READ_AHEAD_PAGES", "3")
# A running sync holds a lease on its run, renewed at every page; a lease that is not renewed
# for this long (a killed worker) can be taken over.
SYNC_LEASE_SECONDS = envint("SYNC_LEASE_SECONDS", "60")
# Apple's 429, 5xx and timeouts: tries per call, and the first back-off delay (doubled each time,
# or Apple's Retry-After when it says more).
SYNC_RETRY_ATTEMPTS = envint("SYNC_RETRY_ATTEMPTS", "5")
SYNC_RETRY_BACKOFF_SECONDS = envint("SYNC_RETRY_BACKOFF_SECONDS", "2")
# Devices that Apple reports deleted stay visible (as removed) this long, then Intune removes them.
SYNC_REMOVED_RETENTION_DAYS = envint("SYNC_REMOVED_RETENTION_DAYS", "30")
# Serial numbers Apple answers THROTTLED are tried again this many times (after its delay).
ASSIGNMENT_THROTTLED_RETRIES = envint("ASSIGNMENT_THROTTLED_RETRIES", "5")
# An assignment's lease, renewed with every batch of 1,000 serial numbers sent to Apple.
ASSIGNMENT_LEASE_SECONDS = envint("ASSIGNMENT_LEASE_SECONDS", "60")

# Enrollment of (virtual) devices.
# The Apple device CA (which signs device certificates) is fetched from Apple and kept this long.
DEVICE_CA_CACHE_SECONDS = envint("DEVICE_CA_CACHE_SECONDS", "3600")
# Setup Assistant's sign-in page (modern authentication) may be submitted this long after it
# was shown to the device (mdm.web_enrollment).
ENROLLMENT_TICKET_MAX_AGE_SECONDS = envint("ENROLLMENT_TICKET_MAX_AGE_SECONDS", "900")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "asm_portal",
    "tokens",
    "profiles",
    "devices",
    "mdm",
    "sds",
    "graph",
    "trainer",
    "mock_apple",
]

_COMMON_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "asm_portal.middleware.PermissionsPolicyMiddleware",
    # Production serves collected static files itself; DEBUG uses runserver's finders.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "asm_portal.middleware.RefuseNulMiddleware",
]
if ASM_SERVICE == "portal":
    ROOT_URLCONF = "asm_portal.urls"
    MIDDLEWARE = [
        *_COMMON_MIDDLEWARE,
        "csp.middleware.CSPMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
        "asm_portal.middleware.TenantScopeMiddleware",
        "asm_portal.middleware.UserLanguageMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django_htmx.middleware.HtmxMiddleware",
    ]
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    SESSION_COOKIE_NAME = "asm_portal_session"
    CSRF_COOKIE_NAME = "asm_portal_csrftoken"
    LANGUAGE_COOKIE_NAME = "asm_portal_language"
else:
    # The mock Apple process keeps everything in its own database: its sessions live in a
    # signed cookie and it has no use for the portal's users.
    ROOT_URLCONF = "mock_apple.urls"
    MIDDLEWARE = [
        *_COMMON_MIDDLEWARE,
        "csp.middleware.CSPMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django_htmx.middleware.HtmxMiddleware",
    ]
    SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    SESSION_COOKIE_NAME = "apple_session"
    CSRF_COOKIE_NAME = "apple_csrftoken"
    LANGUAGE_COOKIE_NAME = "apple_language"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "asm_portal.context_processors.shell",
                "trainer.context_processors.trainer_shell",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

WSGI_APPLICATION = "asm_portal.wsgi.application"


# Seconds a process keeps its database connection between requests (0: one per request). The
# threaded development server opens one per request thread, so its processes set 0.
DATABASE_CONN_MAX_AGE = envint("DATABASE_CONN_MAX_AGE", "60")


def _database(url: str, test_file: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=DATABASE_CONN_MAX_AGE))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # File-backed test databases, so that a worker or a served mock Apple process
        # started by a test sees the same rows as the test.
        config["TEST"] = {"NAME": str(VAR_DIR / test_file)}
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            # Write-ahead log: readers (pages, the mock's process) never wait for a writer (a
            # sync), and a commit needs no fsync; a 64 MB page cache keeps the indexes of a
            # 200,000-device table in memory while a sync writes them.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; "
                "PRAGMA wal_autocheckpoint=16384"
            ),
        }
        config["CONN_MAX_AGE"] = 0
    return config


def _apple_database_url(portal_url: str) -> str:
    """By default the mock Apple data sits next to the portal's: same server, own database."""
    parts = urlsplit(portal_url)
    if parts.scheme.startswith("sqlite"):
        return f"sqlite:///{VAR_DIR / 'apple.sqlite3'}"
    name = parts.path.lstrip("/") or "asm_portal"
    return parts._replace(path=f"/{name}_apple").geturl()


DATABASE_URL = os.getenv("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")
APPLE_DATABASE_URL = os.getenv("APPLE_DATABASE_URL", _apple_database_url(DATABASE_URL))
DATABASES = {
    "default": _database(DATABASE_URL, "test_portal.sqlite3"),
    "apple": _database(APPLE_DATABASE_URL, "test_apple.sqlite3"),
}
DATABASE_ROUTERS = ["asm_portal.routers.AppleRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.getenv("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis errors are logged once and skipped: the cache only caches (asm_portal/cache.py).
            "BACKEND": "asm_portal.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"asm:{ASM_SERVICE}",
        }
    }
else:
    # Without Redis the cache is files under VAR_DIR, shared by every process of the embedded
    # setup: the web process reads what the Celery worker writes (a preset reset's progress)
    # and the demo clock's cached offset. A per-process LocMemCache left the progress panel on
    # "Waiting for a worker…" for good. Each service keeps its own folder (as its own prefix in
    # Redis), so the mock Apple service's cache.clear() never empties the portal's.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache" / ASM_SERVICE),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "home"
SIGNIN_MAX_FAILURES = envint("SIGNIN_MAX_FAILURES", "5")
SIGNIN_LOCKOUT_SECONDS = envint("SIGNIN_LOCKOUT_SECONDS", "900")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.getenv("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads: .pem, .p7m, certificates and CSV files are small; refuse anything large early.
ASM_MAX_UPLOAD_BYTES = envint("ASM_MAX_UPLOAD_BYTES", str(1024 * 1024))
ASM_MAX_CSV_UPLOAD_BYTES = envint("ASM_MAX_CSV_UPLOAD_BYTES", str(20 * 1024 * 1024))
# Intune accepts up to 2,000 enrollment program tokens per tenant.
# Microsoft Graph (the graph app): how long an access token lives, and Graph's per-app limit
# (Intune: 1,000 requests per 20 seconds per app in a tenant); beyond it, 429 with Retry-After.
GRAPH_ACCESS_TOKEN_SECONDS = envint("GRAPH_ACCESS_TOKEN_SECONDS", "3599")
GRAPH_RATE_LIMIT_REQUESTS = envint("GRAPH_RATE_LIMIT_REQUESTS", "1000")
GRAPH_RATE_LIMIT_WINDOW_SECONDS = envint("GRAPH_RATE_LIMIT_WINDOW_SECONDS", "20")
ASM_MAX_ENROLLMENT_PROGRAM_TOKENS = envint("ASM_MAX_ENROLLMENT_PROGRAM_TOKENS", "2000")
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", str(5 * 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = envint("DATA_UPLOAD_MAX_NUMBER_FIELDS", "5000")

# Security. Production (DEBUG=False) gets the secure defaults that `check --deploy` wants;
# each can be turned off for a deployment that terminates TLS elsewhere.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(not DEBUG))
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", str(not DEBUG))
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", str(not DEBUG))
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", str(not DEBUG))
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", str(not DEBUG))
if envbool("SECURE_PROXY_SSL_HEADER", "False"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(8 * 3600))
X_FRAME_OPTIONS = "DENY"
# The portal's Content-Security-Policy (django-csp; the mock Apple service's pages are its own):
# scripts and styles only from the portal's static files, no inline script, style or eval
# (htmx runs with allowEval false and without its injected style tag: templates/base.html).
# The device's pages in the mock's iframe add the mock to frame-ancestors (mdm/views/framing.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if ASM_SERVICE == "apple":
    # The mock Apple pages follow the same rules (no inline script, style or eval: their few
    # behaviours are in mock_apple/static/mock_apple/pages.js), and show the portal's pages a
    # device shows: Setup Assistant's sign-in web view, the Company Portal app and its icons. The
    # web view's last page is this service's own, in a frame of the device page.
    CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            **CONTENT_SECURITY_POLICY["DIRECTIVES"],
            "img-src": ["'self'", "data:", PORTAL_BASE_URL],
            "frame-src": ["'self'", PORTAL_BASE_URL],
            "frame-ancestors": ["'self'"],
        }
    }
# Secrets stay hidden on error pages and in error reports, DEBUG or not (asm_portal/error_reports.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "asm_portal.error_reports.SecretsExceptionReporterFilter"
SECURE_CONTENT_TYPE_NOSNIFF = True


def _redis_broker_url(cache_url: str) -> str:
    """The broker on the cache's Redis server, one database number up.

    The cache and the broker must not share a database: clearing the cache (FLUSHDB) would
    drop the queued tasks with it.
    """
    parts = urlsplit(cache_url)
    index = parts.path.lstrip("/") or "0"
    if not index.isdigit():
        raise ImproperlyConfigured(f"REDIS_URL must end with a database number, not {cache_url!r}")
    return parts._replace(path=f"/{int(index) + 1}").geturl()


# Redis when configured (one database number above the cache's); otherwise a SQLite-backed
# broker that needs no server.
CELERY_BROKER_URL = os.getenv(
    "CELERY_BROKER_URL",
    _redis_broker_url(REDIS_URL) if REDIS_URL else f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}",
)
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "False")
# The queue tasks are sent to (and workers read by default): several deployments, or test
# workers, can share one broker without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = os.getenv("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", "1200")
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", "1000")
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker's consumer without the steps that crashed it on a Redis restart (asm_portal/celery.py).
CELERY_WORKER_CONSUMER = "asm_portal.celery:PortalConsumer"
# A task in flight when the broker connection is lost is stopped (Celery 6's default): its
# acknowledgement would go to a channel that is gone, which kombu's Redis transport answers with
# an AttributeError that ends the worker ("Unrecoverable error: 'NoneType' object has no
# attribute 'hostname'"). The job's row and lease make the next delivery resume it.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# A request whose job cannot reach the broker answers within about a second: the job row stays
# queued and the reconciler sends it when the broker is back (asm_portal/jobs.py).
CELERY_BROKER_CONNECTION_TIMEOUT = envint("CELERY_BROKER_CONNECTION_TIMEOUT", "2")
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# The reconciler: how often beat runs it, and how old a queued job nobody started must be to
# be sent again (a message normally reaches a worker within a second).
JOBS_RECONCILE_SECONDS = envint("JOBS_RECONCILE_SECONDS", "30")
JOBS_RESEND_AFTER_SECONDS = envint("JOBS_RESEND_AFTER_SECONDS", "60")
# The lease of a job that does not renew it (a roster upload, a roster push, a preset reset, a
# trainee's build): no task outlives CELERY_TASK_TIME_LIMIT, so one held longer is lost. A lease
# whose owner process is gone is taken over at once. A job taken JOBS_MAX_ATTEMPTS times (it
# killed its worker each time) ends failed with its reason.
JOBS_LEASE_SECONDS = envint("JOBS_LEASE_SECONDS", str(CELERY_TASK_TIME_LIMIT))
JOBS_MAX_ATTEMPTS = envint("JOBS_MAX_ATTEMPTS", "3")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "worker-heartbeat": {"task": "asm_portal.tasks.worker_heartbeat_task", "schedule": 60.0},
    # Sends again the jobs nobody is doing (lost messages, killed workers, expired leases).
    "jobs-reconcile": {
        "task": "asm_portal.tasks.jobs_reconcile_task",
        "schedule": float(JOBS_RECONCILE_SECONDS),
    },
    # Queues the 12-hour delta sync of each token when it is due.
    "devices-syncs-due": {"task": "devices.tasks.syncs_due_task", "schedule": 300.0},
    "devices-removed-purge": {"task": "devices.tasks.removed_devices_purge_task", "schedule": 86400.0},
}

LOG_LEVEL = os.getenv("LOG_LEVEL", "INFO")


LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": DEFAULT_LOGGING["formatters"]["django.server"],
    },
    "filters": {
        # A 403 is one warning line, without its traceback (asm_portal/error_reports.py).
        "refusal_without_traceback": {"()": "asm_portal.error_reports.RefusalWithoutTraceback"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": DEFAULT_LOGGING["handlers"]["django.server"],
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Without Django's own handlers, which printed each record a second time when DEBUG
        # (its records reach the root's handler); the development server's lines as Django has them.
        "django": {"handlers": [], "level": "INFO"},
        "django.server": DEFAULT_LOGGING["loggers"]["django.server"],
        "django.request": {"filters": ["refusal_without_traceback"]},
    },
}

"""Another tenant's object is a 404 everywhere (issue 14, "Tenants").

Generated from the URLconf: every URL pattern with a path parameter is requested with the ids of
another tenant's objects (tenant B, "Tailspin"), by GET, by an htmx GET (the fragments) and by a
CSRF-less POST (the actions), as an administrator and as a read-only operator of tenant A
(Contoso), and must answer as for an id of nothing: 404 (or the 405 that any id gets for a method
the URL never takes). A table says which of B's objects each parameter names; a new URL pattern
with a parameter that the table does not cover fails `test_every_url_parameter_is_covered`, so
nobody forgets to prove a new URL. The same table, filled with A's own objects, proves the table
right (A's administrator finds A's objects) and the role checks kept (A's operator gets 403).

Then: B's rows never show in A's lists, the device-facing URLs act in the token's tenant and never
in the signed-in user's, and what is per tenant (clock, toasts, sync limits) stays per tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from asm_portal import clock, roles
from asm_portal.models import AuditEvent, Notification, Tenant
from asm_portal.services import audit_record, notification_send
from asm_portal.tenancy import default_tenant, tenant_rows_count, tenant_scope
from devices import sync_rules
from devices.models import Device, ProfileAssignment, SyncRun
from graph import registrations as app_registrations
from mdm.models import DirectoryUser
from mdm.web_enrollment import WebEnrollmentDevice, web_enrollment_device_sign
from sds import sync_profiles
from sds.models import Person, School, SchoolClass
from tests.conftest import make_user
from tests.devices.conftest import devices_create
from tests.graph.conftest import certificate_pem_create
from tests.mdm.managed import managed_device_create
from tests.profiles.conftest import profile_create, token_create
from tests.sds.apple_syncs import make_sync
from tests.sds.conftest import edited, sample, upload_and_process
from tests.tokens.apple import PushCertificatesPortal
from tokens import push_certificates
from trainer.classroom import classroom_create
from trainer.models import Trainee
from trainer.reset_jobs import reset_job_update

NOTHING = 2147483000  # an id that no row has
CERTIFICATE_PEM = certificate_pem_create()

# Which object each path parameter names, per URL name: a key of `World.ids`.
OBJECTS: dict[str, dict[str, str]] = {
    "role_edit": {"pk": "user"},
    "tokens:detail": {"pk": "token"},
    "tokens:renew": {"pk": "token"},
    "tokens:renew_public_key": {"pk": "token"},
    "tokens:delete": {"pk": "token"},
    "profiles:detail": {"pk": "profile"},
    "profiles:edit": {"pk": "profile"},
    "profiles:json": {"pk": "profile"},
    "profiles:delete": {"pk": "profile"},
    "profiles:token_profiles": {"token_id": "token"},
    "profiles:create": {"token_id": "token"},
    "profiles:default": {"token_id": "token"},
    "devices:detail": {"pk": "device"},
    "devices:token_devices": {"token_id": "token"},
    "devices:sync": {"token_id": "token"},
    "devices:sync_request": {"token_id": "token"},
    "devices:sync_status": {"token_id": "token"},
    "devices:profile_assignments": {"profile_id": "profile"},
    "devices:profile_assign": {"profile_id": "profile"},
    "devices:assignment": {"pk": "assignment"},
    "mdm:device": {"pk": "managed_device"},
    "mdm:device_hardware": {"pk": "managed_device"},
    "mdm:device_apps": {"pk": "managed_device"},
    "mdm:device_configuration": {"pk": "managed_device"},
    "mdm:device_users": {"pk": "managed_device"},
    "mdm:device_action": {"pk": "managed_device"},
    "mdm:profile_export": {"pk": "profile"},
    "sds:profile_detail": {"pk": "sync_profile"},
    "sds:upload_create": {"pk": "sync_profile"},
    "sds:upload_detail": {"pk": "upload"},
    "sds:upload_status": {"pk": "upload"},
    "sds:school_detail": {"pk": "school"},
    "sds:class_detail": {"pk": "school_class"},
    "sds:person_detail": {"pk": "person"},
    "sds:apple_sync_detail": {"pk": "apple_sync"},
    "sds:token_sharing": {"pk": "token"},
    "sds:token_sharing_save": {"pk": "token"},
    "trainer_presets:job": {"reset_id": "reset_job"},
    "graph:app_detail": {"pk": "app"},
    "graph:app_consent": {"pk": "app"},
    "graph:app_delete": {"pk": "app"},
    "graph:secret_add": {"pk": "app"},
    "graph:secret_delete": {"pk": "app", "secret_pk": "app_secret"},
    "graph:certificate_add": {"pk": "app"},
    "graph:certificate_delete": {"pk": "app", "certificate_pk": "app_certificate"},
    "trainer:classroom": {"pk": "classroom"},
    "trainer:classroom_sheet": {"pk": "classroom"},
    "trainer:classroom_end": {"pk": "classroom"},
    "trainer:classroom_reset_all": {"pk": "classroom"},
    "trainer:trainee": {"pk": "classroom", "trainee_id": "trainee"},
    "trainer:trainee_look": {"pk": "classroom", "trainee_id": "trainee"},
    "trainer:trainee_reset": {"pk": "classroom", "trainee_id": "trainee"},
    "trainer:trainee_clock": {"pk": "classroom", "trainee_id": "trainee"},
    "trainer:trainee_drill": {
        "pk": "classroom",
        "trainee_id": "trainee",
        "key": "drill",
        "action": "drill_action",
    },
}
# The classroom's URLs, walked again as A's trainer (the administrator and the operator above
# have no Trainer role): B's class and trainees are a 404 for A's trainer too.
TRAINER_ROUTES = {name for name in OBJECTS if name.startswith("trainer:")}
# What devices call, without a portal session: the token in the URL names the tenant they act
# for (mdm/views/tenant.py), whoever is signed in. Proved by `DeviceFacingTests`.
DEVICE_FACING: dict[str, dict[str, str]] = {
    "enroll:enroll": {"token_id": "token"},
    "enroll:web_enrollment": {"token_id": "token"},
    "enroll:scep": {"token_id": "token"},  # the token's tenant's CA answers (mdm22's SCEP service)
}
# Parameters that name no tenant's object: catalogues that are the same for every tenant.
SHARED: dict[str, set[str]] = {
    "sds:sample_download": {"name"},  # Microsoft's sample rosters
    "trainer:drill_start": {"key"},  # the fault drills
    "trainer:drill_clear": {"key"},
    "trainer_presets:reset": {"key"},  # the scenario presets
    "enroll:app_icon": {"bundle_id"},  # the Company Portal's app icons
    # Entra's endpoints for scripts: the tenant in the URL is the one they act for, whoever is
    # signed in (tests/graph: another tenant's application is unknown there; Graph acts in the
    # tenant of the token and answers 404 for another tenant's objects).
    "graph:token": {"tenant"},
    "graph:keys": {"tenant"},
    "graph:openid": {"tenant"},
}


@dataclass(frozen=True)
class Route:
    name: str
    parameters: frozenset[str]


def _walk(patterns: list[Any], namespace: str = "", inherited: frozenset[str] = frozenset()) -> list[Route]:
    routes: list[Route] = []
    for entry in patterns:
        parameters = inherited | frozenset(entry.pattern.converters)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes += _walk(entry.url_patterns, inner, parameters)
        elif isinstance(entry, URLPattern):
            routes.append(Route(f"{namespace}{entry.name or entry.lookup_str}", parameters))
    return routes


ROUTES = sorted({r for r in _walk(get_resolver().url_patterns) if r.parameters}, key=lambda r: r.name)
TENANT_ROUTES = [r for r in ROUTES if r.name in OBJECTS]


def test_every_url_parameter_is_covered() -> None:
    """A URL with a parameter must say what the parameter names (and the table lists no URL
    that is gone): add the new URL to OBJECTS (a tenant's object), DEVICE_FACING or SHARED."""
    found = {r.name: set(r.parameters) for r in ROUTES}
    declared = {name: set(kwargs) for name, kwargs in (OBJECTS | DEVICE_FACING).items()} | SHARED
    assert found == declared
    assert len(TENANT_ROUTES) >= 30


# --- Two tenants' worlds ---------------------------------------------------------------------


@dataclass
class World:
    """One tenant's objects, each kind named after the tenant (`marker`) so pages can be searched."""

    tenant: Tenant
    marker: str
    admin: User
    ids: dict[str, str]
    token: Any


def world_build(tenant: Tenant, marker: str, portal: PushCertificatesPortal) -> World:
    """Everything a tenant has, made inside its scope as its administrator made it."""
    slug = marker.lower()
    admin = make_user(f"admin@{slug}.onmicrosoft.com", roles.ADMINISTRATOR, tenant=tenant)
    with tenant_scope(tenant):
        request = push_certificates.push_certificate_request_create(actor=admin)
        push_certificates.push_certificate_upload(
            actor=admin, apple_id=f"push@{slug}.example", data=portal.sign(request.csr_pem)
        )
        token = token_create(f"{marker} Token")
        profile = profile_create(token, name=f"{marker} Profile", department=f"{marker} IT")
        devices = devices_create(token, 2, prefix=marker[:4].upper())
        Device.objects.filter(pk=devices[0].pk).update(assigned_profile=profile)
        now = clock.now()
        SyncRun.objects.create(
            token=token,
            kind=SyncRun.Kind.FULL,
            trigger=SyncRun.Trigger.MANUAL,
            state=SyncRun.State.SUCCEEDED,
            requested_by=admin,
            requested_at=now,
            deadline_at=now + timedelta(minutes=15),
        )
        assignment = ProfileAssignment.objects.create(
            profile=profile,
            source=ProfileAssignment.Source.PROFILE,
            state=ProfileAssignment.State.SUCCEEDED,
            requested_by=admin,
            requested_at=now,
            device_count=1,
        )
        sync_profile = sync_profiles.sync_profile_create(
            actor=admin, name=f"{marker} Roster", roster_format="v1", domain_suffix=f"{slug}.edu"
        )
        files = edited(
            sample("v1-25-users"), "School.csv", replace=("Contoso High School", f"{marker} High School")
        )
        files = edited(files, "Student.csv", replace=("Ora,Klein", f"Ora,{marker}"))
        files = edited(files, "Section.csv", replace=("Math - Algebra 1", f"{marker} Algebra"))
        upload = upload_and_process(sync_profile, files, admin)
        apple_sync = make_sync(sync_profile, token_name=f"{marker} Token", token=token)
        DirectoryUser.objects.create(
            upn=f"student@{slug}.example", display_name=f"{marker} Student", password="!", created_at=now
        )
        managed = managed_device_create(devices[0].serial_number, name=f"{marker}-iPad", device=devices[0])
        notification_send(user=admin, title=f"{marker} toast", body=f"{marker} news")
        audit_record(
            actor=admin, category=AuditEvent.Category.ENROLLMENT, action=f"{marker} action", target=token
        )
        colleague = make_user(f"colleague@{slug}.onmicrosoft.com", roles.READ_ONLY_OPERATOR, tenant=tenant)
        trainer = make_user(f"trainer@{slug}.onmicrosoft.com", roles.TRAINER, tenant=tenant)
        classroom = classroom_create(
            actor=trainer, name=f"{marker} Class", trainees=1, preset_key="empty-tenant", language="en"
        )
        reset_id = f"{slug}-reset"
        graph_app = app_registrations.app_create(actor=admin, display_name=f"{marker} App", permission="Read")
        graph_secret = app_registrations.secret_add(actor=admin, app=graph_app, description=marker, days=90)
        graph_certificate = app_registrations.certificate_add(
            actor=admin, app=graph_app, data=CERTIFICATE_PEM
        )
        reset_job_update(reset_id, user_id=admin.pk, state="queued", preset="empty")
        ids = {
            "user": colleague.pk,
            "token": token.pk,
            "profile": profile.pk,
            "device": devices[0].pk,
            "assignment": assignment.pk,
            "managed_device": managed.pk,
            "sync_profile": sync_profile.pk,
            "upload": upload.pk,
            "school": School.objects.get(name=f"{marker} High School").pk,
            "school_class": SchoolClass.objects.get(title=f"{marker} Algebra").pk,
            "person": Person.objects.get(family_name=marker).pk,
            "apple_sync": apple_sync.pk,
            "reset_job": reset_id,
            "classroom": classroom.pk,
            "trainee": Trainee.objects.get(classroom=classroom).pk,
            "drill": "apple_down",
            "drill_action": "start",
            "app": graph_app.pk,
            "app_secret": graph_secret.secret.pk,
            "app_certificate": graph_certificate.pk,
        }
    return World(tenant, marker, admin, {key: str(value) for key, value in ids.items()}, token)


@pytest.fixture(scope="session")
def push_portal() -> PushCertificatesPortal:
    return PushCertificatesPortal()


@pytest.fixture
def tailspin(db: None, push_portal: PushCertificatesPortal) -> World:
    """Tenant B, whose objects tenant A must never reach."""
    tenant = Tenant.objects.create(display_name="Tailspin Toys", initial_domain="tailspin.onmicrosoft.com")
    return world_build(tenant, "Tailspin", push_portal)


@pytest.fixture
def northwind(db: None, push_portal: PushCertificatesPortal) -> World:
    """Tenant A (Contoso, the tests' default tenant), with the same kinds of objects."""
    return world_build(default_tenant(), "Northwind", push_portal)


def _client(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def a_users(db: None, settings: Any) -> dict[str, User]:
    """A's administrator and A's read-only operator."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return {
        "administrator": make_user("admin@contoso.onmicrosoft.com", roles.ADMINISTRATOR),
        "operator": make_user("operator@contoso.onmicrosoft.com", roles.READ_ONLY_OPERATOR),
    }


@pytest.fixture
def clients(a_users: dict[str, User]) -> dict[str, Client]:
    return {role: _client(user) for role, user in a_users.items()}


def _url(route: Route, world_ids: dict[str, str]) -> str:
    return reverse(route.name, kwargs={name: world_ids[key] for name, key in OBJECTS[route.name].items()})


def _nothing(route: Route) -> dict[str, str]:
    return {key: str(NOTHING) for key in OBJECTS[route.name].values()}


def _requests(client: Client, url: str) -> dict[str, int]:
    return {
        "GET": client.get(url).status_code,
        "htmx GET": client.get(url, headers={"HX-Request": "true"}).status_code,
        "POST": client.post(url, {"confirm": "yes"}).status_code,
    }


# --- Another tenant's object is a 404 ---------------------------------------------------------


@pytest.mark.parametrize("route", TENANT_ROUTES, ids=[r.name for r in TENANT_ROUTES])
def test_another_tenants_object_is_a_404(route: Route, tailspin: World, clients: dict[str, Client]) -> None:
    failures = []
    for role, client in clients.items():
        answers = _requests(client, _url(route, tailspin.ids))
        # A method the URL never takes answers 405 for any id: that tells nothing of B's object.
        missing = _requests(client, _url(route, _nothing(route)))
        for method, status in answers.items():
            if status != 404 and not (status == 405 == missing[method]):
                failures.append(
                    f"{role} {method} {route.name} -> {status} (an id of nothing: {missing[method]})"
                )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "route", [r for r in TENANT_ROUTES if r.name in TRAINER_ROUTES], ids=lambda r: r.name
)
def test_another_tenants_class_is_a_404_for_a_trainer_too(route: Route, tailspin: World, db: None) -> None:
    trainer = _client(make_user("trainer@contoso.onmicrosoft.com", roles.ADMINISTRATOR, roles.TRAINER))
    answers = _requests(trainer, _url(route, tailspin.ids))
    missing = _requests(trainer, _url(route, _nothing(route)))
    wrong = {m: s for m, s in answers.items() if s != 404 and not (s == 405 == missing[m])}
    assert not wrong, wrong


@pytest.mark.parametrize("route", TENANT_ROUTES, ids=[r.name for r in TENANT_ROUTES])
def test_own_tenants_object_is_found_and_roles_still_hold(
    route: Route, northwind: World, a_users: dict[str, User], clients: dict[str, Client]
) -> None:
    """The table is right (A's administrator reaches A's objects: no 404, so the 404s above are
    B's objects refused, not ids misplaced), and a read-only operator still gets 403 on A's own
    objects for every action, never a 404 nor a change."""
    # A reset job is its trainer's own: this one, the signed-in administrator's.
    reset_job_update(northwind.ids["reset_job"], user_id=a_users["administrator"].pk)
    url = _url(route, northwind.ids)
    assert clients["administrator"].get(url).status_code != 404, url
    assert clients["operator"].post(url, {"confirm": "yes"}).status_code in (403, 405), url


@pytest.mark.parametrize(
    ("name", "key", "data"),
    [
        ("tokens:delete", "token", {}),
        ("profiles:edit", "profile", {"name": "Operator's"}),
        ("devices:sync_request", "token", {}),
        ("sds:token_sharing_save", "token", {"enabled": "on"}),
        ("role_edit", "user", {"roles": [roles.ADMINISTRATOR]}),
    ],
)
def test_an_operator_still_cannot_change_its_own_tenants_objects(
    name: str, key: str, data: dict[str, Any], northwind: World, clients: dict[str, Client]
) -> None:
    url = reverse(name, args=[northwind.ids[key]])
    before = tenant_rows_count(northwind.tenant)
    assert clients["operator"].post(url, data).status_code == 403
    assert clients["operator"].post(url, data, headers={"HX-Request": "true"}).status_code == 403
    assert tenant_rows_count(northwind.tenant) == before


# --- Another tenant's rows never show ---------------------------------------------------------

LISTS = [
    "home",
    "notifications",
    "audit_logs",
    "roles",
    "directory_users",
    "tokens:list",
    "tokens:push_certificate",
    "profiles:list",
    "devices:list",
    "devices:assign",
    "mdm:all_devices",
    "mdm:ios_devices",
    "sds:overview",
    "sds:profile_list",
    "sds:school_list",
    "sds:class_list",
    "sds:person_list",
    "sds:apple_sync_list",
]
ADMIN_ONLY_LISTS = {"devices:assign"}


@pytest.mark.parametrize("name", LISTS)
def test_another_tenants_rows_never_show_in_lists(
    name: str, tailspin: World, northwind: World, a_users: dict[str, User], clients: dict[str, Client]
) -> None:
    for user in a_users.values():
        notification_send(user=user, title="Northwind toast")
    shown = False
    for role, client in clients.items():
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(reverse(name), headers=headers)
            if role == "operator" and name in ADMIN_ONLY_LISTS:
                assert response.status_code == 403, (role, name, response.status_code)
                continue
            assert response.status_code == 200, (role, name, response.status_code)
            html = response.content.decode()
            assert "tailspin" not in html.lower(), (role, name, headers)
            assert "TAIL0" not in html, (role, name, headers)  # B's serial numbers
            shown = shown or "northwind" in html.lower() or "NORT0" in html
    if name != "home":
        assert shown, f"{name} shows none of A's rows either: the check proves nothing"


def test_another_tenants_devices_never_show_in_searches_nor_exports(
    tailspin: World, northwind: World, clients: dict[str, Client]
) -> None:
    client = clients["administrator"]
    # Searches that match both tenants' rows (the query itself is echoed back in the page).
    for url in (
        reverse("devices:list") + "?q=0000",
        reverse("sds:person_list") + "?q=Ora",
        reverse("audit_logs") + "?q=action",
    ):
        html = client.get(url).content.decode()
        assert "Northwind" in html or "NORT0" in html, url
        assert "tailspin" not in html.lower() and "TAIL0" not in html, url
    export = b"".join(client.get(reverse("devices:export")).streaming_content).decode()  # type: ignore[attr-defined]
    assert "NORT0" in export and "TAIL0" not in export
    response = client.get(reverse("devices:export") + f"?token={tailspin.ids['token']}")
    assert response.status_code == 404


# --- Device-facing URLs ---------------------------------------------------------------------


class DeviceFacingTests:
    """Devices have no session: the enrollment URLs of B's token act in B's tenant (the token's
    owner) or not at all — never in the tenant of whoever is signed in."""

    def test_a_post_without_a_device_identity_changes_no_tenant(
        self, tailspin: World, northwind: World, clients: dict[str, Client]
    ) -> None:
        before = {w.marker: tenant_rows_count(w.tenant) for w in (tailspin, northwind)}
        enroll = reverse("enroll:enroll", kwargs={"token_id": tailspin.ids["token"]})
        web = reverse("enroll:web_enrollment", kwargs={"token_id": tailspin.ids["token"]})
        # Anonymous (as devices are) or signed in to A: the same answers, and no row changes.
        for client in (Client(), clients["administrator"]):
            # A body that is not a MachineInfo signed by an Apple device identity.
            response = client.post(enroll, b"not a CMS", content_type="application/pkcs7-signature")
            assert response.status_code == 400
            # The web view without the device's x-apple-aspen-deviceinfo header.
            assert client.get(web).status_code == 400
            response = client.post(web, {"device": "forged", "upn": "a@b.c", "password": "x"})
            assert response.status_code == 400
        assert {w.marker: tenant_rows_count(w.tenant) for w in (tailspin, northwind)} == before

    def test_the_sign_in_web_view_of_another_tenants_token_is_that_tenants(
        self, tailspin: World, northwind: World, clients: dict[str, Client], settings: Any
    ) -> None:
        with tenant_scope(northwind.tenant):
            DirectoryUser.objects.create(
                upn="pupil@northwind.example",
                display_name="Pupil",
                password=make_password("Pupil-Pass-1"),
                created_at=timezone.now(),
            )
        credentials = {"upn": "pupil@northwind.example", "password": "Pupil-Pass-1"}

        def sign_in(client: Client, world: World, serial: str) -> str:
            token_id = int(world.ids["token"])
            # The form's signed device, as the page gives it after a verified MachineInfo.
            device = WebEnrollmentDevice(token_id=token_id, serial_number=serial, udid="U", language="en")
            url = reverse("enroll:web_enrollment", kwargs={"token_id": token_id})
            response = client.post(url, {**credentials, "device": web_enrollment_device_sign(device)})
            return str(response.content.decode(errors="replace"))  # a profile is binary

        # Anonymous (as Setup Assistant is) or signed in to A: B's token's web view knows B's
        # directory only, so A's account is not found there, even with its right password.
        for client in (Client(), clients["administrator"]):
            assert 'name="password"' in sign_in(client, tailspin, "TAIL000000")  # asked again
        # The same account passes the sign-in through A's own token (the check above proves
        # something): the page goes on (to the profile, or why it cannot be made).
        assert 'name="password"' not in sign_in(Client(), northwind, "NORT000000")

    def test_a_token_of_nobody_is_unknown(self, db: None) -> None:
        url = reverse("enroll:enroll", kwargs={"token_id": NOTHING})
        assert Client().post(url, b"{}", content_type="application/pkcs7-signature").status_code in (400, 404)


# --- What is per tenant stays per tenant --------------------------------------------------------


class PerTenantTests:
    def test_moving_one_tenants_clock_moves_no_other(self, tailspin: World, northwind: World) -> None:
        with tenant_scope(tailspin.tenant):
            clock.set_offset(timedelta(days=30))
            assert clock.now() - timezone.now() > timedelta(days=29)
        with tenant_scope(northwind.tenant):
            assert abs(clock.now() - timezone.now()) < timedelta(minutes=1)
            clock.set_offset(timedelta(days=-3))
        with tenant_scope(tailspin.tenant):
            assert timedelta(days=29) < clock.now() - timezone.now() < timedelta(days=31)
        tailspin.tenant.refresh_from_db()
        northwind.tenant.refresh_from_db()
        assert (tailspin.tenant.clock_offset_seconds, northwind.tenant.clock_offset_seconds) == (
            30 * 86400,
            -3 * 86400,
        )

    def test_another_tenants_toasts_never_show(
        self, tailspin: World, northwind: World, clients: dict[str, Client]
    ) -> None:
        with tenant_scope(tailspin.tenant):
            notification_send(user=tailspin.admin, title="Tailspin breaking news")
        for client in clients.values():
            for url in (reverse("home"), reverse("tokens:list")):
                for headers in ({}, {"HX-Request": "true"}):
                    assert "Tailspin" not in client.get(url, headers=headers).content.decode()
        with tenant_scope(tailspin.tenant):
            assert not Notification.objects.filter(title="Tailspin breaking news", toasted=True).exists()
        # B's administrator sees B's toast.
        html = _client(tailspin.admin).get(reverse("home")).content.decode()
        assert "Tailspin breaking news" in html
        assert "Northwind" not in html

    def test_sync_limits_are_per_token(self, tailspin: World, northwind: World) -> None:
        with tenant_scope(tailspin.tenant):
            now = clock.now()
            SyncRun.objects.create(
                token=tailspin.token,
                kind=SyncRun.Kind.DELTA,
                trigger=SyncRun.Trigger.MANUAL,
                state=SyncRun.State.RUNNING,
                requested_at=now,
                deadline_at=now + timedelta(minutes=15),
            )
            assert not sync_rules.sync_availability(token=tailspin.token).allowed
        with tenant_scope(northwind.tenant):
            assert sync_rules.sync_availability(token=northwind.token).allowed
            run = sync_rules.sync_run_create(
                token=northwind.token, trigger=SyncRun.Trigger.MANUAL, requested_by=northwind.admin
            )
            assert run is not None
            assert not sync_rules.sync_availability(token=northwind.token).allowed
        with tenant_scope(tailspin.tenant):
            assert SyncRun.objects.filter(state__in=SyncRun.ACTIVE_STATES).count() == 1

"""Microsoft Graph's enrollment program endpoints, called as the Graph docs (beta) describe them:
depOnboardingSetting, its enrollmentProfiles and importedAppleDeviceIdentities, OData query
options, paging, and Graph's error shape."""

from __future__ import annotations

import hashlib
import plistlib
import re
from typing import Any

import pytest
from django.test import Client

from asm_portal.models import AuditEvent, Tenant
from asm_portal.tenancy import tenant_scope
from devices.models import Device, ProfileAssignment, SyncRun
from graph.models import Permission
from mdm.models import ScepChallenge
from profiles.models import EnrollmentProfile
from tests.devices.conftest import devices_create
from tests.graph.conftest import GraphClient, app_create
from tests.profiles.conftest import profile_create, token_create
from tests.tokens.conftest import push_certificate, push_portal  # noqa: F401
from tokens.models import ApplePushCertificate, TokenEncryptionKey

pytestmark = pytest.mark.django_db
GUID = re.compile(r"^[0-9a-f-]{36}$")
DEP = "depOnboardingSettings"


def graph_error(answer: Any, status: int, code: str) -> Any:
    """Graph's error: {"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}."""
    assert answer.status_code == status, answer.content
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert error["innerError"]["request-id"] == answer["request-id"]
    return error


class AuthenticationTests:
    def test_no_token_is_a_401(self) -> None:
        answer = Client().get(f"/beta/deviceManagement/{DEP}")
        graph_error(answer, 401, "InvalidAuthenticationToken")

    def test_a_forged_token_is_a_401(self, writer: GraphClient) -> None:
        header, body, _signature = writer.token.split(".")
        writer.token = f"{header}.{body}.AAAA"
        graph_error(writer.get(DEP), 401, "InvalidAuthenticationToken")

    def test_a_deleted_app_s_token_stops_working(self, writer: GraphClient) -> None:
        from graph.models import AppRegistration

        AppRegistration.objects.all().delete()
        graph_error(writer.get(DEP), 401, "InvalidAuthenticationToken")

    def test_an_app_without_consent_is_denied(self) -> None:
        client = GraphClient(app_create(consent=False))
        graph_error(client.get(DEP), 403, "Authorization_RequestDenied")

    def test_every_answer_has_a_request_id_and_echoes_the_client_s(self, writer: GraphClient) -> None:
        answer = writer.get(DEP, **{"client-request-id": "abc-123"})
        assert GUID.match(answer["request-id"])
        assert answer["client-request-id"] == "abc-123"


class DepOnboardingSettingsTests:
    def test_list_and_get(self, writer: GraphClient) -> None:
        token = token_create("Contoso ASM")
        devices_create(token, 3)
        body = writer.get(DEP).json()
        assert body["@odata.context"].endswith("/beta/$metadata#deviceManagement/depOnboardingSettings")
        [item] = body["value"]
        assert item["@odata.type"] == "#microsoft.graph.depOnboardingSetting"
        assert item["tokenName"] == "Contoso ASM"
        assert item["tokenType"] == "appleSchoolManager"
        assert item["syncedDeviceCount"] == 3
        assert item["tokenExpirationDateTime"].endswith("Z")
        one = writer.get(f"{DEP}/{token.pk}").json()
        assert one["@odata.context"].endswith("depOnboardingSettings/$entity")
        assert one["id"] == str(token.pk) and one["appleIdentifier"] == token.apple_id
        # Graph's key syntax names the same object.
        assert writer.get(f"{DEP}('{token.pk}')").json()["id"] == str(token.pk)

    def test_select_and_filter(self, writer: GraphClient) -> None:
        token_create("Contoso ASM")
        token_create("Fabrikam ASM")
        body = writer.get(
            f"{DEP}?$select=tokenName,tokenExpirationDateTime&$filter=tokenName eq 'Fabrikam ASM'"
        ).json()
        assert body["value"] == [
            {
                "@odata.type": "#microsoft.graph.depOnboardingSetting",
                "tokenName": "Fabrikam ASM",
                "tokenExpirationDateTime": body["value"][0]["tokenExpirationDateTime"],
            }
        ]
        graph_error(writer.get(f"{DEP}?$select=nope"), 400, "BadRequest")

    def test_another_tenant_s_token_is_a_404(self, writer: GraphClient) -> None:
        other = Tenant.objects.create(display_name="Tailspin", initial_domain="tailspin.onmicrosoft.com")
        with tenant_scope(other):
            theirs = token_create("Tailspin ASM")
            profile = profile_create(theirs)
        assert writer.get(DEP).json()["value"] == []
        graph_error(writer.get(f"{DEP}/{theirs.pk}"), 404, "ResourceNotFound")
        graph_error(
            writer.post(f"{DEP}/{theirs.pk}/syncWithAppleDeviceEnrollmentProgram"), 404, "ResourceNotFound"
        )
        graph_error(
            writer.get(f"{DEP}/{theirs.pk}/enrollmentProfiles/{profile.public_id}"), 404, "ResourceNotFound"
        )
        with tenant_scope(other):
            assert not SyncRun.objects.exists()

    def test_sync_goes_through_the_blade_s_rules_and_is_audited_as_the_app(self, writer: GraphClient) -> None:
        token = token_create()
        answer = writer.post(f"{DEP}/{token.pk}/syncWithAppleDeviceEnrollmentProgram")
        assert answer.status_code == 204
        assert SyncRun.objects.filter(token=token).count() == 1
        event = AuditEvent.objects.get(action="Request sync of enrollment program token")
        assert event.actor is None and event.actor_name.startswith("Scripts (app ")
        # The blade's 15-minute rule refuses the second.
        graph_error(writer.post(f"{DEP}/{token.pk}/syncWithAppleDeviceEnrollmentProgram"), 409, "Conflict")

    def test_public_keys_and_a_bad_upload(self, writer: GraphClient) -> None:
        token = token_create()
        pem = writer.post(f"{DEP}/{token.pk}/generateEncryptionPublicKey").json()["value"]
        assert pem.startswith("-----BEGIN CERTIFICATE-----")
        assert writer.get(f"{DEP}/{token.pk}/getEncryptionPublicKey()").json()["value"] == pem
        assert TokenEncryptionKey.objects.filter(token=token).count() == 1
        answer = writer.post(
            f"{DEP}/{token.pk}/uploadDepToken", {"appleId": "a@b.example", "depToken": "nonsense"}
        )
        graph_error(answer, 400, "BadRequest")
        graph_error(
            writer.post(f"{DEP}/{token.pk}/uploadDepToken", {"appleId": "a@b.example"}), 400, "BadRequest"
        )

    def test_school_data_sync_sharing(self, writer: GraphClient) -> None:
        token = token_create()
        assert writer.post(f"{DEP}/{token.pk}/shareForSchoolDataSyncService").status_code == 204
        token.refresh_from_db()
        assert token.shared_with_sds
        assert writer.get(f"{DEP}/{token.pk}").json()["shareTokenWithSchoolDataSyncService"] is True
        assert writer.post(f"{DEP}/{token.pk}/unshareForSchoolDataSyncService").status_code == 204
        token.refresh_from_db()
        assert not token.shared_with_sds

    def test_unknown_segments_and_methods(self, writer: GraphClient) -> None:
        token = token_create()
        graph_error(writer.get(f"{DEP}/{token.pk}/nothingHere"), 400, "BadRequest")
        graph_error(
            writer.call("DELETE", f"{DEP}/{token.pk}/syncWithAppleDeviceEnrollmentProgram"), 405, "BadRequest"
        )
        graph_error(writer.call("POST", f"{DEP}/{token.pk}", {"x": 1}), 405, "BadRequest")
        answer = writer.client.post(
            f"/beta/deviceManagement/{DEP}/{token.pk}/enrollmentProfiles",
            "{not json",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {writer.token}",
        )
        graph_error(answer, 400, "BadRequest")


PROFILE = {
    "@odata.type": "#microsoft.graph.depIOSEnrollmentProfile",
    "displayName": "Shared iPads",
    "description": "Classroom carts",
    "requiresUserAuthentication": True,
    "supervisedModeEnabled": True,
    "profileRemovalDisabled": True,
    "enableSharedIPad": True,
    "sharedIPadMaximumUserCount": 10,
    "iTunesPairingMode": "disallow",
    "supportDepartment": "IT",
    "supportPhoneNumber": "+33 1 23 45 67 89",
}


class EnrollmentProfilesTests:
    def test_create_get_update_delete(self, writer: GraphClient) -> None:
        token = token_create()
        created = writer.post(f"{DEP}/{token.pk}/enrollmentProfiles", PROFILE)
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["@odata.type"] == "#microsoft.graph.depIOSEnrollmentProfile"
        assert body["enableSharedIPad"] is True and body["sharedIPadMaximumUserCount"] == 10
        assert created["Location"].endswith(f"/enrollmentProfiles/{body['id']}")
        profile = EnrollmentProfile.objects.get(public_id=body["id"])
        assert profile.shared_ipad and profile.locked_enrollment and profile.created_by is None
        got = writer.get(f"{DEP}/{token.pk}/enrollmentProfiles/{body['id']}").json()
        assert got["displayName"] == "Shared iPads"
        patched = writer.call(
            "PATCH", f"{DEP}/{token.pk}/enrollmentProfiles/{body['id']}", {"description": "Carts"}
        )
        assert patched.status_code == 200 and patched.json()["description"] == "Carts"
        profile.refresh_from_db()
        assert profile.description == "Carts" and profile.shared_ipad
        listed = writer.get(f"{DEP}/{token.pk}/enrollmentProfiles").json()
        assert [item["displayName"] for item in listed["value"]] == ["Shared iPads"]
        assert writer.call("DELETE", f"{DEP}/{token.pk}/enrollmentProfiles/{body['id']}").status_code == 204
        assert not EnrollmentProfile.objects.exists()
        actions = list(
            AuditEvent.objects.filter(actor_name__startswith="Scripts (app ").values_list("action", flat=True)
        )
        assert {"Create enrollment profile", "Update enrollment profile", "Delete enrollment profile"} <= set(
            actions
        )

    def test_a_broken_rule_answers_the_form_s_message(self, writer: GraphClient) -> None:
        token = token_create()
        # Locked enrollment needs Supervised: the form's rule, the form's message.
        body = PROFILE | {"supervisedModeEnabled": False, "enableSharedIPad": False}
        error = graph_error(writer.post(f"{DEP}/{token.pk}/enrollmentProfiles", body), 400, "BadRequest")
        from profiles import rules
        from profiles.graph import values_from_graph
        from profiles.models import ProfileSettings

        outcome = rules.check(
            values_from_graph(body, base=rules.ProfileValues()),
            edition=ProfileSettings.load().rules_edition,
            previous=None,
            certificate_count=0,
        )
        assert not outcome.ok
        expected = "; ".join(message for messages in outcome.errors.values() for message in messages)
        assert error["message"] == expected
        assert error["details"][0]["target"] in outcome.errors
        assert not EnrollmentProfile.objects.exists()

    def test_unknown_properties_and_wrong_types_are_refused(self, writer: GraphClient) -> None:
        token = token_create()
        graph_error(
            writer.post(f"{DEP}/{token.pk}/enrollmentProfiles", PROFILE | {"colour": "red"}),
            400,
            "BadRequest",
        )
        graph_error(
            writer.post(f"{DEP}/{token.pk}/enrollmentProfiles", PROFILE | {"enableSharedIPad": "yes"}),
            400,
            "BadRequest",
        )
        for vpp in ("abc", "99999", "1" * 30):
            body = PROFILE | {"companyPortalVppTokenId": vpp, "enableAuthenticationViaCompanyPortal": True}
            graph_error(writer.post(f"{DEP}/{token.pk}/enrollmentProfiles", body), 400, "BadRequest")
        assert not EnrollmentProfile.objects.exists()

    def test_default_profile_assignment_and_export(self, writer: GraphClient) -> None:
        token = token_create()
        devices_create(token, 3)
        profile = profile_create(token)
        base = f"{DEP}/{token.pk}/enrollmentProfiles/{profile.public_id}"
        graph_error(writer.get(f"{DEP}/{token.pk}/defaultIosEnrollmentProfile"), 404, "ResourceNotFound")
        assert writer.post(f"{base}/setDefaultProfile").status_code == 204
        assert writer.get(f"{DEP}/{token.pk}/defaultIosEnrollmentProfile").json()["id"] == str(
            profile.public_id
        )
        answer = writer.post(
            f"{base}/updateDeviceProfileAssignment", {"deviceIds": ["DMPQ000000", "dmpq000001"]}
        )
        assert answer.status_code == 204
        assignment = ProfileAssignment.objects.get(source=ProfileAssignment.Source.PROFILE)
        assert assignment.device_count == 2
        graph_error(
            writer.post(f"{base}/updateDeviceProfileAssignment", {"deviceIds": ["NOPE"]}), 400, "BadRequest"
        )
        too_many = [f"S{index:05d}" for index in range(1001)]
        error = graph_error(
            writer.post(f"{base}/updateDeviceProfileAssignment", {"deviceIds": too_many}), 400, "BadRequest"
        )
        assert "1,000" in error["message"]
        # No Apple MDM Push certificate yet: nothing can enroll, so nothing is exported.
        error = graph_error(writer.get(f"{base}/exportMobileConfig()"), 400, "BadRequest")
        assert "Push certificate" in error["message"]


class ReadOnlyAppTests:
    def test_a_read_app_reads_but_every_write_is_denied(self, reader: GraphClient) -> None:
        token = token_create()
        devices_create(token, 2)
        profile = profile_create(token)
        assert reader.get(DEP).status_code == 200
        assert reader.get(f"{DEP}/{token.pk}/importedAppleDeviceIdentities").status_code == 200
        base = f"{DEP}/{token.pk}"
        writes = [
            ("POST", f"{base}/generateEncryptionPublicKey", {}),
            ("POST", f"{base}/uploadDepToken", {"appleId": "a@b.example", "depToken": "x"}),
            ("POST", f"{base}/syncWithAppleDeviceEnrollmentProgram", {}),
            ("POST", f"{base}/shareForSchoolDataSyncService", {}),
            ("POST", f"{base}/unshareForSchoolDataSyncService", {}),
            ("POST", f"{base}/enrollmentProfiles", PROFILE),
            ("PATCH", f"{base}/enrollmentProfiles/{profile.public_id}", {"description": "x"}),
            ("DELETE", f"{base}/enrollmentProfiles/{profile.public_id}", None),
            ("POST", f"{base}/enrollmentProfiles/{profile.public_id}/setDefaultProfile", {}),
            (
                "POST",
                f"{base}/enrollmentProfiles/{profile.public_id}/updateDeviceProfileAssignment",
                {"deviceIds": ["DMPQ000000"]},
            ),
        ]
        for method, path, body in writes:
            graph_error(reader.call(method, path, body), 403, "Authorization_RequestDenied")
        # No public key yet: getEncryptionPublicKey would have to make one, which is a write.
        graph_error(reader.get(f"{base}/getEncryptionPublicKey"), 403, "Authorization_RequestDenied")
        assert not SyncRun.objects.exists() and not ProfileAssignment.objects.exists()
        assert EnrollmentProfile.objects.get().description == profile.description
        assert not TokenEncryptionKey.objects.exists()


class ImportedDevicesTests:
    def test_paging_with_skip_tokens_and_count(self, reader: GraphClient) -> None:
        token = token_create()
        devices_create(token, 25)
        url = f"{DEP}/{token.pk}/importedAppleDeviceIdentities?$top=10&$count=true"
        graph_error(reader.get(url), 400, "BadRequest")  # $count needs ConsistencyLevel: eventual
        body = reader.get(url, ConsistencyLevel="eventual").json()
        assert body["@odata.count"] == 25
        serials = [item["serialNumber"] for item in body["value"]]
        while "@odata.nextLink" in body:
            link = body["@odata.nextLink"]
            assert "$skiptoken=" in link and "$skip=" not in link
            body = reader.client.get(
                link.removeprefix("http://testserver"),
                HTTP_AUTHORIZATION=f"Bearer {reader.token}",
                HTTP_CONSISTENCYLEVEL="eventual",
            ).json()
            serials += [item["serialNumber"] for item in body["value"]]
        assert serials == sorted(f"DMPQ{index:06d}" for index in range(25))

    def test_a_device_s_properties_and_get(self, reader: GraphClient) -> None:
        token = token_create()
        [device] = devices_create(token, 1)
        profile = profile_create(token)
        Device.objects.filter(pk=device.pk).update(
            assigned_profile=profile, profile_assigned_at=device.created_at
        )
        [item] = reader.get(f"{DEP}/{token.pk}/importedAppleDeviceIdentities").json()["value"]
        assert item == {
            "@odata.type": "#microsoft.graph.importedAppleDeviceIdentity",
            "id": str(device.pk),
            "serialNumber": "DMPQ000000",
            "requestedEnrollmentProfileId": str(profile.public_id),
            "requestedEnrollmentProfileAssignmentDateTime": item["createdDateTime"],
            "isSupervised": True,
            "discoverySource": "deviceEnrollmentProgram",
            "isDeleted": False,
            "createdDateTime": item["createdDateTime"],
            "lastContactedDateTime": None,
            "description": "IPAD 10TH GEN WI-FI 64GB SILVER",
            "enrollmentState": "notContacted",
            "platform": "ios",
        }
        assert (
            reader.get(f"{DEP}/{token.pk}/importedAppleDeviceIdentities/{device.pk}").json()["serialNumber"]
            == "DMPQ000000"
        )
        graph_error(
            reader.get(f"{DEP}/{token.pk}/importedAppleDeviceIdentities/999999"), 404, "ResourceNotFound"
        )

    def test_filter_orderby_and_select(self, reader: GraphClient) -> None:
        token = token_create()
        devices_create(token, 5, prefix="AAAA")
        devices_create(token, 5, prefix="BBBB", enrollment_state="enrolled")
        base = f"{DEP}/{token.pk}/importedAppleDeviceIdentities"
        body = reader.get(f"{base}?$filter=startswith(serialNumber,'bbbb')&$select=serialNumber").json()
        assert [item["serialNumber"] for item in body["value"]] == [f"BBBB{index:06d}" for index in range(5)]
        assert set(body["value"][0]) == {"@odata.type", "serialNumber"}
        body = reader.get(
            f"{base}?$filter=enrollmentState eq 'enrolled' and serialNumber eq 'BBBB000003'"
        ).json()
        assert [item["serialNumber"] for item in body["value"]] == ["BBBB000003"]
        body = reader.get(f"{base}?$orderby=serialNumber desc&$top=3").json()
        assert [item["serialNumber"] for item in body["value"]] == ["BBBB000004", "BBBB000003", "BBBB000002"]
        # Sorting on another field pages by (value, id).
        seen: list[str] = []
        url = f"/beta/deviceManagement/{base}?$orderby=enrollmentState desc&$top=4"
        while url:
            body = reader.client.get(url, HTTP_AUTHORIZATION=f"Bearer {reader.token}").json()
            seen += [item["serialNumber"] for item in body["value"]]
            url = body.get("@odata.nextLink", "").removeprefix("http://testserver")
        assert len(seen) == len(set(seen)) == 10
        assert seen[:5] == [f"AAAA{index:06d}" for index in range(5)]  # notContacted > enrolled
        for bad in (
            "$filter=model eq 'x'",
            "$filter=contains(serialNumber,'A')",
            "$orderby=model",
            "$top=1000",
            "$skip=10",
            "$skiptoken=!!",
        ):
            graph_error(reader.get(f"{base}?{bad}"), 400, "BadRequest")


class RateLimitTests:
    def test_over_the_app_s_limit_is_a_429_with_retry_after(self, writer: GraphClient, settings) -> None:
        settings.GRAPH_RATE_LIMIT_REQUESTS = 3
        settings.GRAPH_RATE_LIMIT_WINDOW_SECONDS = 60
        answers = [writer.get(DEP) for _ in range(4)]
        assert [answer.status_code for answer in answers[:3]] == [200, 200, 200]
        graph_error(answers[3], 429, "TooManyRequests")
        assert 1 <= int(answers[3]["Retry-After"]) <= 61
        # Another app has its own budget.
        assert GraphClient(app_create(Permission.READ, name="Other")).get(DEP).status_code == 200


class BadSkipTokenTests:
    @pytest.mark.parametrize(
        "values",
        [["x", "abc"], [{"a": 1}, 1], ["not a date", 1], [[1], 2], [5], [None]],
    )
    def test_a_forged_skip_token_is_a_400(self, reader: GraphClient, values) -> None:
        from graph.odata import skiptoken_encode

        token = token_create()
        devices_create(token, 3)
        base = f"{DEP}/{token.pk}/importedAppleDeviceIdentities"
        for order in ("", "&$orderby=lastContactedDateTime", "&$orderby=enrollmentState desc"):
            answer = reader.get(f"{base}?$skiptoken={skiptoken_encode(values)}{order}")
            if answer.status_code != 200:
                graph_error(answer, 400, "BadRequest")

    def test_collections_cannot_be_sorted_on_a_collection_property(self, reader: GraphClient) -> None:
        token = token_create()
        profile_create(token)
        profile_create(token, name="Second")
        answer = reader.get(f"{DEP}/{token.pk}/enrollmentProfiles?$orderby=managementCertificates")
        graph_error(answer, 400, "BadRequest")
        assert (
            reader.get(f"{DEP}/{token.pk}/enrollmentProfiles?$orderby=displayName desc").json()["value"][0][
                "displayName"
            ]
            == "Student iPads"
        )


class ExportMobileConfigTests:
    def test_it_is_the_blade_s_export_a_profile_a_device_can_enroll_with(
        self,
        writer: GraphClient,
        reader: GraphClient,
        push_certificate: ApplePushCertificate,  # noqa: F811
    ) -> None:
        profile = profile_create(token_create())
        url = f"{DEP}/{profile.token_id}/enrollmentProfiles/{profile.public_id}/exportMobileConfig()"
        # The file enrolls a device into the tenant: an administrator's export, not a reader's.
        graph_error(reader.get(url), 403, "Authorization_RequestDenied")
        assert not ScepChallenge.objects.exists()

        document = plistlib.loads(writer.get(url).json()["value"].encode())
        assert document["PayloadType"] == "Configuration"
        payloads = {payload["PayloadType"]: payload for payload in document["PayloadContent"]}
        assert set(payloads) == {"com.apple.security.root", "com.apple.security.scep", "com.apple.mdm"}
        mdm = payloads["com.apple.mdm"]
        assert mdm["Topic"] == push_certificate.topic
        assert mdm["IdentityCertificateUUID"] == payloads["com.apple.security.scep"]["PayloadUUID"]
        # Its own one-time challenge, bound to no device, as the blade's Download profile.
        challenge = ScepChallenge.objects.get()
        given = payloads["com.apple.security.scep"]["PayloadContent"]["Challenge"]
        assert hashlib.sha256(given.encode()).hexdigest() == challenge.challenge_sha256
        assert challenge.serial_number == ""
        assert (
            AuditEvent.objects.filter(action="Export enrollment profile", target_id=str(profile.pk)).count()
            == 1
        )

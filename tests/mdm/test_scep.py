"""The tenant's SCEP service over real HTTP, driven by the RFC 8894 client of the tests."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from asm_portal.models import Tenant
from asm_portal.tenancy import tenant_scope
from mdm import scep
from mdm.models import CertificateAuthority, IssuedCertificate, ScepChallenge
from tests.devices.conftest import enrollment_setup_create
from tests.mdm.mdm_client import ScepClient, self_signed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def keys() -> list[rsa.RSAPrivateKey]:
    return [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)]


@pytest.fixture
def service(live_server):
    setup = enrollment_setup_create()
    return setup, ScepClient(f"{live_server.url}/enroll/{setup.token.pk}/scep")


def subject(serial: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Contoso MDM identity"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial),
        ]
    )


def test_caps_and_ca_certificate(service) -> None:
    _setup, client = service
    assert client.caps() == ["POSTPKIOperation", "SHA-256", "AES", "SCEPStandard", "Renewal"]
    ca = client.ca()
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # Created once, kept, its key encrypted at rest (never the PEM in the column).
    assert client.ca() == ca
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM mdm_certificateauthority")
        [(stored,)] = cursor.fetchall()
    assert "PRIVATE KEY" not in stored
    assert CertificateAuthority.objects.count() == 1


def test_pkcsreq_issues_once_per_challenge(service, keys) -> None:
    setup, client = service
    challenge = scep.scep_challenge_issue(serial_number=setup.device.serial_number)
    _response, rep = client.request(
        key=keys[0], subject=subject(setup.device.serial_number), challenge=challenge
    )
    assert rep is not None and rep.status == "0" and rep.certificate is not None
    certificate = rep.certificate
    assert certificate.public_key().public_numbers() == keys[0].public_key().public_numbers()
    assert certificate.issuer == client.ca().subject
    certificate.verify_directly_issued_by(client.ca())
    issued = IssuedCertificate.objects.get()
    assert issued.serial_number == setup.device.serial_number
    assert ScepChallenge.objects.get().used_at is not None
    assert challenge not in str(ScepChallenge.objects.values_list().get())  # only its digest is kept
    # A second use of the challenge: FAILURE badRequest, nothing issued.
    _response, again = client.request(
        key=keys[1], subject=subject(setup.device.serial_number), challenge=challenge
    )
    assert again is not None and (again.status, again.fail_info) == ("2", "2")
    assert IssuedCertificate.objects.count() == 1


@pytest.mark.parametrize("case", ["unknown", "expired", "other_device", "missing"])
def test_bad_challenges_are_bad_requests(service, keys, case) -> None:
    setup, client = service
    challenge = scep.scep_challenge_issue(serial_number=setup.device.serial_number)
    serial = setup.device.serial_number
    if case == "unknown":
        challenge = "not-a-challenge"
    elif case == "expired":
        from asm_portal import clock

        ScepChallenge.objects.update(expires_at=clock.now())
    elif case == "other_device":
        serial = "OTHER00001"
    _response, rep = client.request(
        key=keys[0], subject=subject(serial), challenge=None if case == "missing" else challenge
    )
    assert rep is not None and (rep.status, rep.fail_info) == ("2", "2")
    assert IssuedCertificate.objects.count() == 0


def test_renewal_with_the_issued_identity(service, keys) -> None:
    setup, client = service
    challenge = scep.scep_challenge_issue(serial_number=setup.device.serial_number)
    _response, first = client.request(
        key=keys[0], subject=subject(setup.device.serial_number), challenge=challenge
    )
    assert first is not None and first.certificate is not None
    _response, renewed = client.request(
        key=keys[1],
        subject=subject(setup.device.serial_number),
        challenge=None,
        message_type="17",
        signer=(first.certificate, keys[0]),
    )
    assert renewed is not None and renewed.status == "0" and renewed.certificate is not None
    assert IssuedCertificate.objects.filter(serial_number=setup.device.serial_number).count() == 2
    # A renewal signed by a certificate this CA did not issue: badRequest.
    _response, refused = client.request(
        key=keys[1], subject=subject(setup.device.serial_number), challenge=None, message_type="17"
    )
    assert refused is not None and (refused.status, refused.fail_info) == ("2", "2")


def test_another_tenants_ca_cannot_be_used(service, keys, live_server) -> None:
    setup, client = service
    fabrikam = Tenant.objects.create(initial_domain="fabrikam.onmicrosoft.com", display_name="Fabrikam")
    with tenant_scope(fabrikam):
        other = enrollment_setup_create(serial="FABR000001")
        other_client = ScepClient(f"{live_server.url}/enroll/{other.token.pk}/scep")
        assert other_client.ca() != client.ca()
    challenge = scep.scep_challenge_issue(serial_number=setup.device.serial_number)
    # The CSR encrypted to Fabrikam's CA cannot be read by Contoso's: badMessageCheck.
    _response, rep = client.request(
        key=keys[0],
        subject=subject(setup.device.serial_number),
        challenge=challenge,
        encrypt_to=other_client.ca(),
    )
    assert rep is not None and (rep.status, rep.fail_info) == ("2", "1")
    # Contoso's challenge is not Fabrikam's.
    _response, rep = other_client.request(
        key=keys[0], subject=subject(setup.device.serial_number), challenge=challenge
    )
    assert rep is not None and (rep.status, rep.fail_info) == ("2", "2")
    assert ScepChallenge.objects.get().used_at is None


@pytest.mark.parametrize("cipher", ["aes128_cbc", "tripledes_3key"])
def test_aes_and_3des_requests_are_read(service, keys, cipher) -> None:
    setup, client = service
    challenge = scep.scep_challenge_issue(serial_number=setup.device.serial_number)
    _response, rep = client.request(
        key=keys[0], subject=subject(setup.device.serial_number), challenge=challenge, cipher=cipher
    )
    assert rep is not None and rep.status == "0" and rep.certificate is not None


@pytest.mark.parametrize("cipher", ["des", "rc2"])
def test_an_encryption_the_ca_does_not_take_is_bad_alg(service, keys, cipher) -> None:
    # RFC 8894 §3.2.1.4: failInfo badAlg (0), "unrecognized or unsupported algorithm"; GetCACaps
    # offers AES (and 3DES is what older clients use), not single DES nor RC2.
    setup, client = service
    challenge = scep.scep_challenge_issue(serial_number=setup.device.serial_number)
    _response, rep = client.request(
        key=keys[0], subject=subject(setup.device.serial_number), challenge=challenge, cipher=cipher
    )
    assert rep is not None and (rep.status, rep.fail_info) == ("2", "0")
    assert IssuedCertificate.objects.count() == 0
    assert ScepChallenge.objects.get().used_at is None


def test_a_pkcsreq_signed_with_another_key_is_bad_message_check(service, keys) -> None:
    # RFC 8894 §2.3: without a certificate yet, the requester signs with a self-signed
    # certificate of the key (and subject) of its PKCS #10 request.
    setup, client = service
    challenge = scep.scep_challenge_issue(serial_number=setup.device.serial_number)
    _response, rep = client.request(
        key=keys[0],
        subject=subject(setup.device.serial_number),
        challenge=challenge,
        signer=(self_signed(keys[1], "SCEP SIGNER"), keys[1]),
    )
    assert rep is not None and (rep.status, rep.fail_info) == ("2", "1")
    assert IssuedCertificate.objects.count() == 0


def test_legacy_clients_single_des_and_another_signing_key(service, keys, settings) -> None:
    # SCEP_LEGACY_CLIENTS (device simulators such as mdmb): single DES and a throw-away signing
    # key are taken; the certificate is still the CSR's key's, enveloped to the signer.
    settings.SCEP_LEGACY_CLIENTS = True
    setup, client = service
    challenge = scep.scep_challenge_issue(serial_number=setup.device.serial_number)
    _response, rep = client.request(
        key=keys[0],
        subject=subject(setup.device.serial_number),
        challenge=challenge,
        cipher="des",
        signer=(self_signed(keys[1], "SCEP SIGNER"), keys[1]),
    )
    assert rep is not None and rep.status == "0" and rep.certificate is not None
    assert rep.certificate.public_key().public_numbers() == keys[0].public_key().public_numbers()
    # RC2 stays unsupported.
    challenge = scep.scep_challenge_issue(serial_number=setup.device.serial_number)
    _response, rep = client.request(
        key=keys[0], subject=subject(setup.device.serial_number), challenge=challenge, cipher="rc2"
    )
    assert rep is not None and (rep.status, rep.fail_info) == ("2", "0")


def test_a_post_repeating_its_message_raw_in_the_query_is_answered(service, keys) -> None:
    # RFC 8894 §4.3: a POSTed PKIOperation's message is the body. A client that repeats it, raw
    # (NUL bytes and all), in the query is answered from the body.
    setup, client = service
    challenge = scep.scep_challenge_issue(serial_number=setup.device.serial_number)
    response, rep = client.request(
        key=keys[0], subject=subject(setup.device.serial_number), challenge=challenge, message_in_query=True
    )
    assert "%00" in (response.request.url or "")
    assert rep is not None and rep.status == "0"
    # A GET's message must be base64: NUL bytes there are a 400, not an error of the server.
    response = client.session.get(
        client.url, params={"operation": "PKIOperation", "message": "\x00abc"}, timeout=10
    )
    assert response.status_code == 400
    assert (
        client.session.get(client.url, params={"operation": "GetCACaps\x00"}, timeout=10).status_code == 400
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"", 400), (b"garbage", 400), (b"\x30\x03\x02\x01\x00", 400)],
)
def test_malformed_messages_are_400(service, body, status) -> None:
    _setup, client = service
    response = client.session.post(client.url, params={"operation": "PKIOperation"}, data=body, timeout=10)
    assert response.status_code == status
    assert IssuedCertificate.objects.count() == 0


def test_oversized_unknown_operation_and_unknown_token(service, settings, live_server) -> None:
    _setup, client = service
    settings.MDM_MAX_BODY_BYTES = 1000
    response = client.session.post(
        client.url, params={"operation": "PKIOperation"}, data=b"x" * 2000, timeout=10
    )
    assert response.status_code == 413
    assert client.session.get(client.url, params={"operation": "Nope"}, timeout=10).status_code == 400
    assert requests_get(f"{live_server.url}/enroll/999999/scep?operation=GetCACaps") == 404


def requests_get(url: str) -> int:
    import requests

    return requests.get(url, timeout=10).status_code

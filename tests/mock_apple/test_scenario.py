"""POST /_mock/scenario: the organisation wiped (administrators kept) and rebuilt from a preset's
Apple part, with the push certificate and the server tokens made for the portal's keys."""

from __future__ import annotations

from mock_apple import scenario
from mock_apple.models import AppleAccount, Device, ForcedResponse, MdmServer, MockConfig, Person, ServerToken
from tests.mock_apple.conftest import control, live, rsa_certificate_pem, server_with_token

SPEC = {
    "organization": "Fabrikam Schools",
    "orders": [
        {"number": "MX1", "date": "2025-01-02", "items": [{"model": "iPad (10th generation)", "count": 5}]},
        {
            "number": "MX2",
            "date": "2025-02-03",
            "items": [{"model": "iPhone 15", "color": "BLUE", "count": 3}],
        },
    ],
    "mdm_servers": [
        {"name": "Intune", "devices": [{"order": "MX1", "count": 4}]},
        {"name": "Other MDM", "devices": [{"order": "MX2"}]},
    ],
}


@live
def test_scenario_rebuilds_the_organisation(dep_server, organization) -> None:
    server_with_token(organization, name="Old server", devices=5)
    control(dep_server, "POST", "faults", {"endpoint": "fetch", "status": 500})
    control(dep_server, "PUT", "clock", {"offset_seconds": 3600})
    certificate, _ = rsa_certificate_pem()

    response = control(
        dep_server,
        "POST",
        "scenario",
        {"apple": SPEC, "seed": "t", "server_certificates": {"Intune": certificate.decode()}},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["organization"] == "Fabrikam Schools"
    assert body["devices"] == 8
    assert body["mdm_servers"] == {"Intune": 4, "Other MDM": 3}
    assert body["servers"]["Intune"]["token_file"].startswith("Content-Type: application/pkcs7-mime")
    assert "token_file" not in body["servers"]["Other MDM"]
    assert body["push_certificate"] == ""
    # The old data is gone, the administrator stays; faults and clock are back to defaults.
    assert set(MdmServer.objects.values_list("name", flat=True)) == {"Intune", "Other MDM"}
    assert AppleAccount.objects.filter(apple_id="admin@appleid.contoso.edu").exists()
    assert not ForcedResponse.objects.exists()
    assert MockConfig.load().clock_offset_seconds == 0
    assert ServerToken.objects.count() == 1
    iphones = Device.objects.filter(order__order_number="MX2")
    assert set(iphones.values_list("color", "os")) == {("BLUE", "iOS")}


@live
def test_same_seed_same_serials(dep_server, organization) -> None:
    control(dep_server, "POST", "scenario", {"apple": SPEC, "seed": "a"})
    first = set(Device.objects.values_list("serial_number", flat=True))
    control(dep_server, "POST", "scenario", {"apple": SPEC, "seed": "a"})
    assert set(Device.objects.values_list("serial_number", flat=True)) == first


@live
def test_bad_spec_changes_nothing(dep_server, organization) -> None:
    server_with_token(organization, name="Old server", devices=5)
    bad = {**SPEC, "mdm_servers": [{"name": "Intune", "devices": [{"order": "MX9"}]}]}

    response = control(dep_server, "POST", "scenario", {"apple": bad})

    assert response.status_code == 400
    assert "unknown order" in response.json()["error"]
    assert MdmServer.objects.get().name == "Old server"


@live
def test_needs_the_control_token(dep_server, organization) -> None:
    import requests

    response = requests.post(f"{dep_server}/_mock/scenario", json={"apple": SPEC}, timeout=10)
    assert response.status_code == 403


def test_every_model_but_the_kept_ones_is_wiped() -> None:
    wiped = scenario.wiped_models()
    assert Device in wiped and Person in wiped and MdmServer in wiped
    assert AppleAccount not in wiped
    # Many-to-many tables too (people's locations, classes' students).
    assert any(model._meta.auto_created for model in wiped)

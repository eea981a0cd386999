"""Intune's Devices blades: the managed-device list (columns, search, filters, sort, export,
paging, query count), a device's blade and its action dialogs, bulk actions, the Device actions
monitor, and the ASM device row's link to its managed device."""

from __future__ import annotations

import pytest
from django.urls import reverse

from asm_portal.models import AuditEvent
from devices.models import Device
from mdm.device_actions import device_action_request
from mdm.models import DeviceAction, DeviceActionState, DeviceCommand, ManagementState
from tests.conftest import HTMX
from tests.devices.conftest import devices_create
from tests.mdm.managed import device_answers, managed_device_create, managed_devices_create
from tests.profiles.conftest import token_create

pytestmark = pytest.mark.django_db


# --- The list ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mdm:all_devices", "mdm:ios_devices"])
def test_the_list_shows_intunes_columns(admin_client, name):
    managed_device_create(name="LAB-IPAD-1")
    html = admin_client.get(reverse(name)).content.decode()
    for column in (
        "Device name",
        "Managed by",
        "Ownership",
        "Compliance",
        "OS",
        "OS version",
        "Primary user UPN",
        "Last check-in",
    ):
        assert f">{column}<" in html or f">{column}<span" in html, column
    assert "LAB-IPAD-1" in html and "iPadOS" in html and "Corporate" in html and "ada@contoso.edu" in html
    assert 'class="shell' in html or "<html" in html


def test_htmx_grid_fragment_and_navigation(admin_client):
    managed_device_create()
    fragment = admin_client.get(reverse("mdm:all_devices") + "?fragment=grid", **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="grid"') and "<html" not in fragment
    journey = admin_client.get(reverse("mdm:all_devices"), **HTMX).content.decode()
    assert "<html" not in journey and "All devices" in journey


def test_search_filters_and_sort(admin_client):
    managed_devices_create(5)
    managed_device_create(
        "ZZZQ000001", name="ART-CART-1", is_shared_ipad=True, user_principal_name="zoe@contoso.edu"
    )
    url = reverse("mdm:all_devices")
    assert "ART-CART-1" in admin_client.get(url + "?q=art").content.decode()
    assert "IPAD-000001" not in admin_client.get(url + "?q=art").content.decode()
    assert "ART-CART-1" in admin_client.get(url + "?q=ZZZQ").content.decode()
    assert "ART-CART-1" in admin_client.get(url + "?q=zoe@").content.decode()
    shared = admin_client.get(url + "?shared=yes").content.decode()
    assert "ART-CART-1" in shared and "IPAD-000001" not in shared
    descending = admin_client.get(url + "?sort=name&dir=desc").content.decode()
    assert descending.index("IPAD-000004") < descending.index("IPAD-000000")
    # Garbage is ignored, never a 500.
    assert admin_client.get(url + "?sort=evil&dir=x&state=nope&page=-3&shared=maybe").status_code == 200


def test_retired_wiped_and_deleted_devices_leave_the_list(admin_client):
    managed_device_create("DMPQ000001", name="KEEP-ME")
    managed_device_create("DMPQ000002", name="WIPE-PENDING", management_state=ManagementState.WIPE_PENDING)
    for index, state in enumerate(
        (ManagementState.WIPED, ManagementState.RETIRED, ManagementState.DELETE_PENDING)
    ):
        managed_device_create(f"GONE0000{index}", name=f"GONE-{index}", management_state=state)
    html = admin_client.get(reverse("mdm:all_devices")).content.decode()
    assert "KEEP-ME" in html and "WIPE-PENDING" in html and "Wipe pending" in html and "GONE-" not in html


def test_paging_and_a_pinned_query_count(admin_client, django_assert_max_num_queries):
    managed_devices_create(120)
    url = reverse("mdm:all_devices")
    admin_client.get(url)  # warm the session and the caches
    with django_assert_max_num_queries(12):
        html = admin_client.get(url + "?page=2&fragment=grid", **HTMX).content.decode()
    assert "Showing 51 to 100 of 120 records" in html and "Page 2 of 3" in html
    with django_assert_max_num_queries(12):
        admin_client.get(url + "?page=3")


def test_export_is_intunes_inventory_csv_with_neutralised_cells(admin_client):
    managed_device_create(name="=HYPERLINK(1)")
    managed_device_create("DMPQ000002", name="PLAIN", management_state=ManagementState.RETIRED)
    response = admin_client.get(reverse("mdm:export") + "?q=%3D")
    assert response["Content-Type"].startswith("text/csv")
    assert "DevicesWithInventory_" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    header, row = body.lstrip("\ufeff").splitlines()[:2]
    assert header.startswith(
        "Device name,Managed by,Ownership,Compliance,OS,OS version,Last check-in,Serial number"
    )
    assert row.startswith("'=HYPERLINK(1),Intune,Corporate")
    assert "f0:18:98:00:00:01" in row and "64.00 GB" in row and "PLAIN" not in body


def test_the_operator_sees_the_list_without_selection(operator_client):
    managed_device_create()
    html = operator_client.get(reverse("mdm:all_devices")).content.decode()
    assert 'name="device"' not in html and "Read-only operators cannot run device actions." in html


# --- A device ---------------------------------------------------------------------------------


def test_overview_shows_essentials_and_intunes_action_bar(admin_client):
    device = managed_device_create()
    html = admin_client.get(reverse("mdm:device", args=[device.pk])).content.decode()
    for label in (
        "Retire",
        "Wipe",
        "Delete",
        "Remote lock",
        "Sync",
        "Reset passcode",
        "Restart",
        "Shut down",
        "Lost mode",
        "Rename device",
    ):
        assert f"<span>{label}</span>" in html, label
    assert html.count("<span>Lost mode</span>") == 1 and 'id="action-lost_mode_enable"' in html
    assert "Logout current user" not in html  # only on a Shared iPad
    assert "Return to service" not in html.lower().replace("-", " ")
    assert "Also remove the devices data plan" in html
    assert "DMPQ000001" in html and "Last check-in time" in html and "Device actions status" in html
    shared = managed_device_create("DMPQ000002", is_shared_ipad=True, lost_mode_enabled=True)
    html = admin_client.get(reverse("mdm:device", args=[shared.pk])).content.decode()
    assert "<span>Logout current user</span>" in html and "<span>Locate device</span>" in html
    assert "Lost mode is enabled on this device." in html
    assert html.count("<span>Lost mode</span>") == 1 and 'id="action-lost_mode_disable"' in html


def test_overview_for_the_operator_has_no_dialogs(operator_client):
    device = managed_device_create()
    html = operator_client.get(reverse("mdm:device", args=[device.pk])).content.decode()
    assert "<dialog" not in html and 'aria-disabled="true"' in html


def test_an_admin_renames_through_the_dialog(admin_client):
    device = managed_device_create()
    url = reverse("mdm:device_action", args=[device.pk])
    response = admin_client.post(url, {"kind": "rename", "device_name": "Lab-7"}, **HTMX)
    assert response.status_code == 204 and reverse("mdm:device", args=[device.pk]) in response["HX-Location"]
    action = DeviceAction.objects.get()
    assert action.kind == "rename" and action.state == DeviceActionState.PENDING
    html = admin_client.get(reverse("mdm:device", args=[device.pk])).content.decode()
    assert 'data-action="rename" data-state="pending"' in html and 'hx-trigger="every 2s"' in html
    device_answers(device)
    status = admin_client.get(
        reverse("mdm:device", args=[device.pk]) + "?fragment=status", **HTMX
    ).content.decode()
    assert 'data-action="rename" data-state="done"' in status and "Lab-7" in status
    assert "hx-trigger" not in status.split('id="device-status"')[1].split(">")[0]  # polling stops


def test_a_bad_dialog_input_shows_the_error_and_changes_nothing(admin_client):
    device = managed_device_create()
    url = reverse("mdm:device_action", args=[device.pk])
    response = admin_client.post(url, {"kind": "rename", "device_name": "no spaces"}, **HTMX)
    assert response.status_code == 200 and "at least one letter or hyphen" in response.content.decode()
    response = admin_client.post(url, {"kind": "format_c"})
    assert response.status_code == 200 and "This action does not exist." in response.content.decode()
    response = admin_client.post(url, {"kind": "locate"})
    assert "lost mode" in response.content.decode()
    assert not DeviceCommand.objects.exists() and not DeviceAction.objects.exists()


def test_without_javascript_the_dialog_is_a_page(admin_client):
    device = managed_device_create()
    html = admin_client.get(reverse("mdm:device_action", args=[device.pk]) + "?kind=wipe").content.decode()
    assert "Also remove the devices data plan" in html and ">Wipe</button>" in html
    response = admin_client.post(reverse("mdm:device_action", args=[device.pk]), {"kind": "wipe"})
    assert response.status_code == 302
    assert DeviceCommand.objects.get().payload == {"PreserveDataPlan": True}


def test_the_operator_cannot_act(operator_client):
    device = managed_device_create()
    url = reverse("mdm:device_action", args=[device.pk])
    assert operator_client.post(url, {"kind": "wipe"}).status_code == 403
    assert operator_client.get(url + "?kind=wipe").status_code == 403
    assert (
        operator_client.post(
            reverse("mdm:bulk"), {"kind": "sync", "device": device.pk, "confirm": "yes"}
        ).status_code
        == 403
    )
    assert not DeviceCommand.objects.exists()


def test_delete_hides_the_device_and_returns_to_the_list(admin_client):
    device = managed_device_create(name="TO-DELETE")
    response = admin_client.post(reverse("mdm:device_action", args=[device.pk]), {"kind": "delete"}, **HTMX)
    assert response["HX-Location"].find(reverse("mdm:all_devices")) >= 0
    grid = (
        admin_client.get(reverse("mdm:all_devices"))
        .content.decode()
        .split('id="grid"')[1]
        .split("</table>")[0]
    )
    assert "TO-DELETE" not in grid
    assert AuditEvent.objects.filter(action="delete ManagedDevice").exists()


@pytest.mark.parametrize(
    "name", ["mdm:device_hardware", "mdm:device_apps", "mdm:device_configuration", "mdm:device_users"]
)
def test_device_menu_pages(admin_client, name):
    device = managed_device_create(
        is_shared_ipad=True,
        user_channels={"U1": {"UserShortName": "ada@contoso.edu", "UserLongName": "Ada Lovelace"}},
    )
    html = admin_client.get(reverse(name, args=[device.pk])).content.decode()
    expected = {
        "mdm:device_hardware": ["f0:18:98:00:00:01", "64.00 GB", "82 %", "Wi-Fi MAC"],
        "mdm:device_apps": ["Company Portal", "com.apple.Keynote", "14.0"],
        "mdm:device_configuration": ["Management Profile", "com.apple.mdm", "=cmd Wi-Fi"],
        "mdm:device_users": ["ada@contoso.edu", "Ada Lovelace", "Remove user"],
    }[name]
    for text in expected:
        assert text in html, text
    assert admin_client.get(reverse(name, args=[device.pk]), **HTMX).status_code == 200


def test_wrong_methods_and_anonymous(client, admin_client):
    device = managed_device_create()
    assert admin_client.post(reverse("mdm:all_devices")).status_code == 405
    assert admin_client.post(reverse("mdm:device", args=[device.pk])).status_code == 405
    assert admin_client.delete(reverse("mdm:device_action", args=[device.pk])).status_code == 405
    for url in (reverse("mdm:all_devices"), reverse("mdm:device", args=[device.pk]), reverse("mdm:export")):
        assert client.get(url).status_code == 302


# --- Bulk and the monitor -----------------------------------------------------------------------


def test_bulk_sync_from_the_list(admin_client):
    devices = managed_devices_create(3)
    ids = [d.pk for d in devices]
    confirm = admin_client.get(reverse("mdm:bulk"), {"kind": "sync", "device": ids}).content.decode()
    assert "Review" in confirm or "Create" in confirm
    response = admin_client.post(
        reverse("mdm:bulk"), {"kind": "sync", "device": ids, "confirm": "yes"}, **HTMX
    )
    assert response.status_code == 204 and reverse("mdm:device_actions") in response["HX-Location"]
    assert DeviceAction.objects.filter(kind="sync").count() == 3
    assert (
        admin_client.get(reverse("mdm:bulk"), {"kind": "remote_lock", "device": ids})
        .content.decode()
        .count("Choose a device action.")
        == 1
    )


def test_device_actions_monitor(admin_client, admin_user):
    device = managed_device_create(name="MONITORED")
    device_action_request(device=device, kind="remote_lock", user=admin_user)
    device_action_request(device=device, kind="sync", user=admin_user)
    device_answers(device, "Error")
    html = admin_client.get(reverse("mdm:device_actions")).content.decode()
    assert (
        "MONITORED" in html and "Remote lock" in html and "Failed" in html and "The device refused." in html
    )
    only_sync = admin_client.get(
        reverse("mdm:device_actions") + "?kind=sync&fragment=grid", **HTMX
    ).content.decode()
    assert "Remote lock" not in only_sync.split("<tbody>")[1]


# --- The ASM device row links to its managed device ---------------------------------------------


def test_enrolled_asm_device_links_to_its_managed_device(admin_client):
    token = token_create("Contoso Token")
    asm = devices_create(token, 2)
    managed = managed_device_create(asm[0].serial_number, device=asm[0])
    grid = admin_client.get(reverse("devices:list")).content.decode()
    assert grid.count(reverse("mdm:device", args=[managed.pk])) >= 1
    detail = admin_client.get(reverse("devices:detail", args=[asm[0].pk])).content.decode()
    assert reverse("mdm:device", args=[managed.pk]) in detail
    other = admin_client.get(reverse("devices:detail", args=[asm[1].pk])).content.decode()
    assert "/devices/" + str(managed.pk) + "/" not in other.replace(
        reverse("devices:detail", args=[asm[1].pk]), ""
    )
    assert Device.objects.count() == 2

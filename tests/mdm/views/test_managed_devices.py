"""Intune's Devices blades: the managed-device list (columns, search, filters, sort, export,
paging, query count), a device's blade and its action dialogs, bulk actions, the Device actions
monitor, and the ASM device row's link to its managed device."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from asm_portal.models import AuditEvent
from devices.models import Device
from mdm.device_actions import device_action_request
from mdm.models import DeviceAction, DeviceActionState, DeviceCommand, ManagedDevice, ManagementState
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


def _names(html):
    return re.findall(r">(IPAD-\d{6}|SAME-\d+)</a>", html)


def _link(html, rel):
    match = re.search(rf'<a class="button" href="([^"]+)"[^>]*>{rel}</a>', html)
    return match and match.group(1).replace("&amp;", "&")


@pytest.mark.parametrize("sort", ["", "&sort=checkin&dir=desc", "&sort=name&dir=desc", "&sort=os_version"])
def test_keyset_pages_walk_every_device_once_both_ways(admin_client, sort):
    """Next and Previous carry the neighbouring row (no OFFSET): walking forward then back gives
    every device once, in order; ties (same name, same check-in, no check-in) are kept apart by
    the serial number and id."""
    devices = managed_devices_create(113)
    ManagedDevice.objects.filter(pk__in=[d.pk for d in devices[:30]]).update(device_name="SAME-1")
    ManagedDevice.objects.filter(pk__in=[d.pk for d in devices[30:40]]).update(last_checkin_at=None)
    url = reverse("mdm:all_devices") + "?q=" + sort
    html = admin_client.get(url + "&fragment=grid", **HTMX).content.decode()
    forward, pages = [_names(html)], [html]
    while link := _link(html, "Next"):
        html = admin_client.get(link + "&fragment=grid", **HTMX).content.decode()
        forward.append(_names(html))
        pages.append(html)
    assert [len(page) for page in forward] == [50, 50, 13]
    assert "Showing 101 to 113 of 113 records" in pages[-1] and "Page 3 of 3" in pages[-1]
    serials = [re.findall(r'class="mono-serial">([A-Z0-9]+)<', page) for page in pages]
    flat = [serial for page in serials for serial in page]
    assert len(set(flat)) == 113
    back = [re.findall(r'class="mono-serial">([A-Z0-9]+)<', html)]
    while link := _link(html, "Previous"):
        html = admin_client.get(link + "&fragment=grid", **HTMX).content.decode()
        back.append(re.findall(r'class="mono-serial">([A-Z0-9]+)<', html))
    assert back[::-1] == serials
    # Last, and a page asked by its number alone, give the same rows as the walk.
    last = admin_client.get(_link(pages[0], "Last") + "&fragment=grid", **HTMX).content.decode()
    assert re.findall(r'class="mono-serial">([A-Z0-9]+)<', last) == serials[-1]
    second = admin_client.get(url + "&page=2&fragment=grid", **HTMX).content.decode()
    assert re.findall(r'class="mono-serial">([A-Z0-9]+)<', second) == serials[1]


def test_a_garbled_cursor_starts_over(admin_client):
    managed_devices_create(60)
    url = reverse("mdm:all_devices")
    html = admin_client.get(url + "?page=2&after=!!not-a-cursor&fragment=grid", **HTMX).content.decode()
    assert "Page 2 of 2" in html
    html = admin_client.get(url + "?page=2&after=WzEsMiwzXQ&fragment=grid", **HTMX).content.decode()
    assert "Page 2 of 2" in html or "Page 1 of 2" in html


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
    assert "<span>Play lost mode sound</span>" in html and 'name="duration_minutes"' in html
    assert "<span>Disable Activation Lock</span>" in html


def test_locate_shows_the_reported_location_on_a_map(admin_client, admin_user):
    device = managed_device_create(lost_mode_enabled=True)
    device_action_request(device=device, kind="locate", user=admin_user)
    device_answers(device, Latitude=48.8566, Longitude=2.3522, HorizontalAccuracy=35)
    html = admin_client.get(reverse("mdm:device", args=[device.pk])).content.decode()
    assert 'class="location-map" data-location="48.8566,2.3522"' in html
    # The pin on the 360 × 180 world grid: x = longitude + 180, y = 90 - latitude.
    assert 'transform="translate(182.352 41.143)"' in html
    assert "35 m" in html and "Intune keeps a device’s location for 24 hours." in html


def test_hardware_shows_the_activation_lock_bypass_code(admin_client, admin_user):
    device = managed_device_create()
    device_action_request(device=device, kind="activation_lock_bypass", user=admin_user)
    device_answers(device, ActivationLockBypassCode="ABCDE-FGHIJ-KLMNO-PQRST-UVWXY")
    html = admin_client.get(reverse("mdm:device_hardware", args=[device.pk])).content.decode()
    assert "Activation lock bypass code" in html and "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY" in html


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


def _wizard(admin_client, go, **data):
    response = admin_client.post(reverse("mdm:bulk"), {"go": go, **data}, **HTMX)
    return response


def test_bulk_wizard_basics_devices_review_create(admin_client):
    devices = managed_devices_create(3)
    managed_device_create("ZZPQ000001", name="LAB-1")
    html = admin_client.get(reverse("mdm:bulk")).content.decode()
    assert 'aria-current="step"' in html and "Basics" in html and 'name="kind"' in html
    # Basics: an action is required.
    html = _wizard(admin_client, "next", step="basics", platform="ios", kind="").content.decode()
    assert "Choose a device action." in html and 'data-step="basics"' in html
    html = _wizard(
        admin_client, "next", step="basics", platform="ios", kind="wipe", remove_data_plan="on"
    ).content.decode()
    assert 'data-step="devices"' in html and "LAB-1" in html and "IPAD-000002" in html
    # Devices: the search narrows the picker; Next needs a device.
    html = _wizard(
        admin_client, "search", step="devices", platform="ios", kind="wipe", remove_data_plan="on", q="lab"
    ).content.decode()
    assert "LAB-1" in html and "IPAD-000002" not in html
    html = _wizard(admin_client, "next", step="devices", platform="ios", kind="wipe").content.decode()
    assert "Select at least one device." in html and 'data-step="devices"' in html
    ids = [d.pk for d in devices[:2]]
    html = _wizard(
        admin_client, "next", step="devices", platform="ios", kind="wipe", remove_data_plan="on", device=ids
    ).content.decode()
    assert 'data-step="review"' in html and "IPAD-000001" in html and "LAB-1" not in html
    # Previous keeps the answers.
    back = _wizard(
        admin_client,
        "previous",
        step="review",
        platform="ios",
        kind="wipe",
        remove_data_plan="on",
        device=ids,
    ).content.decode()
    assert 'data-step="devices"' in back and back.count(" checked ") + back.count(" checked>") >= 2
    assert not DeviceCommand.objects.exists()
    response = _wizard(
        admin_client, "create", step="review", platform="ios", kind="wipe", remove_data_plan="on", device=ids
    )
    assert response.status_code == 204 and reverse("mdm:device_actions") in response["HX-Location"]
    assert sorted(DeviceAction.objects.filter(kind="wipe").values_list("device_id", flat=True)) == sorted(ids)
    assert (
        list(DeviceCommand.objects.values_list("request_type", "payload"))
        == [("EraseDevice", {"PreserveDataPlan": False})] * 2
    )


def test_bulk_wizard_refuses_too_many_devices_and_a_forged_create(admin_client, operator_client):
    devices = managed_devices_create(101)
    ids = [d.pk for d in devices]
    html = _wizard(
        admin_client, "next", step="devices", platform="ios", kind="sync", device=ids
    ).content.decode()
    assert "A bulk action takes at most 100 devices." in html
    html = _wizard(
        admin_client, "create", step="review", platform="ios", kind="shutdown", device=ids[:2]
    ).content.decode()
    assert "Choose a device action." in html and not DeviceAction.objects.exists()
    assert operator_client.get(reverse("mdm:bulk")).status_code == 403
    assert (
        operator_client.post(
            reverse("mdm:bulk"), {"go": "create", "kind": "sync", "device": ids[:1]}
        ).status_code
        == 403
    )
    assert not DeviceAction.objects.exists()


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

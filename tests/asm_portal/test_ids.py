"""One parser for every id from outside (asm_portal.ids) and the `<id:…>` path converter."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from asm_portal.ids import MAX_ID, DatabaseIdConverter, parse_id, parse_ids


@pytest.mark.parametrize("value", ["1", "42", str(MAX_ID), 7])
def test_a_database_id_is_read(value: object) -> None:
    assert parse_id(value) == int(value)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0",
        "-1",
        str(MAX_ID + 1),
        "9" * 40,
        "abc",
        "\u00b2",
        "\u0661",
        " 1",
        "1.0",
        None,
        True,
        MAX_ID + 1,
    ],
)
def test_anything_else_is_no_id(value: object) -> None:
    assert parse_id(value) is None


def test_ids_from_a_list_each_once_sorted() -> None:
    assert parse_ids(["3", "x", "1", "3", str(MAX_ID + 1)]) == [1, 3]
    assert parse_ids("12") == []


def test_the_path_converter_matches_only_database_ids() -> None:
    converter = DatabaseIdConverter()
    assert converter.to_python("12") == 12
    with pytest.raises(ValueError):
        converter.to_python(str(MAX_ID + 1))
    assert converter.to_url(12) == "12"


def test_an_oversized_path_id_is_a_404(admin_client: Client) -> None:
    assert reverse("devices:detail", args=[5]).endswith("/5/")
    response = admin_client.get(f"/enrollment/apple/devices/{MAX_ID + 1}/")
    assert response.status_code == 404


def test_a_nul_in_a_query_string_or_a_form_is_a_400(admin_client: Client) -> None:
    response = admin_client.get("/enrollment/apple/devices/", {"q": "A\x00"})
    assert response.status_code == 400
    assert b"NUL" in response.content
    response = admin_client.post("/enrollment/apple/devices/assign/", {"device": "1\x00"})
    assert response.status_code == 400


def test_every_response_denies_unused_browser_features(admin_client: Client) -> None:
    policy = admin_client.get("/").headers["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy and "geolocation=()" in policy

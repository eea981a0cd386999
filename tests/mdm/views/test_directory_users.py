"""The tenant admin's Users blade (the directory, read only)."""

from __future__ import annotations

from mdm.directory import directory_users_seed


def test_the_users_blade_lists_the_directory_read_only(operator_client, db) -> None:
    directory_users_seed(password="x-Pass-123")
    page = operator_client.get("/tenant-admin/users/").content.decode()
    assert "Craig Beane" in page and "NGilbertson@contoso.onmicrosoft.com" in page
    assert "x-Pass-123" not in page and "pbkdf2" not in page and "md5" not in page
    found = operator_client.get("/tenant-admin/users/?q=klein").content.decode()
    assert "Ora Klein" in found and "Craig Beane" not in found

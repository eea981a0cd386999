"""Apple's side for the School Data Sync tests: a token School Data Sync may use, made by the
mock Apple School Manager (so that the mock, served over HTTP, accepts its calls)."""

from __future__ import annotations

from mock_apple.models import Organization
from mock_apple.services import mdm_servers
from tests.mock_apple.conftest import admin_of
from tests.tokens.conftest import make_token
from tokens.models import EnrollmentProgramToken


def apple_token(
    organization: Organization, *, name: str = "Lycée Jean Moulin - Intune", shared: bool = True
) -> EnrollmentProgramToken:
    """An Apple School Manager token of the organisation's MDM server `name`, shared with SDS."""
    server = mdm_servers.mdm_server_create(actor=None, organization=organization, name=name)
    _token, values = mdm_servers.server_token_issue(
        actor=None, server=server, issued_by=admin_of(organization)
    )
    return make_token(
        token_name=name,
        server_uuid=server.server_uuid,
        consumer_key=values["consumer_key"],
        consumer_secret=values["consumer_secret"],
        access_token=values["access_token"],
        access_secret=values["access_secret"],
        shared_with_sds=shared,
    )

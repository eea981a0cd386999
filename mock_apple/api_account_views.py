"""Preferences › API of the mock Apple School Manager: the organisation's API accounts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mock_apple import auth
from mock_apple.auth import AppleHttpRequest, account_required, people_manager_required
from mock_apple.forms import ApiAccountForm
from mock_apple.models import ActivityLog, ApiAccount
from mock_apple.services import api_accounts
from mock_apple.views import _page, attachment

ACTIVITY_SHOWN = 50  # the latest entries of the activity log


@require_http_methods(["GET", "POST"])
@account_required
def api_accounts_page(request: AppleHttpRequest) -> HttpResponse:
    """List and create: a new account's private key is the answer to the POST, a .pem, once."""
    organization = request.account.organization
    form = ApiAccountForm(request.POST or None)
    if request.method == "POST":
        auth.require_people_manager(request.account)
        if form.is_valid():
            try:
                created = api_accounts.api_account_create(
                    actor=request.account, organization=organization, name=form.cleaned_data["name"]
                )
            except ValidationError as error:
                form.add_error("name", error)
            else:
                messages.success(
                    request,
                    _(
                        "The API account %(name)s was created. Its private key was downloaded: keep it "
                        "safe, it cannot be downloaded again."
                    )
                    % {"name": created.account.name},
                )
                filename = f"{slugify(created.account.name) or 'api-account'}-{created.account.key_id}.pem"
                return attachment(
                    created.private_key_pem, content_type="application/x-pem-file", filename=filename
                )
    context = {
        "form": form,
        "api_accounts": ApiAccount.objects.filter(organization=organization),
        "activity": ActivityLog.objects.filter(organization=organization)[:ACTIVITY_SHOWN],
        "can_manage_api": auth.can_manage_people(request.account),
        "max_accounts": api_accounts.MAX_ACCOUNTS,
    }
    return _page(request, "mock_apple/api_accounts.html", context, section="preferences")


@require_POST
@account_required
@people_manager_required
def api_account_revoke(request: AppleHttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(ApiAccount, organization=request.account.organization, pk=pk)
    api_accounts.api_account_revoke(actor=request.account, account=account)
    messages.success(request, _("The API account %(name)s was revoked.") % {"name": account.name})
    return redirect("asm_api_accounts")

"""The form of a token's School Data Sync blade."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SdsSharingForm(forms.Form):
    """The School Data Sync blade of an Apple School Manager token (Graph
    shareTokenWithSchoolDataSyncService)."""

    ALLOW = "allow"
    BLOCK = "block"

    sharing = forms.ChoiceField(
        label=_("Allow Microsoft School Data Sync to use this token"),
        choices=[(ALLOW, _("Allow")), (BLOCK, _("Block"))],
        widget=forms.RadioSelect,
    )
    # Set by the confirmation: yes, take School Data Sync away from the token that has it.
    replace = forms.BooleanField(required=False, widget=forms.HiddenInput)

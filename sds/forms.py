from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.validators import DomainNameValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sds.models import SyncProfile

# Usernames become Managed Apple Accounts: ASCII domains only, as Apple School Manager takes them.
_DOMAIN = DomainNameValidator(accept_idna=False, message=_("Enter a domain name, such as contoso.edu."))


if TYPE_CHECKING:
    _ProfileModelForm = forms.ModelForm[SyncProfile]
else:
    _ProfileModelForm = forms.ModelForm


class SyncProfileForm(_ProfileModelForm):
    # Declared so that the radio buttons offer the formats only (no "---------" blank choice).
    roster_format = forms.ChoiceField(
        label=_("CSV format"), choices=SyncProfile.Format.choices, widget=forms.RadioSelect
    )

    class Meta:
        model = SyncProfile
        fields = ["name", "roster_format", "domain_suffix"]
        labels = {
            "name": _("Sync profile name"),
            "roster_format": _("CSV format"),
            "domain_suffix": _("Domain suffix"),
        }
        help_texts = {
            "name": _("At least 3 characters."),
            "domain_suffix": _(
                "Classic SDS adds it to usernames without a domain: OKlein becomes OKlein@contoso.edu. "
                "SDS v2.1 usernames must carry their domain."
            ),
        }
        widgets = {
            "roster_format": forms.RadioSelect,
            "domain_suffix": forms.TextInput(attrs={"placeholder": "contoso.edu"}),
        }

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if len(name) < 3:
            raise forms.ValidationError(_("The name needs at least 3 characters."))
        # Names are unique within the tenant (the query is scoped to it), whatever the case.
        others = SyncProfile.objects.filter(name__iexact=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("A sync profile with this name already exists."))
        return name

    def clean_domain_suffix(self) -> str:
        suffix: str = self.cleaned_data["domain_suffix"].strip().lstrip("@").lower()
        if suffix:
            _DOMAIN(suffix)
        return suffix


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class RosterUploadForm(forms.Form):
    roster = MultipleFileField(
        label=_("Files"),
        error_messages={"required": _("Choose the roster's CSV files, or one .zip file that holds them.")},
        widget=MultipleFileInput(attrs={"accept": ".csv,.zip,text/csv,application/zip"}),
    )


class RosterQuotaUploadHandler(FileUploadHandler):
    """Stops reading file data past the roster size limit, before it reaches memory or disk."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

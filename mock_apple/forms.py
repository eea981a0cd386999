from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mock_apple.models import MdmServer, Organization
from mock_apple.services import assignments, controls


class SignInForm(forms.Form):
    apple_id = forms.EmailField(label=_("Managed Apple Account"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=2000)


class MdmServerAddForm(forms.Form):
    name = forms.CharField(label=_("MDM server name"), max_length=200)
    certificate = forms.FileField(label=_("Public key"), required=True)


class CertificateForm(forms.Form):
    certificate = forms.FileField(label=_("Public key"))


class AssignmentForm(forms.Form):
    BY_SERIAL = "serial"
    BY_ORDER = "order"
    BY_CSV = "csv"
    ASSIGN = "assign"
    UNASSIGN = "unassign"

    choose_by = forms.ChoiceField(
        label=_("Choose devices by"),
        choices=[
            (BY_SERIAL, _("Serial number")),
            (BY_ORDER, _("Order number")),
            (BY_CSV, _("Upload CSV file")),
        ],
        widget=forms.RadioSelect,
        initial=BY_SERIAL,
    )
    serials = forms.CharField(
        label=_("Serial numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Separate serial numbers with commas, spaces or new lines."),
    )
    order_number = forms.CharField(label=_("Order number"), required=False, max_length=64)
    csv_file = forms.FileField(label=_("CSV file"), required=False)
    action = forms.ChoiceField(
        label=_("Choose action"),
        choices=[(ASSIGN, _("Assign to server")), (UNASSIGN, _("Unassign"))],
        widget=forms.RadioSelect,
        initial=ASSIGN,
    )
    server = forms.ModelChoiceField(
        label=_("MDM server"),
        queryset=MdmServer.objects.none(),
        required=False,
        to_field_name="server_uuid",
        empty_label=_("Select a server"),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["server"].queryset = MdmServer.objects.filter(organization=organization).order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == self.ASSIGN and not data.get("server"):
            self.add_error("server", _("Choose the MDM server to assign the devices to."))
        if self.errors:
            return data
        try:
            data["device_ids"] = self._device_ids(data)
        except assignments.AssignmentInputError as error:
            for message in error.messages:
                self.add_error(None, message)
        return data

    def _device_ids(self, data: dict[str, Any]) -> list[int]:
        choose_by = data["choose_by"]
        if choose_by == self.BY_ORDER:
            return assignments.order_device_ids(
                organization=self.organization, order_number=data.get("order_number", "")
            )
        if choose_by == self.BY_CSV:
            upload = data.get("csv_file")
            if upload is None:
                raise assignments.AssignmentInputError(_("Choose a CSV file."))
            if upload.size > settings.ASM_MAX_CSV_UPLOAD_BYTES:
                raise assignments.AssignmentInputError(_("The CSV file is too large."))
            serials = assignments.serials_from_csv(upload.read())
        else:
            serials = assignments.serials_from_text(data.get("serials", ""))
        return assignments.serials_resolve(organization=self.organization, serials=serials)


ENDPOINT_CHOICES = [("*", _("Any endpoint"))] + [(name, name) for name in controls.ENDPOINTS]
STATUS_CHOICES = [
    ("", _("None (latency only)")),
    ("400", "400 Bad Request"),
    ("401", "401 Unauthorized"),
    ("403", "403 Forbidden"),
    ("404", "404 Not Found"),
    ("409", "409 Conflict"),
    ("429", "429 Too Many Requests"),
    ("500", "500 Internal Server Error"),
    ("502", "502 Bad Gateway"),
    ("503", "503 Service Unavailable"),
    ("504", "504 Gateway Timeout"),
]


class FaultForm(forms.Form):
    endpoint = forms.ChoiceField(label=_("Endpoint"), choices=ENDPOINT_CHOICES)
    status = forms.TypedChoiceField(
        label=_("Status"), choices=STATUS_CHOICES, coerce=int, empty_value=None, required=False
    )
    code = forms.CharField(
        label=_("Body code"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "apple-codes"}),
    )
    retry_after = forms.IntegerField(
        label=_("Retry-After (seconds)"), required=False, min_value=0, max_value=86_400
    )
    latency_ms = forms.IntegerField(
        label=_("Added latency (ms)"), required=False, min_value=0, max_value=60_000
    )
    count = forms.IntegerField(label=_("Count"), min_value=1, max_value=10_000, initial=1)


class ClockForm(forms.Form):
    days = forms.IntegerField(label=_("Days"), min_value=-3650, max_value=3650, initial=0)
    hours = forms.IntegerField(label=_("Hours"), min_value=-23, max_value=23, initial=0)


class SessionForm(forms.Form):
    session_ttl_seconds = forms.IntegerField(
        label=_("Session lifetime (seconds)"), min_value=5, max_value=86_400
    )
    session_rotation = forms.BooleanField(label=_("Rotate the session on every answer"), required=False)


class FeedForm(forms.Form):
    echoed_cursor_remaining = forms.IntegerField(
        label=_("Echoed cursors to serve"), min_value=0, max_value=1000
    )
    move_op_type = forms.ChoiceField(
        label=_("A device moved to another server shows there as"),
        choices=[("modified", _("modified (as Apple does)")), ("added", _("added"))],
    )


class ThrottleForm(forms.Form):
    throttle_percent = forms.IntegerField(label=_("Devices throttled (%)"), min_value=0, max_value=100)
    throttle_serials = forms.CharField(
        label=_("Always throttled serial numbers"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    failed_serials = forms.CharField(
        label=_("Always failed serial numbers"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    retry_after_seconds = forms.IntegerField(label=_("retry_after_seconds"), min_value=0, max_value=604_800)


class ApiLimitsForm(forms.Form):
    """The School Manager API's limits and the time an activity stays IN_PROGRESS."""

    api_get_per_minute = forms.IntegerField(
        label=_("GET requests a minute (0: no limit)"), min_value=0, max_value=1_000_000
    )
    api_activity_posts_per_hour = forms.IntegerField(
        label=_("Activities an hour (0: no limit)"), min_value=0, max_value=1_000_000
    )
    api_activity_seconds = forms.IntegerField(
        label=_("Seconds before an activity completes"), min_value=0, max_value=604_800
    )


class CsrForm(forms.Form):
    csr = forms.FileField(label=_("Certificate signing request"))


class ApiAccountForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)

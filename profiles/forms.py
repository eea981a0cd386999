from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext_lazy as _

from asm_portal.tenancy import current_tenant
from profiles.apple_limits import max_length
from profiles.choices import GRACE_PERIODS, Affinity, AuthMethod, Pairing, RulesEdition
from profiles.models import ConfiguratorCertificate, EnrollmentProfile, VppToken
from profiles.rules import Outcome, ProfileValues, check
from profiles.screens import SCREENS

YES_NO = (("yes", _("Yes")), ("no", _("No")))

# The steps of today's Intune « Create profile » wizard, and the fields each one shows. Review
# shows them all; editing from Properties walks one section, then Review.
BASICS, MANAGEMENT, SETUP_ASSISTANT, REVIEW = "basics", "management", "setup", "review"
STEP_TITLES = {
    BASICS: _("Basics"),
    MANAGEMENT: _("Management Settings"),
    SETUP_ASSISTANT: _("Setup Assistant"),
    REVIEW: _("Review + create"),
}
SECTIONS = (BASICS, MANAGEMENT, SETUP_ASSISTANT)
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    BASICS: ("name", "description"),
    MANAGEMENT: (
        "user_affinity",
        "authentication_method",
        "install_company_portal",
        "vpp_token",
        "single_app_mode",
        "supervised",
        "locked_enrollment",
        "shared_ipad",
        "max_cached_users",
        "temporary_session_only",
        "passcode_grace_seconds",
        "user_session_timeout",
        "temporary_session_timeout",
        "pairing",
        "certificates",
        "remove_certificates",
        "await_final_configuration",
        "apply_device_name_template",
        "device_name_template",
        "cellular_data_plan",
        "carrier_activation_url",
    ),
    SETUP_ASSISTANT: (
        "department",
        "department_phone",
        "hidden_screens",
        *(f"screen_{screen.key}" for screen in SCREENS),
    ),
}


def step_of(name: str) -> str:
    """The step that shows a field (a rule's error on the whole form: Basics)."""
    return next((step for step, names in STEP_FIELDS.items() if name in names), BASICS)


SHOW_HIDE = (("hide", _("Hide")), ("show", _("Show")))


def yes_no(label: Any, help_text: Any = "") -> forms.TypedChoiceField:
    """Intune's segmented Yes | No control, backed by real radio buttons."""
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        # Not "required": an unanswered Yes | No means No, as Intune's defaults do.
        required=False,
        empty_value=False,  # type: ignore[arg-type]
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".cer,.pem,.der,.crt"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        for upload in cleaned:
            if upload.size is not None and upload.size > settings.ASM_MAX_UPLOAD_BYTES:
                raise forms.ValidationError(_("%(name)s is too large.") % {"name": upload.name})
        return cleaned


def _optional_seconds(label: Any, help_text: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, help_text=help_text, required=False, min_value=0, max_value=86400 * 7
    )


class ProfileForm(forms.Form):
    """All the settings of the create and edit blades; the rules live in `profiles.rules`."""

    name = forms.CharField(label=_("Name"), max_length=max_length("name"))
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    user_affinity = forms.ChoiceField(
        label=_("User affinity"), choices=Affinity.choices, widget=forms.RadioSelect
    )
    authentication_method = forms.ChoiceField(
        label=_("Select where users must authenticate"),
        choices=AuthMethod.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    install_company_portal = yes_no(
        _("Install Company Portal"),
        _("Installs the Company Portal after Setup Assistant (legacy) so users can register the device."),
    )
    vpp_token = forms.ModelChoiceField(
        label=_("Install Company Portal with VPP"),
        # The tenant's VPP tokens are set per form (__init__): the class is built outside any
        # tenant scope.
        queryset=VppToken.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("The Company Portal is installed from this VPP token; no Apple ID is needed."),
    )
    single_app_mode = yes_no(
        _("Run Company Portal in Single App Mode until authentication"),
        _("Locks the device in the Company Portal until the user signs in (iOS 11.3.1 and later)."),
    )

    supervised = yes_no(
        _("Supervised"),
        _("A management mode that enables more management options and turns off Activation Lock by default."),
    )
    locked_enrollment = yes_no(
        _("Locked enrollment"),
        _("Requires Supervised. Turns off the iOS settings that could remove the management profile."),
    )
    shared_ipad = yes_no(
        _("Shared iPad"),
        _("Lets several users sign in to enrolled iPads with a Managed Apple ID."),
    )
    max_cached_users = forms.IntegerField(
        label=_("Maximum cached users"),
        required=False,
        min_value=0,
        max_value=999,
        help_text=_(
            "One partition per user. Set it to the number of students who use the device over a period."
        ),
    )
    passcode_grace_seconds = forms.TypedChoiceField(
        label=_("Maximum seconds after screen lock before password is required"),
        choices=[("", _("Not configured"))] + [(str(value), str(value)) for value in GRACE_PERIODS],
        coerce=int,
        empty_value=None,
        required=False,
    )
    user_session_timeout = _optional_seconds(
        _("Maximum seconds of inactivity until user session logs out"),
        _("At least 30; leave blank for never (iPadOS 14.5 and later)."),
    )
    temporary_session_only = yes_no(
        _("Require Shared iPad temporary session only"),
        _("Only the Guest sign-in is offered (iPadOS 14.5 and later)."),
    )
    temporary_session_timeout = _optional_seconds(
        _("Maximum seconds of inactivity until temporary session logs out"),
        _("At least 30; leave blank for never."),
    )
    pairing = forms.ChoiceField(
        label=_("Sync with computers"), choices=Pairing.choices, widget=forms.RadioSelect
    )
    certificates = MultipleFileField(label=_("Apple Configurator certificates"), required=False)
    remove_certificates = forms.ModelMultipleChoiceField(
        label=_("Remove"), queryset=ConfiguratorCertificate.objects.none(), required=False
    )
    await_final_configuration = yes_no(
        _("Await final configuration"),
        _(
            "Holds the user at the end of Setup Assistant until Intune has applied the configuration policies."
        ),
    )
    apply_device_name_template = yes_no(_("Apply device name template"), _("Supervised devices only."))
    device_name_template = forms.CharField(
        label=_("Device name template"),
        required=False,
        max_length=200,
        help_text=_("At most 63 characters, variables included: {{SERIAL}}, {{DEVICETYPE}}."),
    )
    cellular_data_plan = yes_no(
        _("Activate cellular data plan"), _("iOS 13 and later, devices with an eSIM.")
    )
    carrier_activation_url = forms.CharField(
        label=_("Carrier activation server URL"), required=False, max_length=500
    )

    department = forms.CharField(
        label=_("Department name"),
        required=False,
        max_length=max_length("department"),
        help_text=_("Shown when users tap About Configuration during activation."),
    )
    department_phone = forms.CharField(
        label=_("Department phone"),
        required=False,
        max_length=max_length("department_phone"),
        help_text=_("Shown when users tap the Need Help button during activation."),
    )

    def __init__(
        self,
        *args: Any,
        existing_certificates: Any = None,
        edition: str = RulesEdition.ARTICLE_2017,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if current_tenant() is not None:  # a form built outside a tenant (its limits) lists none
            self.fields["vpp_token"].queryset = VppToken.objects.order_by("name")  # type: ignore[attr-defined]
        # One Hide | Show control per Setup Assistant screen, as Intune lists them.
        for screen in SCREENS:
            self.fields[f"screen_{screen.key}"] = forms.ChoiceField(
                label=str(screen.label),
                help_text=str(screen.description),
                choices=SHOW_HIDE,
                initial="show",
                widget=forms.RadioSelect,
            )
        if existing_certificates is not None:
            self.fields["remove_certificates"].queryset = existing_certificates  # type: ignore[attr-defined]
        if edition == RulesEdition.CURRENT:
            self.fields["department"].required = True
            self.fields["department_phone"].required = True

    def to_values(self) -> ProfileValues:
        """The values as posted; a field that isn't valid (on a step not checked yet) keeps
        Intune's default, so that one step's rules can run before the next steps are filled."""
        defaults = ProfileValues()
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if value is not None or name in _OPTIONAL_NUMBERS
        }

        def get(name: str) -> Any:
            return data.get(name, getattr(defaults, name))

        vpp_token = data.get("vpp_token")
        return ProfileValues(
            name=get("name").strip(),
            description=get("description"),
            user_affinity=get("user_affinity"),
            authentication_method=data.get("authentication_method", "") or "",
            install_company_portal=get("install_company_portal"),
            vpp_token=str(vpp_token.pk) if vpp_token else "",
            single_app_mode=get("single_app_mode"),
            supervised=get("supervised"),
            locked_enrollment=get("locked_enrollment"),
            shared_ipad=get("shared_ipad"),
            max_cached_users=get("max_cached_users"),
            passcode_grace_seconds=get("passcode_grace_seconds"),
            user_session_timeout=get("user_session_timeout"),
            temporary_session_only=get("temporary_session_only"),
            temporary_session_timeout=get("temporary_session_timeout"),
            pairing=get("pairing"),
            await_final_configuration=get("await_final_configuration"),
            apply_device_name_template=get("apply_device_name_template"),
            device_name_template=get("device_name_template"),
            cellular_data_plan=get("cellular_data_plan"),
            carrier_activation_url=get("carrier_activation_url").strip(),
            department=get("department").strip(),
            department_phone=get("department_phone").strip(),
            hidden_screens=frozenset(
                screen.key for screen in SCREENS if data.get(f"screen_{screen.key}") == "hide"
            ),
        )

    # --- The wizard -------------------------------------------------------------------------

    def staged_certificates(self) -> list[tuple[str, str]]:
        """Certificates chosen on an earlier visit of Management Settings, carried from step to
        step as (file name, base64) in hidden fields, plus the ones uploaded with this post."""
        staged = []
        for item in self.data.getlist("staged_certificate") if hasattr(self.data, "getlist") else []:
            name, _sep, encoded = item.partition(":")
            staged.append((name, encoded))
        if self.is_bound and not self.errors.get("certificates"):  # (`errors` cleans the form)
            for upload in self.cleaned_data.get("certificates") or []:
                upload.seek(0)
                staged.append((upload.name or "certificate.cer", base64.b64encode(upload.read()).decode()))
        return staged

    def certificate_uploads(self) -> list[UploadedFile]:
        uploads: list[UploadedFile] = []
        for name, encoded in self.staged_certificates():
            try:
                content = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                content = b""  # the service says « The file is empty. » next to the field
            uploads.append(SimpleUploadedFile(name, content))
        return uploads

    def certificate_count(self) -> int:
        existing = self.fields["remove_certificates"].queryset  # type: ignore[attr-defined]
        removed = [c.pk for c in self.cleaned_data.get("remove_certificates") or []]
        return int(existing.exclude(pk__in=removed).count()) + len(self.staged_certificates())

    def check_step(self, step: str, *, edition: str, previous: ProfileValues | None) -> Outcome | None:
        """Validate one step with the form's fields and the rules of `profiles.rules` (Review:
        every step). Errors go on the form; the outcome (notices, values as saved) if valid."""
        self.is_valid()
        names = set(STEP_FIELDS.get(step, ())) if step != REVIEW else set(self.fields) | {"hidden_screens"}
        if any(name in names for name in self.errors):
            return None
        outcome = check(
            self.to_values(), edition=edition, previous=previous, certificate_count=self.certificate_count()
        )
        step_errors = {name: texts for name, texts in outcome.errors.items() if name in names}
        for name, texts in step_errors.items():
            for text in texts:
                self.add_error(name if name in self.fields else None, text)
        return None if step_errors else outcome

    def first_step_with_errors(self) -> str:
        return min((step_of(name) for name in self.errors), key=SECTIONS.index, default=BASICS)

    def hidden_values(self, step: str) -> list[tuple[str, Any]]:
        """(name, value) of every field the step doesn't show, as hidden inputs."""
        shown = set(STEP_FIELDS.get(step, ()))
        pairs: list[tuple[str, Any]] = []
        for name in self.fields:
            if name in shown or name == "certificates":
                continue
            value = self[name].value()
            if isinstance(value, list | tuple):
                pairs.extend((name, item) for item in value)
            elif value is not None:
                pairs.append((name, getattr(value, "pk", value)))
        return pairs

    def review_sections(self, values: ProfileValues) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(step, title, [(label, value)]) of the settings as they will be saved, for Review and
        for the profile's Properties."""
        sections = []
        for step in SECTIONS:
            rows = []
            for name in STEP_FIELDS[step]:
                if name in _NOT_REVIEWED or name.startswith("screen_"):
                    continue
                if name == "hidden_screens":
                    hidden = [str(screen.label) for screen in SCREENS if screen.key in values.hidden_screens]
                    rows.append((str(_("Hidden screens")), ", ".join(hidden) or str(_("None"))))
                    continue
                if not _applies(name, values):
                    continue
                rows.append((str(self.fields[name].label), self._display(name, getattr(values, name))))
            sections.append((step, str(STEP_TITLES[step]), rows))
        return sections

    def _display(self, name: str, value: Any) -> str:
        if isinstance(value, bool):
            return str(_("Yes") if value else _("No"))
        if value in (None, ""):
            return "—"
        field = self.fields[name]
        if name == "vpp_token":
            token = field.queryset.filter(pk=value).first()  # type: ignore[attr-defined]
            return str(token) if token else "—"
        choices = dict(getattr(field, "choices", ()))
        return str(choices.get(value, choices.get(str(value), value)))

    def screen_fields(self) -> list[forms.BoundField]:
        return [self[f"screen_{screen.key}"] for screen in SCREENS]


_OPTIONAL_NUMBERS = frozenset(
    {"max_cached_users", "passcode_grace_seconds", "user_session_timeout", "temporary_session_timeout"}
)
_NOT_REVIEWED = frozenset({"certificates", "remove_certificates"})
# Settings that only mean something under another one (as the form shows them).
_APPLIES_WHEN: dict[str, Callable[[ProfileValues], bool]] = {
    "authentication_method": lambda v: v.user_affinity == "with",
    "install_company_portal": lambda v: v.user_affinity == "with",
    "vpp_token": lambda v: v.user_affinity == "with",
    "single_app_mode": lambda v: v.user_affinity == "with",
    "max_cached_users": lambda v: v.shared_ipad and not v.temporary_session_only,
    "temporary_session_only": lambda v: v.shared_ipad,
    "passcode_grace_seconds": lambda v: v.shared_ipad and not v.temporary_session_only,
    "user_session_timeout": lambda v: v.shared_ipad and not v.temporary_session_only,
    "temporary_session_timeout": lambda v: v.shared_ipad and v.temporary_session_only,
    "device_name_template": lambda v: v.apply_device_name_template,
    "carrier_activation_url": lambda v: v.cellular_data_plan,
}


def _applies(name: str, values: ProfileValues) -> bool:
    condition = _APPLIES_WHEN.get(name)
    return condition is None or bool(condition(values))


def initial_from(values: ProfileValues) -> dict[str, Any]:
    """Form initial data from profile values (booleans become Yes/No)."""
    initial: dict[str, Any] = {}
    for name in ProfileValues.__dataclass_fields__:
        value = getattr(values, name)
        if isinstance(value, bool):
            initial[name] = "yes" if value else "no"
        elif name == "hidden_screens":
            for screen in SCREENS:
                initial[f"screen_{screen.key}"] = "hide" if screen.key in value else "show"
        else:
            initial[name] = value
    return initial


class RulesEditionForm(forms.Form):
    rules_edition = forms.ChoiceField(
        label=_("Profile rules"), choices=RulesEdition.choices, widget=forms.RadioSelect
    )


class DefaultProfileForm(forms.Form):
    profile: forms.ModelChoiceField[EnrollmentProfile] = forms.ModelChoiceField(
        label=_("Default profile"),
        queryset=EnrollmentProfile.objects.none(),
        empty_label=_("Select a profile"),
    )

    def __init__(self, *args: Any, profiles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = profiles  # type: ignore[attr-defined]

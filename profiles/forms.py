from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from asm_portal.tenancy import current_tenant
from profiles.apple_limits import max_length
from profiles.choices import GRACE_PERIODS, Affinity, AuthMethod, Pairing, RulesEdition
from profiles.models import ConfiguratorCertificate, EnrollmentProfile, VppToken
from profiles.rules import ProfileValues
from profiles.screens import SCREENS

YES_NO = (("yes", _("Yes")), ("no", _("No")))
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
        data = self.cleaned_data
        return ProfileValues(
            name=data["name"].strip(),
            description=data["description"],
            user_affinity=data["user_affinity"],
            authentication_method=data["authentication_method"] or "",
            install_company_portal=data["install_company_portal"],
            vpp_token=str(data["vpp_token"].pk) if data["vpp_token"] else "",
            single_app_mode=data["single_app_mode"],
            supervised=data["supervised"],
            locked_enrollment=data["locked_enrollment"],
            shared_ipad=data["shared_ipad"],
            max_cached_users=data["max_cached_users"],
            passcode_grace_seconds=data["passcode_grace_seconds"],
            user_session_timeout=data["user_session_timeout"],
            temporary_session_only=data["temporary_session_only"],
            temporary_session_timeout=data["temporary_session_timeout"],
            pairing=data["pairing"],
            await_final_configuration=data["await_final_configuration"],
            apply_device_name_template=data["apply_device_name_template"],
            device_name_template=data["device_name_template"],
            cellular_data_plan=data["cellular_data_plan"],
            carrier_activation_url=data["carrier_activation_url"].strip(),
            department=data["department"].strip(),
            department_phone=data["department_phone"].strip(),
            hidden_screens=frozenset(
                screen.key for screen in SCREENS if data[f"screen_{screen.key}"] == "hide"
            ),
        )

    def screen_fields(self) -> list[forms.BoundField]:
        return [self[f"screen_{screen.key}"] for screen in SCREENS]


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

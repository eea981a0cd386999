from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from graph.models import DEVICES_PRIVILEGED_ROLE, DEVICES_READ_ROLE, DEVICES_READ_WRITE_ROLE, Permission
from graph.registrations import DEFAULT_SECRET_DAYS, DISPLAY_NAME_MAX, SECRET_LIFETIMES

PERMISSION_CHOICES = [
    (Permission.READ, _("DeviceManagementServiceConfig.Read.All (read the enrollment program)")),
    (
        Permission.READ_WRITE,
        _("DeviceManagementServiceConfig.ReadWrite.All (read and change the enrollment program)"),
    ),
]

DEVICE_PERMISSION_CHOICES = [
    (DEVICES_READ_ROLE, _("DeviceManagementManagedDevices.Read.All (read the managed devices)")),
    (
        DEVICES_READ_WRITE_ROLE,
        _("DeviceManagementManagedDevices.ReadWrite.All (read, delete, wipe and retire managed devices)"),
    ),
    (
        DEVICES_PRIVILEGED_ROLE,
        _("DeviceManagementManagedDevices.PrivilegedOperations.All (run remote actions on managed devices)"),
    ),
]


class AppRegisterForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=DISPLAY_NAME_MAX)
    permission = forms.ChoiceField(
        label=_("API permission"),
        choices=PERMISSION_CHOICES,
        widget=forms.RadioSelect,
        initial=Permission.READ_WRITE,
    )
    device_permissions = forms.MultipleChoiceField(
        label=_("Managed devices (Intune)"),
        choices=DEVICE_PERMISSION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class SecretAddForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=120, required=False)
    days = forms.TypedChoiceField(
        label=_("Expires"),
        choices=list(SECRET_LIFETIMES.items()),
        coerce=int,
        initial=DEFAULT_SECRET_DAYS,
    )


class CertificateUploadForm(forms.Form):
    certificate = forms.FileField(label=_("Certificate (public key)"))

    def clean_certificate(self) -> bytes:
        upload = self.cleaned_data["certificate"]
        if upload.size > settings.ASM_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        data: bytes = upload.read()
        return data

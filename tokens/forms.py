from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

APPLE_ID_ERRORS = {
    "required": _("Enter the Apple ID used to create the token."),
    "invalid": _("The Apple ID must be an email address, such as admin@appleid.school.edu."),
}


def _limited(upload: UploadedFile | None) -> UploadedFile | None:
    """Refuse a file over ASM_MAX_UPLOAD_BYTES before anything reads it."""
    limit = settings.ASM_MAX_UPLOAD_BYTES
    if upload is not None and (upload.size or 0) > limit:
        raise forms.ValidationError(
            _("The file is too large (%(size)s). The largest file accepted is %(limit)s."),
            code="too_large",
            params={"size": filesizeformat(upload.size or 0), "limit": filesizeformat(limit)},
        )
    return upload


class ConsentForm(forms.Form):
    """Step 1 of both flows: "I agree", then the download (CSR or public key)."""

    consent = forms.BooleanField(
        error_messages={
            "required": _(
                "Select “I agree” to grant Microsoft permission to send user and device information to "
                "Apple; the download needs it."
            )
        }
    )


class PushCertificateUploadForm(forms.Form):
    apple_id = forms.EmailField(
        max_length=254,
        error_messages={
            "required": _("Enter the Apple ID used to create the Apple MDM Push certificate."),
            "invalid": APPLE_ID_ERRORS["invalid"],
        },
    )
    certificate = forms.FileField(
        error_messages={"required": _("Choose the Apple MDM Push certificate (.pem) to upload.")}
    )

    def clean_certificate(self) -> UploadedFile | None:
        return _limited(self.cleaned_data.get("certificate"))


class TokenUploadForm(forms.Form):
    apple_id = forms.EmailField(max_length=254, error_messages=APPLE_ID_ERRORS)
    token = forms.FileField(error_messages={"required": _("Choose the Apple token file (.p7m) to upload.")})

    def clean_token(self) -> UploadedFile | None:
        return _limited(self.cleaned_data.get("token"))

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mock_apple.roster import managed_apple_ids


class ManagedIdFormatForm(forms.Form):
    NEW = "new"
    ALL = "all"

    managed_apple_id_format = forms.CharField(
        label=_("Managed Apple Account format"),
        max_length=200,
        help_text=_(
            "Fields: {first}, {middle}, {last}, {first_initial}, {middle_initial}, {last_initial}, "
            "{person_id}, {person_number}, {sis_username}, {email}; {domain} is your organisation’s "
            "domain. A number is added when an account is taken."
        ),
    )
    apply_to = forms.ChoiceField(
        label=_("Apply to"),
        choices=[
            (NEW, _("New users only")),
            (ALL, _("New and existing users (they are not told)")),
        ],
        widget=forms.RadioSelect,
        initial=NEW,
    )

    def clean_managed_apple_id_format(self) -> str:
        value: str = self.cleaned_data["managed_apple_id_format"]
        try:
            return managed_apple_ids.managed_apple_id_format_check(value)
        except ValidationError as error:
            raise ValidationError(error.messages) from None

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# The demo clock's buttons: how far each moves the clock forward, in seconds.
CLOCK_STEPS = {
    "1h": 3600,
    "1d": 86_400,
    "8d": 8 * 86_400,
    "30d": 30 * 86_400,
}


class ClockMoveForm(forms.Form):
    """A button (step) or a custom move forward in days and hours."""

    step = forms.ChoiceField(choices=[(key, key) for key in (*CLOCK_STEPS, "custom")])
    days = forms.IntegerField(label=_("Days"), min_value=0, max_value=3650, required=False)
    hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=23, required=False)

    def seconds(self) -> int:
        step = self.cleaned_data["step"]
        if step in CLOCK_STEPS:
            return CLOCK_STEPS[step]
        return (self.cleaned_data.get("days") or 0) * 86_400 + (self.cleaned_data.get("hours") or 0) * 3600

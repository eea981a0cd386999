from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from trainer.models import MAX_TRAINEES
from trainer.presets import presets

# The demo clock's buttons: how far each moves the clock forward, in seconds.
CLOCK_STEPS = {
    "15m": 900,  # the Sync window after a request that failed (a fault drill's aftermath)
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


class ClassroomForm(forms.Form):
    """A new class: its name, how many trainees, the preset they start from, the language."""

    name = forms.CharField(label=_("Class name"), max_length=100)
    trainees = forms.IntegerField(
        label=_("Trainees"), min_value=1, max_value=MAX_TRAINEES, initial=12, help_text=_("From 1 to 60.")
    )
    preset = forms.ChoiceField(label=_("Each trainee starts from"))
    language = forms.ChoiceField(label=_("Language of the class"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [(preset.key, preset.name) for preset in presets()]  # type: ignore[attr-defined]
        self.fields["preset"].initial = "token-ready"


class TraineeResetForm(forms.Form):
    preset = forms.ChoiceField(label=_("Preset"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [(preset.key, preset.name) for preset in presets()]  # type: ignore[attr-defined]

from django import forms

from core.forms import GovukForm
from notifications.catalogue import FOR_ROLE, OPTIONAL, REQUIRED
from notifications.models import Preference


class PreferenceForm(GovukForm):
    """Which optional kinds of message a person gets, and whether at once or in a weekly digest."""

    wanted = forms.MultipleChoiceField(
        label="Messages you choose to get", required=False, widget=forms.CheckboxSelectMultiple
    )
    frequency = forms.ChoiceField(
        label="How often",
        choices=Preference.Frequency.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to get each message at once or a weekly digest"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = FOR_ROLE.get(user.role, ())
        self.optional = [kind for kind in kinds if kind in OPTIONAL]
        self.required = [kind for kind in kinds if kind in REQUIRED]
        self.fields["wanted"].choices = [(kind.value, kind.label) for kind in self.optional]

    def switched_off(self) -> list[str]:
        wanted = set(self.cleaned_data["wanted"])
        return [kind.value for kind in self.optional if kind.value not in wanted]

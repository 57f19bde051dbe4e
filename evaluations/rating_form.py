"""The form on which a programme officer, or a reviewer named on the evaluation, rates
the strength of its evidence (never one of its own evaluators: evaluations.services.rate_evaluation)."""

from django import forms

from core.forms import GovukForm
from evaluations.models import EvidenceRating


class _ScaleRadioSelect(forms.RadioSelect):
    """Radios whose group is labelled by the id of its first radio, so the error
    summary links to it, as GOV.UK pages do."""

    def id_for_label(self, id_, index=None):
        return id_ if index is None else super().id_for_label(id_, index)


RATING_CHOICES = [
    (scale.label, [(f"{scale.value}:{value}", label) for value, label in EvidenceRating.VALUES[scale]])
    for scale in EvidenceRating.Scale
]


class EvidenceRatingForm(GovukForm):
    """One rating on one scale. Every scale's values are radios in one form, grouped
    by scale, so it works without JavaScript."""

    rating = forms.ChoiceField(
        choices=RATING_CHOICES,
        widget=_ScaleRadioSelect,
        label="Rating",
        error_messages={
            "required": "Choose a rating on one of the scales",
            "invalid_choice": "Choose a rating on one of the scales",
        },
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        label="Why does the evidence get this rating?",
        help_text="For example, the design of the study, how many children it covered and what it could not rule out.",
        error_messages={
            "required": "Explain why the evidence gets this rating",
            "max_length": "The explanation must be 5,000 characters or fewer",
        },
    )

    def clean_rating(self):
        scale, value = self.cleaned_data["rating"].split(":", 1)
        return scale, value

    def scale_groups(self):
        """The radios of each scale, with GOV.UK ids: the first is the field's id."""
        field = self["rating"]
        chosen = field.value()
        base = field.auto_id
        groups, number = [], 0
        for legend, options in RATING_CHOICES:
            items = []
            for value, label in options:
                number += 1
                items.append(
                    {
                        "value": value,
                        "label": label,
                        "id": base if number == 1 else f"{base}-{number}",
                        "checked": value == chosen,
                    }
                )
            groups.append({"legend": legend, "options": items})
        return groups

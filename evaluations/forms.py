"""Forms for recording evidence: outcome results, evaluation reports and
evidence ratings. Every message says what to do next, in the words of the page."""

from decimal import Decimal

from django import forms

from evaluations.models import EvaluationReport, EvidenceRating, OutcomeMeasure, OutcomeResult
from grants.models import Organisation
from ui.forms import GovukForm, GovukModelForm
from ui.uploads import ALLOWED_DESCRIPTION, check_upload

DATE_HINT = "For example, 31/03/2015"


def _lower_first(label: str) -> str:
    return label[0].lower() + label[1:]


def number_field(label, *, required=False, min_value=None, max_value=None, max_digits=14, decimal_places=4,
                 help_text="", noun=None):
    """A decimal typed into a text box (GOV.UK advises against type=number), with plain-English errors."""
    noun = noun or _lower_first(label)
    limits = {
        "required": f"Enter the {noun}",
        "invalid": f"The {noun} must be a number, like 23.5",
        "max_digits": f"The {noun} must have no more than {max_digits} digits",
        "max_decimal_places": f"The {noun} must have no more than {decimal_places} decimal places",
        "max_whole_digits": f"The {noun} must have no more than {max_digits - decimal_places} digits before the decimal point",
    }
    if min_value is not None and max_value is not None:
        limits["min_value"] = limits["max_value"] = f"The {noun} must be between {min_value} and {max_value}"
    elif min_value is not None:
        limits["min_value"] = f"The {noun} must be {min_value} or more"
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=min_value,
        max_value=max_value,
        max_digits=max_digits,
        decimal_places=decimal_places,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false", "class": "govuk-input--width-10"}),
        error_messages=limits,
    )


def date_field(label, *, required=False, noun=None):
    noun = noun or _lower_first(label)
    return forms.DateField(
        label=label,
        required=required,
        help_text=DATE_HINT,
        widget=forms.DateInput(),
        error_messages={
            "required": f"Enter the {noun}",
            "invalid": f"The {noun} must be a real date, like 31/03/2015",
        },
    )


def plain_number(value: Decimal | None) -> str:
    """20.0000 as 20 and 20.5000 as 20.5: the figure as a person would write it."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class MeasureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_unit_display()})"


class OutcomeResultForm(GovukModelForm):
    """One result of an evaluation: a measure, optionally for one authority, at
    baseline and follow-up, with its effect and where the figure comes from.

    The instance must already carry its evaluation: the source report is one of
    its reports, and a second result for the same measure and authority is refused."""

    measure = MeasureChoiceField(
        queryset=OutcomeMeasure.objects.all(),
        label="Outcome measure",
        empty_label="Choose a measure",
        error_messages={"required": "Choose the outcome measure", "invalid_choice": "Choose an outcome measure from the list"},
    )
    authority = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY),
        required=False,
        label="Local authority (optional)",
        empty_label="All authorities in the evaluation",
        help_text="Choose an authority only if this figure is for that one authority.",
        error_messages={"invalid_choice": "Choose a local authority from the list"},
    )
    baseline_value = number_field("Baseline value", required=True, min_value=0)
    baseline_period_start = date_field("Baseline period start", required=True, noun="date the baseline period starts")
    baseline_period_end = date_field("Baseline period end", required=True, noun="date the baseline period ends")
    target_value = number_field("Target (optional)", min_value=0, noun="target")
    followup_value = number_field("Follow-up value (optional)", min_value=0, noun="follow-up value")
    followup_period_start = date_field("Follow-up period start (optional)", noun="date the follow-up period starts")
    followup_period_end = date_field("Follow-up period end (optional)", noun="date the follow-up period ends")
    comparison_value = number_field(
        "Comparison group value at follow-up (optional)", min_value=0, noun="comparison group value"
    )
    effect_size = number_field("Effect size (optional)", noun="effect size")
    ci_lower = number_field(
        "Lower bound of the 95% confidence interval (optional)", noun="lower bound of the confidence interval"
    )
    ci_upper = number_field(
        "Upper bound of the 95% confidence interval (optional)", noun="upper bound of the confidence interval"
    )
    p_value = number_field(
        "p-value (optional)", min_value=0, max_value=1, max_digits=6, decimal_places=5, noun="p-value",
        help_text="Between 0 and 1, for example 0.03",
    )
    significance = forms.ChoiceField(
        choices=OutcomeResult.Significance.choices,
        label="Statistical significance",
        initial=OutcomeResult.Significance.NOT_TESTED,
        error_messages={
            "required": "Choose whether the result is statistically significant",
            "invalid_choice": "Choose whether the result is statistically significant",
        },
    )
    source_report = forms.ModelChoiceField(
        queryset=EvaluationReport.objects.none(),
        required=False,
        label="Report the figure comes from (optional)",
        empty_label="Not from a report yet",
        error_messages={"invalid_choice": "Choose one of this evaluation's reports"},
    )
    source_location = forms.CharField(
        max_length=200,
        required=False,
        label="Where in the report (optional)",
        help_text="For example, table 4.2 or page 31",
        error_messages={"max_length": "Where in the report must be 200 characters or fewer"},
    )

    FIELDSETS = (
        ("What was measured", ("measure", "authority")),
        ("Baseline", ("baseline_value", "baseline_period_start", "baseline_period_end", "target_value")),
        ("Follow-up", ("followup_value", "followup_period_start", "followup_period_end", "comparison_value")),
        ("Effect", ("effect_size", "ci_lower", "ci_upper", "p_value", "significance")),
        ("Source", ("source_report", "source_location")),
    )
    PERCENT_FIELDS = {
        "baseline_value": "baseline value",
        "target_value": "target",
        "followup_value": "follow-up value",
        "comparison_value": "comparison group value",
    }
    NUMBER_FIELDS = (*PERCENT_FIELDS, "effect_size", "ci_lower", "ci_upper", "p_value")

    class Meta:
        model = OutcomeResult
        fields = (
            "measure", "authority", "baseline_value", "baseline_period_start", "baseline_period_end", "target_value",
            "followup_value", "followup_period_start", "followup_period_end", "comparison_value", "effect_size",
            "ci_lower", "ci_upper", "p_value", "significance", "source_report", "source_location",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_report"].queryset = EvaluationReport.objects.filter(evaluation=self.instance.evaluation_id)
        if self.instance.pk:
            # Show 20 rather than the stored 20.0000.
            for name in self.NUMBER_FIELDS:
                if self.initial.get(name) is not None:
                    self.initial[name] = plain_number(self.initial[name])

    def fieldsets(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def _given(self, name):
        return self.cleaned_data.get(name) is not None

    def _failed(self, name):
        return name in self._errors

    def clean(self):
        data = super().clean()
        self._check_periods(data)
        self._check_confidence_interval(data)
        self._check_percentages(data)
        self._check_not_recorded_already(data)
        return data

    def _check_periods(self, data):
        start, end = data.get("baseline_period_start"), data.get("baseline_period_end")
        if start and end and start > end:
            self.add_error("baseline_period_end", "The baseline period must end on or after the day it starts")
        f_start, f_end = data.get("followup_period_start"), data.get("followup_period_end")
        if not self._failed("followup_period_start") and not self._failed("followup_period_end"):
            if f_start and not f_end:
                self.add_error("followup_period_end", "Enter the date the follow-up period ends, or leave both dates empty")
            elif f_end and not f_start:
                self.add_error("followup_period_start", "Enter the date the follow-up period starts, or leave both dates empty")
            elif self._given("followup_value") and not f_start:
                self.add_error("followup_period_start", "Enter the follow-up period the follow-up value is for")
        if f_start and f_end and f_start > f_end:
            self.add_error("followup_period_end", "The follow-up period must end on or after the day it starts")
        if f_start and end and f_start <= end:
            self.add_error(
                "followup_period_start",
                f"The follow-up period must start after the baseline period ends ({end:%d/%m/%Y})",
            )

    def _check_confidence_interval(self, data):
        if any(self._failed(name) for name in ("effect_size", "ci_lower", "ci_upper")):
            return
        effect, lower, upper = data.get("effect_size"), data.get("ci_lower"), data.get("ci_upper")
        if (lower is None) != (upper is None):
            missing = "ci_upper" if upper is None else "ci_lower"
            self.add_error(missing, "Enter both bounds of the confidence interval, or neither")
            return
        if lower is None:
            return
        if effect is None:
            self.add_error("effect_size", "Enter the effect size the confidence interval is for")
            return
        if lower > effect:
            self.add_error(
                "ci_lower",
                f"The confidence interval must contain the effect size: the lower bound must be {plain_number(effect)} or less",
            )
        if upper < effect:
            self.add_error(
                "ci_upper",
                f"The confidence interval must contain the effect size: the upper bound must be {plain_number(effect)} or more",
            )

    def _check_percentages(self, data):
        measure = data.get("measure")
        if measure is None or measure.unit != OutcomeMeasure.Unit.PERCENT:
            return
        for name, noun in self.PERCENT_FIELDS.items():
            value = data.get(name)
            if value is not None and value > 100:
                self.add_error(name, f"The {noun} is a percentage, so it must be between 0 and 100")

    def _check_not_recorded_already(self, data):
        measure = data.get("measure")
        if measure is None or self._failed("authority"):
            return
        authority = data.get("authority")
        others = OutcomeResult.objects.filter(evaluation=self.instance.evaluation_id, measure=measure, authority=authority)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            where = f"for {authority}" if authority else "across all its authorities"
            self.add_error(
                "measure",
                f"This evaluation already has a result for {measure.name} {where}: change that result instead",
            )


class ReportUploadForm(GovukForm):
    """A report file, checked by its content before anything is stored
    (evaluations.services.add_report checks it again and stores it)."""

    title = forms.CharField(
        max_length=200,
        label="Title of the report",
        error_messages={
            "required": "Enter the title of the report",
            "max_length": "The title must be 200 characters or fewer",
        },
    )
    kind = forms.ChoiceField(
        choices=[("", "Choose the kind of report"), *EvaluationReport.Kind.choices],
        label="Kind of report",
        error_messages={"required": "Choose the kind of report", "invalid_choice": "Choose the kind of report"},
    )
    published_on = date_field("Date published (optional)", noun="date the report was published")
    file = forms.FileField(
        label="Report file",
        help_text=f"Upload {ALLOWED_DESCRIPTION}.",
        widget=forms.FileInput,
        error_messages={
            "required": "Choose the report file to upload",
            "empty": "The selected file is empty",
            "invalid": "Choose the report file to upload",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload(upload)
        return upload


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
                items.append({
                    "value": value,
                    "label": label,
                    "id": base if number == 1 else f"{base}-{number}",
                    "checked": value == chosen,
                })
            groups.append({"legend": legend, "options": items})
        return groups

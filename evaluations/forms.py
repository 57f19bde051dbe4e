"""Forms for recording evidence: outcome results and evaluation reports; the
catalogue of measures; setting up an evaluation. Every message says what to do
next, in the words of the page. The rating form is evaluations/rating_form.py."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models.functions import Upper

from accounts.models import Role, User
from core.fields import TODAY, DateField, NumberField
from core.forms import GovukForm, GovukModelForm
from core.uploads import ALLOWED_DESCRIPTION, check_upload
from evaluations.models import (
    PERCENT_FIGURES,
    Evaluation,
    EvaluationReport,
    OutcomeArea,
    OutcomeMeasure,
    OutcomeResult,
    plain,
)
from grants.models import Organisation
from grants.organisations import organisation_typed
from projects.forms import CHECKBOXES, RADIOS, GovukCheckboxSelectMultiple, GovukRadioSelect
from projects.models import Project

plain_number = plain  # 20.0000 as 20 and 20.5000 as 20.5: the figure as a person would write it


class MeasureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_unit_display()})"


class OutcomeResultForm(GovukModelForm):
    """One result of an evaluation: a measure, optionally for one organisation taking
    part in the project or for a named comparison group, at baseline and follow-up,
    with its effect and where the figure comes from.

    The instance must already carry its evaluation: the source report is one of
    its reports, the organisation one of its projects' (OutcomeResult.clean), and a
    second result for the same measure and organisation is refused."""

    measure = MeasureChoiceField(
        queryset=OutcomeMeasure.objects.all(),
        label="Outcome measure",
        empty_label="Choose a measure",
        error_messages={
            "required": "Choose the outcome measure",
            "invalid_choice": "Choose an outcome measure from the list",
        },
    )
    # Any organisation's key is accepted (a form posted by a script, an API client), so that one
    # outside the project gets the model's own message naming it and the project. Only those taking
    # part are offered: a programme has over a thousand organisations, too many to render (issue 17).
    authority = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("name"),
        required=False,
        label="Authority or organisation (optional)",
        empty_label="All authorities in the evaluation",
        help_text="Only if this figure is for one organisation: the project's lead or one of its partners.",
        error_messages={"invalid_choice": "Choose an organisation from the list"},
    )
    other_authority = forms.CharField(
        max_length=200,
        required=False,
        label="Or another organisation, for a comparison group (optional)",
        help_text="Its name or org-id, for example GB-LAE-HRT",
        error_messages={"max_length": "The organisation’s name or org-id must be 200 characters or fewer"},
    )
    comparison_group = forms.CharField(
        max_length=200,
        required=False,
        label="Comparison group (optional)",
        help_text="Only if these are a comparison group's figures, not the project's: name the group, for example "
        "Statistical neighbours of Hertfordshire.",
        error_messages={"max_length": "The name of the comparison group must be 200 characters or fewer"},
    )
    baseline_value = NumberField(label="Baseline value", noun="the baseline value", min_value=0)
    baseline_period_start = DateField(label="Baseline period start", noun="the date the baseline period starts")
    baseline_period_end = DateField(label="Baseline period end", noun="the date the baseline period ends")
    target_value = NumberField(label="Target (optional)", noun="the target", min_value=0, required=False)
    followup_value = NumberField(
        label="Follow-up value (optional)", noun="the follow-up value", min_value=0, required=False
    )
    followup_period_start = DateField(
        label="Follow-up period start (optional)", noun="the date the follow-up period starts", required=False
    )
    followup_period_end = DateField(
        label="Follow-up period end (optional)", noun="the date the follow-up period ends", required=False
    )
    comparison_value = NumberField(
        label="Comparison group value at follow-up (optional)",
        noun="the comparison group value",
        min_value=0,
        required=False,
    )
    effect_size = NumberField(label="Effect size (optional)", noun="the effect size", required=False)
    ci_lower = NumberField(
        label="Lower bound of the 95% confidence interval (optional)",
        noun="the lower bound of the confidence interval",
        required=False,
    )
    ci_upper = NumberField(
        label="Upper bound of the 95% confidence interval (optional)",
        noun="the upper bound of the confidence interval",
        required=False,
    )
    p_value = NumberField(
        label="p-value (optional)",
        noun="the p-value",
        min_value=0,
        max_value=1,
        max_digits=6,
        places=5,
        required=False,
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
        ("What was measured", ("measure", "authority", "other_authority", "comparison_group")),
        ("Baseline", ("baseline_value", "baseline_period_start", "baseline_period_end", "target_value")),
        ("Follow-up", ("followup_value", "followup_period_start", "followup_period_end", "comparison_value")),
        ("Effect", ("effect_size", "ci_lower", "ci_upper", "p_value", "significance")),
        ("Source", ("source_report", "source_location")),
    )
    NUMBER_FIELDS = (*PERCENT_FIGURES, "effect_size", "ci_lower", "ci_upper", "p_value")

    class Meta:
        model = OutcomeResult
        fields = (
            "measure",
            "authority",
            "comparison_group",
            "baseline_value",
            "baseline_period_start",
            "baseline_period_end",
            "target_value",
            "followup_value",
            "followup_period_start",
            "followup_period_end",
            "comparison_value",
            "effect_size",
            "ci_lower",
            "ci_upper",
            "p_value",
            "significance",
            "source_report",
            "source_location",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_report"].queryset = EvaluationReport.objects.filter(evaluation=self.instance.evaluation_id)
        self._offer_organisations()
        if self.instance.pk:
            # Show 20 rather than the stored 20.0000.
            for name in self.NUMBER_FIELDS:
                if self.initial.get(name) is not None:
                    self.initial[name] = plain_number(self.initial[name])

    def _offer_organisations(self):
        """The organisations taking part, and the one chosen (stored or posted) if it does not: as many
        options as the evaluation's projects have organisations, however many the programme has."""
        field = self.fields["authority"]
        try:
            chosen = field.to_python(self["authority"].value())
        except ValidationError:
            chosen = None  # refused again, with its message, when the form is cleaned
        offered = self.instance.evaluation.organisations_taking_part()
        if chosen is not None:
            offered.add(chosen.pk)
        names = Organisation.objects.filter(pk__in=offered).order_by("name").values_list("pk", "name")
        field.widget.choices = [("", field.empty_label), *names]

    _typed_authority = None  # the organisation typed rather than chosen, once the form is cleaned

    def clean_other_authority(self):
        return organisation_typed(self.cleaned_data["other_authority"])

    def fieldsets(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def clean(self):
        data = super().clean()
        measure = data.get("measure")
        if measure is not None:
            # The figures are typed in the unit the form names beside the measure. Every
            # other rule on them is the model's (OutcomeResult.clean), shared with imports.
            self.instance.unit = measure.unit
        typed = data.get("other_authority")
        if typed is not None:
            if data.get("authority") is not None:
                self.add_error("other_authority", "Choose an organisation from the list or type another, not both")
            else:
                data["authority"] = self._typed_authority = typed
        self._check_not_recorded_already(data)
        return data

    def add_error(self, field, error):
        # A refusal of the organisation typed (OutcomeResult.clean's: it does not take part) is shown
        # beside the box it was typed in, not beside the select, which was left empty.
        if self._typed_authority is not None:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                error = error.error_dict
            if field == "authority":
                field = "other_authority"
            elif isinstance(error, dict) and "authority" in error:
                error = {("other_authority" if name == "authority" else name): errs for name, errs in error.items()}
        super().add_error(field, error)

    def _check_not_recorded_already(self, data):
        measure = data.get("measure")
        if measure is None or {"authority", "other_authority", "comparison_group"} & set(self._errors):
            return
        authority, group = data.get("authority"), data.get("comparison_group", "").strip()
        others = OutcomeResult.objects.filter(
            evaluation=self.instance.evaluation_id, measure=measure, authority=authority, comparison_group=group
        )
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            if group:
                where = f"for the comparison group {group}" + (f" ({authority})" if authority else "")
            else:
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
    published_on = DateField(
        label="Date published (optional)", noun="the date the report was published", required=False, latest=TODAY
    )
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


def _text(label, *, max_length, required=True, required_message="", textarea=False, help_text="", **messages):
    short = label.removesuffix(" (optional)")
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 4}) if textarea else forms.TextInput,
        error_messages={
            "required": required_message,
            "max_length": f"{short} must be {max_length:,} characters or fewer",
            **messages,
        },
    )


class OutcomeMeasureForm(GovukModelForm):
    """A measure in the catalogue. Once results use it, its unit and direction stay:
    changing either would silently change what those results say."""

    name = _text(
        "Name",
        max_length=200,
        required_message="Enter the name of the measure",
        help_text="For example, Children on child protection plans per 10,000",
        unique="The catalogue already has a measure with this name",
    )
    outcome_area = forms.ModelChoiceField(
        queryset=OutcomeArea.objects.all(),
        label="Outcome area",
        empty_label="Choose an outcome area",
        error_messages={
            "required": "Choose the outcome area",
            "invalid_choice": "Choose an outcome area from the list",
        },
    )
    unit = forms.ChoiceField(
        choices=OutcomeMeasure.Unit.choices,
        label="Unit",
        widget=GovukRadioSelect,
        template_name=RADIOS,
        error_messages={"required": "Choose the unit", "invalid_choice": "Choose the unit"},
    )
    direction = forms.ChoiceField(
        choices=OutcomeMeasure.Direction.choices,
        label="Which way is better?",
        widget=GovukRadioSelect,
        template_name=RADIOS,
        error_messages={
            "required": "Choose whether lower or higher is better",
            "invalid_choice": "Choose whether lower or higher is better",
        },
    )
    is_count = forms.BooleanField(
        required=False, label="It counts children, families or cases (so a cost per outcome can be worked out)"
    )
    description = _text(
        "Description (optional)",
        max_length=2000,
        required=False,
        textarea=True,
        help_text="What is counted, and over which population",
    )

    class Meta:
        model = OutcomeMeasure
        fields = ("name", "outcome_area", "unit", "direction", "is_count", "description")

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            used = self.instance.results.count()
            for name, noun in (("unit", "unit"), ("direction", "direction")):
                if name in data and data[name] != getattr(self.instance, name) and used:
                    self.add_error(
                        name,
                        f"{used} result{'s' if used != 1 else ''} already use{'s' if used == 1 else ''} this measure, so "
                        f"its {noun} cannot change: add a new measure instead",
                    )
        return data


class _EvaluationFields(GovukModelForm):
    field_order = (
        "title",
        "projects",
        "evaluator_organisation",
        "evaluators",
        "reviewers",
        "design",
        "status",
        "status_reason",
    )

    title = _text("Title", max_length=200, required_message="Enter the title of the evaluation")
    design = forms.ChoiceField(
        choices=Evaluation.Design.choices,
        label="Design",
        widget=GovukRadioSelect,
        template_name=RADIOS,
        help_text="A before-and-after study with no comparison group cannot tell what would have happened anyway",
        error_messages={
            "required": "Choose the design of the evaluation",
            "invalid_choice": "Choose the design of the evaluation",
        },
    )
    # Not saved with the form: a new evaluation starts in it, and a change moves it by
    # Evaluation.set_status, which refuses an illegal move and keeps the history.
    status = forms.ChoiceField(
        choices=Evaluation.Status.choices,
        label="Status",
        widget=GovukRadioSelect,
        template_name=RADIOS,
        error_messages={
            "required": "Choose the status of the evaluation",
            "invalid_choice": "Choose the status of the evaluation",
        },
    )
    status_reason = _text(
        "Reason for changing the status (optional)",
        max_length=2000,
        required=False,
        textarea=True,
        help_text="Kept in the status history. Needed to reopen an evaluation whose final report is published.",
    )
    summary = _text(
        "Summary (optional)",
        max_length=5000,
        required=False,
        textarea=True,
        help_text="What the evaluation asks and how it answers",
    )
    start_date = DateField(label="Start date (optional)", noun="the start date", required=False)
    end_date = DateField(label="End date (optional)", noun="the end date", required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        evaluation = self.instance
        if evaluation.pk is None:
            del self.fields["status_reason"]
            return
        # Any status is accepted, so an illegal move gets set_status's own message; only
        # the current one and those it may move to are offered.
        self.initial["status"] = evaluation.status
        offered = (evaluation.status, *evaluation.allowed_statuses_for(user))
        self.fields["status"].widget.choices = [
            (value, label) for value, label in Evaluation.Status.choices if value in offered
        ]

    @property
    def status_changed(self) -> bool:
        return self.instance.pk is not None and self.cleaned_data["status"] != self.instance.status

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and start > end:
            self.add_error("end_date", "The end date must be on or after the start date")
        return data


class EvaluatorEvaluationForm(_EvaluationFields):
    """What an assigned evaluator changes: not who is assigned or what is evaluated."""

    class Meta:
        model = Evaluation
        fields = ("title", "design", "summary", "start_date", "end_date")


def _evaluator_people(*, label: str, help_text: str) -> forms.ModelMultipleChoiceField:
    """Evaluators to tick, for those who carry out an evaluation and those who rate its evidence."""
    return forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(role=Role.EVALUATOR)
        .select_related("organisation")
        .order_by("last_name", "first_name"),
        required=False,
        label=label,
        help_text=help_text,
        widget=GovukCheckboxSelectMultiple,
        template_name=CHECKBOXES,
        error_messages={
            "invalid_choice": "Choose people from the list",
            "invalid_pk_value": "Choose people from the list",
        },
    )


class ProjectReferencesField(forms.CharField):
    """Projects named by their references, each on its own line or separated by commas, in any case: a
    programme has a thousand projects, too many to offer as checkboxes (the form took a tenth of a second
    to put together, and no one could find one among them), and an officer setting up an evaluation knows
    the few it evaluates. Cleans to the projects, in the order given, each once."""

    def __init__(self, *, queryset, **kwargs):
        self.queryset = queryset
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):  # the projects an evaluation has, or their keys
            projects = [project for project in value if isinstance(project, Project)]
            keys = [key for key in value if not isinstance(key, Project)]
            projects += list(self.queryset.filter(pk__in=keys))
            return "\n".join(project.reference for project in projects)
        return value

    def clean(self, value):
        text = super().clean(value)
        references = list(dict.fromkeys(part.upper() for part in re.split(r"[\s,]+", text) if part))
        if not references:
            raise ValidationError(self.error_messages["required"], code="required")
        found = {
            project.upper_reference: project
            for project in self.queryset.annotate(upper_reference=Upper("reference")).filter(
                upper_reference__in=references
            )
        }
        unknown = [reference for reference in references if reference not in found]
        if unknown:
            named = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
            raise ValidationError(
                f"No project has the reference {named}: copy each reference from its project’s page",
                code="invalid_choice",
            )
        return [found[reference] for reference in references]


class EvaluationForm(_EvaluationFields):
    """An officer sets up an evaluation: what it evaluates and who does it."""

    projects = ProjectReferencesField(
        queryset=Project.objects.all(),
        label="Projects evaluated",
        help_text="Each project’s reference, on its own line or separated by commas, for example CSCIP-R1-RSW. "
        "A project’s reference is on its page and in the list of projects.",
        max_length=5000,
        error_messages={
            "required": "Enter the reference of at least one project",
            "max_length": "Enter at most 5,000 characters of project references",
        },
    )
    evaluator_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("name"),
        label="Evaluator organisation",
        empty_label="Choose an organisation",
        error_messages={
            "required": "Choose the organisation that evaluates",
            "invalid_choice": "Choose an organisation from the list",
        },
    )
    evaluators = _evaluator_people(
        label="People assigned (optional)",
        help_text="Evaluators of the evaluator organisation. Only they, and programme officers, can change it.",
    )
    reviewers = _evaluator_people(
        label="Reviewers who rate the evidence (optional)",
        help_text="Evaluators who are not assigned to it. They see the evaluation and rate the strength of its "
        "evidence, but cannot change it. A programme officer can rate it too.",
    )

    class Meta:
        model = Evaluation
        fields = (
            "title",
            "projects",
            "evaluator_organisation",
            "evaluators",
            "reviewers",
            "design",
            "summary",
            "start_date",
            "end_date",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("evaluators", "reviewers"):
            self.fields[name].label_from_instance = lambda user: (
                f"{user.get_full_name() or user.username} "
                f"({user.organisation.name if user.organisation else 'no organisation'})"
            )

    def clean(self):
        data = super().clean()
        organisation, people = data.get("evaluator_organisation"), data.get("evaluators")
        if organisation and people:
            strangers = [person for person in people if person.organisation_id != organisation.pk]
            if strangers:
                names = ", ".join(person.get_full_name() or person.username for person in strangers)
                self.add_error(
                    "evaluators",
                    f"{names} {'does' if len(strangers) == 1 else 'do'} not work for "
                    f"{organisation.name}: choose people from the evaluator organisation",
                )
        both = [person for person in data.get("reviewers") or () if person in (people or ())]
        if both:
            names = ", ".join(person.get_full_name() or person.username for person in both)
            self.add_error(
                "reviewers",
                f"{names} {'is' if len(both) == 1 else 'are'} assigned to carry out this evaluation, so cannot "
                "review its evidence: choose someone who is not",
            )
        return data

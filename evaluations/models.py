"""The evidence: evaluations of projects, their results and how much weight those
results can bear. The outcome areas and measures the results are reported on are in
evaluations/models_measures.py, imported here so that every model of the app is
importable from evaluations.models; who may see, change and rate what is in
evaluations/querysets.py."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.lifecycle import IllegalStatusChange, Stateful, StatusChange
from evaluations.figures import (  # noqa: F401 (kept importable from here)
    NO_EFFECT,
    PERCENT_FIGURES,
    RATING_VALUES,
    SIGNIFICANCE_LEVEL,
    EvidenceStrength,
    Judgement,
    ResultFigures,
    ShownSignificance,
    plain,
)
from evaluations.models_measures import OutcomeArea, OutcomeMeasure  # noqa: F401 (kept importable from here)
from evaluations.querysets import EvaluationQuerySet, OutcomeResultQuerySet, ThroughEvaluationQuerySet
from grants.models import ILLUSTRATIVE_HELP, Organisation
from projects.models import ProjectPartner


class Evaluation(Stateful):
    class Design(models.TextChoices):
        RCT = "rct", "Randomised controlled trial"
        QUASI_EXPERIMENTAL = "quasi", "Quasi-experimental"
        BEFORE_AFTER_COMPARISON = "ba_comparison", "Before and after with a comparison group"
        BEFORE_AFTER = "before_after", "Before and after, no comparison group"
        QUALITATIVE = "qualitative", "Qualitative"
        MIXED = "mixed", "Mixed methods"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        INTERIM_REPORTED = "interim", "Interim reported"
        FINAL_PUBLISHED = "final", "Final published"

    # Planned, then in progress; an interim report on the way to the final one is
    # optional. A published final report closes it: only an officer reopens it, with
    # a reason (a corrected report), and it goes back to in progress.
    TRANSITIONS = {
        Status.PLANNED: (Status.IN_PROGRESS,),
        Status.IN_PROGRESS: (Status.INTERIM_REPORTED, Status.FINAL_PUBLISHED),
        Status.INTERIM_REPORTED: (Status.FINAL_PUBLISHED,),
        Status.FINAL_PUBLISHED: (Status.IN_PROGRESS,),
    }

    title = models.CharField(max_length=200)
    projects = models.ManyToManyField("projects.Project", related_name="evaluations")
    evaluator_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="evaluations")
    evaluators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="evaluations", blank=True, help_text="People assigned to it."
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="reviewed_evaluations",
        blank=True,
        help_text="Evaluators from outside it who rate the strength of its evidence; they cannot change it.",
    )
    design = models.CharField(max_length=20, choices=Design.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    summary = models.TextField(blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    objects = EvaluationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(design__in=["rct", "quasi", "ba_comparison", "before_after", "qualitative", "mixed"]),
                name="evaluation_design_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "in_progress", "interim", "final"]), name="evaluation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(start_date__lte=F("end_date")),
                name="evaluation_dates_in_order",
            ),
        ]

    def __str__(self):
        return self.title

    def allowed_statuses_for(self, user) -> tuple[str, ...]:
        if self.status == self.Status.FINAL_PUBLISHED and not user.is_officer:
            return ()
        return self.allowed_statuses()

    def check_move(self, current, new_status, *, by, reason):
        if current == self.Status.FINAL_PUBLISHED:
            if by is None or not by.is_officer:
                raise IllegalStatusChange(
                    "Only a programme officer can reopen an evaluation whose final report is published."
                )
            if not reason.strip():
                raise IllegalStatusChange(
                    "Give the reason for reopening an evaluation whose final report is published."
                )

    def organisations_taking_part(self) -> set[int]:
        """The lead and partner organisations of every project evaluated: the only ones a
        result may be for, unless it is a comparison group's."""
        projects = self.projects.all()
        return set(projects.values_list("lead_organisation", flat=True)) | set(
            ProjectPartner.objects.filter(project__in=projects).values_list("organisation", flat=True)
        )

    def projects_named(self) -> str:
        """The titles of the projects evaluated, for a message: A, or A or B."""
        titles = list(self.projects.order_by("title").values_list("title", flat=True))
        if len(titles) < 2:
            return "".join(titles) or "the project evaluated"
        return f"{', '.join(titles[:-1])} or {titles[-1]}"

    # A design without a comparison group cannot tell what would have happened anyway,
    # whatever level it was given.
    NO_COMPARISON_DESIGNS = (Design.BEFORE_AFTER, Design.QUALITATIVE)
    STRONGER_FROM_LEVEL = 3

    def rating_on(self, scale) -> "EvidenceRating | None":
        """Reads the prefetched ratings when there are any, so a list costs no query per row."""
        return next((rating for rating in self.ratings.all() if rating.scale == scale), None)

    @property
    def has_no_comparison_group(self) -> bool:
        return self.design in self.NO_COMPARISON_DESIGNS

    @property
    def maryland_level(self) -> int | None:
        rating = self.rating_on(EvidenceRating.Scale.MARYLAND)
        return int(rating.value) if rating else None

    @property
    def evidence_strength(self) -> str:
        """'stronger' (a comparison group: Maryland level 3 to 5), 'weaker' (level 1 or 2,
        or a design with no comparison group), or 'not_rated'."""
        level = self.maryland_level
        if level is None:
            return EvidenceStrength.NOT_RATED
        if level >= self.STRONGER_FROM_LEVEL and self.design not in self.NO_COMPARISON_DESIGNS:
            return EvidenceStrength.STRONGER
        return EvidenceStrength.WEAKER

    @property
    def rating_exceeds_design(self) -> bool:
        """Rated level 3 or above although the design has no comparison group."""
        level = self.maryland_level
        return level is not None and level >= self.STRONGER_FROM_LEVEL and self.design in self.NO_COMPARISON_DESIGNS


def report_path(instance, filename):
    return f"reports/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:8]}"


class EvaluationStatusChange(StatusChange):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="status_changes")


class EvaluationReport(models.Model):
    class Kind(models.TextChoices):
        INTERIM = "interim", "Interim report"
        FINAL = "final", "Final report"
        TECHNICAL = "technical", "Technical appendix"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="reports")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    published_on = models.DateField(null=True, blank=True)
    url = models.URLField("public address", blank=True)
    file = models.FileField(upload_to=report_path, max_length=200, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ThroughEvaluationQuerySet.as_manager()

    class Meta:
        ordering = ["evaluation", "published_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["interim", "final", "technical"]), name="report_kind_valid"),
        ]

    def __str__(self):
        return self.title


def _rater(instance, request=None, **kwargs):
    """A rating's history names who rated, whichever way it was saved (a page, the admin, a script)."""
    return instance.rated_by or getattr(request, "user", None)


class EvidenceRating(models.Model):
    """How much weight an evaluation's findings can bear, on a named scale. Given by someone
    other than the evaluation's own evaluators: an officer, or a reviewer named on it."""

    class Scale(models.TextChoices):
        MARYLAND = "maryland_sms", "Maryland Scientific Methods Scale"
        WWCSC_EFFECTIVENESS = "wwcsc_effectiveness", "What Works for Children's Social Care: effectiveness"
        WWCSC_STRENGTH = "wwcsc_strength", "What Works for Children's Social Care: strength of evidence"

    VALUES = RATING_VALUES

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="ratings")
    scale = models.CharField(max_length=30, choices=Scale.choices)
    value = models.CharField(max_length=20)
    rationale = models.TextField()
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rated_at = models.DateTimeField(default=timezone.now)

    objects = ThroughEvaluationQuerySet.as_manager()
    history = HistoricalRecords(get_user=_rater)

    class Meta:
        ordering = ["evaluation", "scale"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "scale"], name="one_rating_per_scale"),
            models.CheckConstraint(
                condition=Q(scale="maryland_sms", value__in=["1", "2", "3", "4", "5"])
                | Q(scale="wwcsc_effectiveness", value__in=["harmful", "no_effect", "unclear", "positive"])
                | Q(scale="wwcsc_strength", value__in=["limited", "moderate", "strong", "very_strong"]),
                name="rating_value_on_its_scale",
                violation_error_message="That value is not on the chosen scale.",
            ),
            models.CheckConstraint(condition=~Q(rationale=""), name="rating_has_rationale"),
        ]

    def __str__(self):
        return f"{self.get_scale_display()}: {self.value_label}"

    @property
    def value_label(self) -> str:
        return dict(self.VALUES.get(self.scale, [])).get(self.value, self.value)

    def clean(self):
        # The database cannot check this: who evaluates is in another table.
        if self.rated_by_id and self.evaluation_id and self.evaluation.evaluators.filter(pk=self.rated_by_id).exists():
            raise ValidationError(
                f"{self.rated_by} is one of this evaluation's evaluators: its evidence is rated by a programme "
                "officer or a reviewer named on the evaluation"
            )


def _value(**kwargs):
    return models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True, **kwargs)


class OutcomeResult(ResultFigures, models.Model):
    class Significance(models.TextChoices):
        SIGNIFICANT = "significant", "Statistically significant"
        NOT_SIGNIFICANT = "not_significant", "Not statistically significant"
        NOT_TESTED = "not_tested", "Not tested"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="results")
    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.PROTECT, related_name="results")
    authority = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="outcome_results"
    )
    comparison_group = models.CharField(
        max_length=200,
        blank=True,
        help_text="Only for a comparison group's figures, not the project's: its name, for example "
        "Statistical neighbours of Hertfordshire.",
    )
    baseline_value = models.DecimalField(max_digits=14, decimal_places=4)
    baseline_period_start = models.DateField()
    baseline_period_end = models.DateField()
    target_value = _value()
    followup_value = _value()
    followup_period_start = models.DateField(null=True, blank=True)
    followup_period_end = models.DateField(null=True, blank=True)
    comparison_value = _value(help_text="The comparison group's value at follow-up.")
    effect_size = _value()
    ci_lower = _value(help_text="Lower bound of the 95% confidence interval of the effect size.")
    ci_upper = _value(help_text="Upper bound of the 95% confidence interval of the effect size.")
    p_value = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True)
    significance = models.CharField(max_length=20, choices=Significance.choices, default=Significance.NOT_TESTED)
    source_report = models.ForeignKey(
        EvaluationReport, on_delete=models.PROTECT, null=True, blank=True, related_name="results"
    )
    source_location = models.CharField(max_length=200, blank=True, help_text="Where in the report, e.g. table 4.2.")
    unit = models.CharField(
        max_length=10,
        choices=OutcomeMeasure.Unit.choices,
        blank=True,
        help_text="The unit the figures were recorded in; it must be the measure's. Empty means the measure's.",
    )
    illustrative = models.BooleanField(default=False, help_text=ILLUSTRATIVE_HELP)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = OutcomeResultQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["evaluation", "measure__name", "pk"]
        # That the authority takes part in a project evaluated (unless the figure is a comparison
        # group's) spans the evaluation's projects and their partners: no CHECK can read other
        # tables, so clean() keeps it on every way in (forms, save_result, imports, the admin).
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "measure", "authority", "comparison_group"],
                name="one_result_per_measure_and_authority",
            ),
            models.UniqueConstraint(
                fields=["evaluation", "measure", "comparison_group"],
                condition=Q(authority__isnull=True),
                name="one_overall_result_per_measure",
            ),
            models.CheckConstraint(
                condition=Q(baseline_period_start__lte=F("baseline_period_end")),
                name="result_baseline_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(followup_period_start__isnull=True, followup_period_end__isnull=True)
                | Q(
                    followup_period_start__isnull=False,
                    followup_period_end__isnull=False,
                    followup_period_start__lte=F("followup_period_end"),
                    followup_period_start__gt=F("baseline_period_end"),
                ),
                name="result_followup_after_baseline",
                violation_error_message="The follow-up period must start after the baseline period ends.",
            ),
            models.CheckConstraint(
                condition=Q(followup_value__isnull=True) | Q(followup_period_end__isnull=False),
                name="result_followup_value_has_period",
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__gte=0)
                & (Q(followup_value__isnull=True) | Q(followup_value__gte=0))
                & (Q(target_value__isnull=True) | Q(target_value__gte=0))
                & (Q(comparison_value__isnull=True) | Q(comparison_value__gte=0)),
                name="result_values_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(ci_lower__isnull=True) & Q(ci_upper__isnull=True))
                | Q(
                    effect_size__isnull=False,
                    ci_lower__isnull=False,
                    ci_upper__isnull=False,
                    ci_lower__lte=F("effect_size"),
                    ci_upper__gte=F("effect_size"),
                ),
                name="result_effect_inside_confidence_interval",
                violation_error_message="The confidence interval must contain the effect size.",
            ),
            models.CheckConstraint(
                condition=Q(p_value__isnull=True) | Q(p_value__gte=0, p_value__lte=1), name="result_p_value_0_to_1"
            ),
            models.CheckConstraint(
                condition=Q(significance__in=["significant", "not_significant", "not_tested"]),
                name="result_significance_valid",
            ),
        ]

    def __str__(self):
        if self.comparison_group:
            return f"{self.measure}, comparison group {self.comparison_group} ({self.evaluation})"
        where = f" in {self.authority}" if self.authority_id else ""
        return f"{self.measure}{where} ({self.evaluation})"

    @property
    def where(self) -> str:
        """Whose figure this is, in the words every page and download uses."""
        if self.comparison_group:
            of = f" ({self.authority.name})" if self.authority_id else ""
            return f"Comparison group: {self.comparison_group}{of}"
        return self.authority.name if self.authority_id else "All authorities in the evaluation"

    # --- Validation shared by the form, the service and imports -----------------

    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        # clean() leaves alone the figures a form has already refused (they are in
        # exclude), so a bad date is not also reported as a period out of order.
        self._not_checked = set(exclude or ())
        try:
            super().full_clean(
                exclude=exclude, validate_unique=validate_unique, validate_constraints=validate_constraints
            )
        finally:
            del self._not_checked

    # Fields a database constraint checks together: when clean() has already said what
    # is wrong with one of them, the constraint's own wording would only repeat it.
    CHECKED_TOGETHER = (
        {"followup_value", "followup_period_start", "followup_period_end", "baseline_period_end"},
        {"effect_size", "ci_lower", "ci_upper"},
    )

    def validate_constraints(self, exclude=None):
        exclude = set(exclude or ())
        for fields in self.CHECKED_TOGETHER:
            if exclude & fields:
                exclude |= fields
        super().validate_constraints(exclude=exclude)

    def clean(self):
        skip = getattr(self, "_not_checked", set())
        errors: dict[str, list[str]] = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        self._check_periods(skip, add)
        self._check_confidence_interval(skip, add)
        self._check_figures(skip, add)
        self._check_unit(skip, add)
        self._check_taking_part(skip, add)
        if errors:
            raise ValidationError(errors)

    def _check_periods(self, skip, add):
        start, end = self.baseline_period_start, self.baseline_period_end
        if start and end and start > end and not {"baseline_period_start", "baseline_period_end"} & skip:
            add("baseline_period_end", "The baseline period must end on or after the day it starts")
        if {"followup_period_start", "followup_period_end"} & skip:
            return
        f_start, f_end = self.followup_period_start, self.followup_period_end
        if f_start and not f_end:
            add("followup_period_end", "Enter the date the follow-up period ends, or leave both dates empty")
        elif f_end and not f_start:
            add("followup_period_start", "Enter the date the follow-up period starts, or leave both dates empty")
        elif self.followup_value is not None and not f_start and "followup_value" not in skip:
            add("followup_period_start", "Enter the follow-up period the follow-up value is for")
        if f_start and f_end and f_start > f_end:
            add("followup_period_end", "The follow-up period must end on or after the day it starts")
        if f_start and end and f_start <= end and "baseline_period_end" not in skip:
            add(
                "followup_period_start",
                f"The follow-up period must start after the baseline period ends ({end:%d/%m/%Y})",
            )

    def _check_confidence_interval(self, skip, add):
        if {"effect_size", "ci_lower", "ci_upper"} & skip:
            return
        effect, lower, upper = self.effect_size, self.ci_lower, self.ci_upper
        if (lower is None) != (upper is None):
            add("ci_upper" if upper is None else "ci_lower", "Enter both bounds of the confidence interval, or neither")
            return
        if lower is None:
            return
        if effect is None:
            add("effect_size", "Enter the effect size the confidence interval is for")
            return
        if lower > effect:
            add(
                "ci_lower",
                "The confidence interval must contain the effect size: the lower bound must be "
                f"{plain(effect)} or less",
            )
        if upper < effect:
            add(
                "ci_upper",
                "The confidence interval must contain the effect size: the upper bound must be "
                f"{plain(effect)} or more",
            )

    def _check_figures(self, skip, add):
        percent = (
            self.measure_id is not None and "measure" not in skip and self.measure.unit == OutcomeMeasure.Unit.PERCENT
        )
        for name, noun in PERCENT_FIGURES.items():
            value = getattr(self, name)
            if value is None or name in skip:
                continue
            if percent and not (0 <= value <= 100):
                add(name, f"The {noun} is a percentage, so it must be between 0 and 100")
            elif value < 0:
                add(name, f"The {noun} must be 0 or more")
        if self.p_value is not None and "p_value" not in skip and not (0 <= self.p_value <= 1):
            add("p_value", "The p-value must be between 0 and 1")

    def _check_unit(self, skip, add):
        if self.measure_id is None or {"unit", "measure"} & skip:
            return
        measure = self.measure
        if not self.unit:
            self.unit = measure.unit
        elif self.unit != measure.unit:
            given = OutcomeMeasure.Unit(self.unit).label if self.unit in OutcomeMeasure.Unit.values else self.unit
            add("unit", f"The figures are in {given} but {measure.name} is measured in {measure.get_unit_display()}")

    def _check_taking_part(self, skip, add):
        self.comparison_group = (self.comparison_group or "").strip()
        if self.comparison_group or not self.authority_id or {"authority", "comparison_group"} & skip:
            return
        evaluation = getattr(self, "evaluation", None)  # a missing one is refused as a required field
        if evaluation is None:
            return
        if evaluation.pk is None:
            add("authority", "Save the evaluation with its projects first, then record results for one organisation")
        elif self.authority_id not in evaluation.organisations_taking_part():
            add(
                "authority",
                f"{self.authority.name} does not take part in {evaluation.projects_named()}: a result is for the "
                "project's lead or one of its partners, or for the whole project (no organisation). If the figure "
                "is a comparison group's, name the comparison group",
            )

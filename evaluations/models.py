"""The evidence: evaluations of projects, their results and how much weight those
results can bear. The outcome areas and measures the results are reported on are in
evaluations/models_measures.py, imported here so that every model of the app is
importable from evaluations.models."""

import uuid
from decimal import Decimal
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
    ShownSignificance,
    plain,
)
from evaluations.models_measures import OutcomeArea, OutcomeMeasure  # noqa: F401 (kept importable from here)
from grants.models import ILLUSTRATIVE_HELP, Organisation
from projects.models import Project


class EvaluationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Evaluators see the evaluations assigned to them; recipients those of
        their projects; funder staff and viewers all."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_whole_programme:
            return self
        if user.is_evaluator:
            return self.filter(pk__in=Evaluation.evaluators.through.objects.filter(user=user).values("evaluation"))
        if user.is_recipient:
            visible = Project.objects.for_user(user)
            return self.filter(
                pk__in=Evaluation.projects.through.objects.filter(project__in=visible).values("evaluation")
            )
        return self.none()

    def editable_by(self, user):
        """Officers edit every evaluation; an evaluator only those assigned to it."""
        if not user.is_authenticated:
            return self.none()
        if user.is_officer:
            return self
        if user.is_evaluator:
            return self.for_user(user)
        return self.none()


class ThroughEvaluationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(evaluation__in=Evaluation.objects.for_user(user))

    def editable_by(self, user):
        return self.filter(evaluation__in=Evaluation.objects.editable_by(user))


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


class EvidenceRating(models.Model):
    """How much weight an evaluation's findings can bear, on a named scale."""

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
    history = HistoricalRecords()

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


def _value(**kwargs):
    return models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True, **kwargs)


class OutcomeResult(models.Model):
    class Significance(models.TextChoices):
        SIGNIFICANT = "significant", "Statistically significant"
        NOT_SIGNIFICANT = "not_significant", "Not statistically significant"
        NOT_TESTED = "not_tested", "Not tested"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="results")
    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.PROTECT, related_name="results")
    authority = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="outcome_results"
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

    objects = ThroughEvaluationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["evaluation", "measure__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "measure", "authority"], name="one_result_per_measure_and_authority"
            ),
            models.UniqueConstraint(
                fields=["evaluation", "measure"],
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
        where = f" in {self.authority}" if self.authority_id else ""
        return f"{self.measure}{where} ({self.evaluation})"

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

    # --- What the figures say ------------------------------------------------

    @property
    def change(self) -> Decimal | None:
        """Follow-up minus baseline, in the measure's unit (percentage points for a percentage)."""
        if self.followup_value is None:
            return None
        return self.followup_value - self.baseline_value

    @property
    def change_percent(self) -> Decimal | None:
        """The change as a percentage of the baseline, to one decimal place; none from a baseline of 0."""
        change = self.change
        if change is None or self.baseline_value == 0:
            return None
        return (change / self.baseline_value * 100).quantize(Decimal("0.1"))

    @property
    def judgement(self) -> str:
        """Improved, worsened or unchanged, by the measure's direction. Any difference in
        the recorded figures counts: whether it is more than chance is the significance."""
        change = self.change
        if change is None:
            return Judgement.NO_FOLLOWUP
        if change == 0:
            return Judgement.UNCHANGED
        better = change < 0 if self.measure.lower_is_better else change > 0
        return Judgement.IMPROVED if better else Judgement.WORSENED

    @property
    def judgement_label(self) -> str:
        return Judgement(self.judgement).label

    @property
    def improvement(self) -> Decimal | None:
        """How far the figure moved the right way (positive), or None when it did not improve."""
        if self.judgement != Judgement.IMPROVED:
            return None
        return abs(self.change)

    @property
    def target_met(self) -> bool | None:
        """None when there is no target or no follow-up yet."""
        if self.target_value is None or self.followup_value is None:
            return None
        if self.measure.lower_is_better:
            return self.followup_value <= self.target_value
        return self.followup_value >= self.target_value

    @property
    def shown_significance(self) -> ShownSignificance:
        """From the confidence interval when there is one, else from the p-value, else as
        the evaluator reported it."""
        if self.ci_lower is not None and self.ci_upper is not None:
            excludes = self.ci_lower > NO_EFFECT or self.ci_upper < NO_EFFECT
            interval = f"{plain(self.ci_lower)} to {plain(self.ci_upper)}"
            if excludes:
                return ShownSignificance(True, "Significant", f"the 95% confidence interval ({interval}) excludes 0")
            return ShownSignificance(False, "Not significant", f"the 95% confidence interval ({interval}) includes 0")
        if self.p_value is not None:
            if self.p_value < SIGNIFICANCE_LEVEL:
                return ShownSignificance(True, "Significant", f"p = {plain(self.p_value)}, below 0.05")
            return ShownSignificance(False, "Not significant", f"p = {plain(self.p_value)}, not below 0.05")
        if self.significance == self.Significance.SIGNIFICANT:
            return ShownSignificance(True, "Significant", "as the evaluator reported it, with no interval or p-value")
        if self.significance == self.Significance.NOT_SIGNIFICANT:
            return ShownSignificance(
                False, "Not significant", "as the evaluator reported it, with no interval or p-value"
            )
        return ShownSignificance(None, "Not tested", "no test of significance recorded")

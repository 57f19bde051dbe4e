"""The evidence: evaluations of projects, the measures they report on, their
results and how much weight those results can bear."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from grants.models import ILLUSTRATIVE_HELP, Organisation


class OutcomeArea(models.Model):
    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class OutcomeMeasure(models.Model):
    class Unit(models.TextChoices):
        PER_10000 = "per_10000", "per 10,000 children"
        PERCENT = "percent", "per cent"
        NUMBER = "number", "number"
        GBP = "gbp", "pounds"
        DAYS = "days", "days"

    class Direction(models.TextChoices):
        LOWER_IS_BETTER = "lower", "Lower is better"
        HIGHER_IS_BETTER = "higher", "Higher is better"

    name = models.CharField(max_length=200, unique=True)
    outcome_area = models.ForeignKey(OutcomeArea, on_delete=models.PROTECT, related_name="measures")
    unit = models.CharField(max_length=10, choices=Unit.choices)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["outcome_area__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__in=["per_10000", "percent", "number", "gbp", "days"]), name="measure_unit_valid"
            ),
            models.CheckConstraint(condition=Q(direction__in=["lower", "higher"]), name="measure_direction_valid"),
        ]

    def __str__(self):
        return self.name


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
            from projects.models import Project

            visible = Project.objects.for_user(user)
            return self.filter(pk__in=Evaluation.projects.through.objects.filter(project__in=visible).values("evaluation"))
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


class Evaluation(models.Model):
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


def report_path(instance, filename):
    return f"reports/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:8]}"


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

    VALUES = {
        Scale.MARYLAND: [
            ("1", "Level 1: correlation at one point in time"),
            ("2", "Level 2: before and after, no comparison group"),
            ("3", "Level 3: before and after with a comparison group"),
            ("4", "Level 4: comparison controlling for differences between groups"),
            ("5", "Level 5: random assignment"),
        ],
        Scale.WWCSC_EFFECTIVENESS: [
            ("harmful", "Harmful effect"),
            ("no_effect", "No effect"),
            ("unclear", "Unclear or mixed"),
            ("positive", "Positive effect"),
        ],
        Scale.WWCSC_STRENGTH: [
            ("limited", "Limited"),
            ("moderate", "Moderate"),
            ("strong", "Strong"),
            ("very_strong", "Very strong"),
        ],
    }

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="ratings")
    scale = models.CharField(max_length=30, choices=Scale.choices)
    value = models.CharField(max_length=20)
    rationale = models.TextField()
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rated_at = models.DateTimeField(default=timezone.now)

    objects = ThroughEvaluationQuerySet.as_manager()

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
    illustrative = models.BooleanField(default=False, help_text=ILLUSTRATIVE_HELP)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ThroughEvaluationQuerySet.as_manager()

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

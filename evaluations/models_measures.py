"""The outcome areas and the measures results are reported on (the catalogue of them is
evaluations/catalogue.py). Importable from evaluations.models, like every model of the app."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


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
    is_count = models.BooleanField(
        "counts children, families or cases",
        default=False,
        help_text="Only then does spend divided by the improvement give a cost per outcome: a rate, a "
        "percentage or an average is not a count of anything that was bought.",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["outcome_area__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__in=["per_10000", "percent", "number", "gbp", "days"]), name="measure_unit_valid"
            ),
            models.CheckConstraint(condition=Q(direction__in=["lower", "higher"]), name="measure_direction_valid"),
            models.CheckConstraint(
                condition=Q(is_count=False) | Q(unit="number"),
                name="measure_count_is_a_number",
                violation_error_message="Only a measure in numbers can count children, families or cases.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def lower_is_better(self) -> bool:
        return self.direction == self.Direction.LOWER_IS_BETTER

    def clean(self):
        if self.is_count and self.unit != self.Unit.NUMBER:
            raise ValidationError(
                {
                    "is_count": "Only a measure in numbers can count children, families or cases: choose the unit "
                    "‘number’ or untick this box"
                }
            )

"""The words and numbers in which results are judged: how strong the evidence is, which
way a figure moved, whether it is significant, and how a figure is written. Not models:
kept out of models.py, which imports them from here, as are the properties in which an
outcome result's figures are read (ResultFigures)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models


class EvidenceStrength(models.TextChoices):
    STRONGER = (
        "stronger",
        "Stronger evidence: compared with a group that did not get the project (Maryland level 3 to 5)",
    )
    WEAKER = "weaker", "Weaker evidence: no comparison group (Maryland level 1 or 2)"
    NOT_RATED = "not_rated", "Evidence not yet rated"


# The values of each scale an evaluation's evidence is rated on (EvidenceRating.Scale).
RATING_VALUES = {
    "maryland_sms": [
        ("1", "Level 1: correlation at one point in time"),
        ("2", "Level 2: before and after, no comparison group"),
        ("3", "Level 3: before and after with a comparison group"),
        ("4", "Level 4: comparison controlling for differences between groups"),
        ("5", "Level 5: random assignment"),
    ],
    "wwcsc_effectiveness": [
        ("harmful", "Harmful effect"),
        ("no_effect", "No effect"),
        ("unclear", "Unclear or mixed"),
        ("positive", "Positive effect"),
    ],
    "wwcsc_strength": [
        ("limited", "Limited"),
        ("moderate", "Moderate"),
        ("strong", "Strong"),
        ("very_strong", "Very strong"),
    ],
}


class Judgement(models.TextChoices):
    IMPROVED = "improved", "Improved"
    WORSENED = "worsened", "Worsened"
    UNCHANGED = "unchanged", "Unchanged"
    NO_FOLLOWUP = "no_followup", "No follow-up yet"


@dataclass(frozen=True)
class ShownSignificance:
    """Whether a result is statistically significant at the 5% level, and what says so."""

    significant: bool | None
    label: str
    basis: str


# Effect sizes are recorded as differences (a standardised mean difference, a
# difference in rates), whose "no effect" value is 0. A ratio would need 1.
NO_EFFECT = Decimal("0")
SIGNIFICANCE_LEVEL = Decimal("0.05")
PERCENT_FIGURES = {
    "baseline_value": "baseline value",
    "target_value": "target",
    "followup_value": "follow-up value",
    "comparison_value": "comparison group value",
}


def plain(value: Decimal | None) -> str:
    """20.0000 as 20 and 20.5000 as 20.5."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class ResultFigures:
    """What an outcome result's figures say: the change, its judgement by the measure's
    direction, the target and the significance. OutcomeResult's, kept here beside the words
    it judges them in."""

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
        if self.significance == "significant":
            return ShownSignificance(True, "Significant", "as the evaluator reported it, with no interval or p-value")
        if self.significance == "not_significant":
            return ShownSignificance(
                False, "Not significant", "as the evaluator reported it, with no interval or p-value"
            )
        return ShownSignificance(None, "Not tested", "no test of significance recorded")

"""The words and numbers in which results are judged: how strong the evidence is, which
way a figure moved, whether it is significant, and how a figure is written. Not models:
kept out of models.py, which imports them from here."""

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

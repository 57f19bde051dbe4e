"""What an outcome result says (change, judgement, target, significance, cost per
outcome) and the rules on its figures, enforced in OutcomeResult.clean so that the
form, save_result and an import are refused alike."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from evaluations.models import Evaluation, EvidenceStrength, Judgement, OutcomeMeasure, OutcomeResult
from evaluations.services import save_result
from reports.impact import cost_per_outcome
from tests.factories import EvaluationFactory, EvidenceRatingFactory, OutcomeMeasureFactory, OutcomeResultFactory

pytestmark = pytest.mark.django_db

LOWER = OutcomeMeasure.Direction.LOWER_IS_BETTER
HIGHER = OutcomeMeasure.Direction.HIGHER_IS_BETTER


def result(
    direction=LOWER,
    unit=OutcomeMeasure.Unit.PER_10000,
    *,
    baseline="40",
    followup=None,
    target=None,
    is_count=False,
    **figures,
):
    measure = OutcomeMeasure(name="m", unit=unit, direction=direction, is_count=is_count)
    return OutcomeResult(
        measure=measure,
        baseline_value=Decimal(baseline),
        followup_value=None if followup is None else Decimal(followup),
        target_value=None if target is None else Decimal(target),
        **figures,
    )


# --- Change and judgement --------------------------------------------------------


def test_a_fall_in_a_lower_is_better_measure_is_an_improvement():
    halved = result(LOWER, baseline="40", followup="20", target="30")
    assert halved.change == Decimal("-20")
    assert halved.change_percent == Decimal("-50.0")
    assert halved.judgement == Judgement.IMPROVED
    assert halved.improvement == Decimal("20")
    assert halved.target_met is True


def test_a_rise_in_a_lower_is_better_measure_is_worse():
    rose = result(LOWER, baseline="40", followup="46", target="30")
    assert rose.change == Decimal("6")
    assert rose.change_percent == Decimal("15.0")
    assert rose.judgement == Judgement.WORSENED
    assert rose.improvement is None
    assert rose.target_met is False


def test_a_rise_in_a_higher_is_better_measure_is_an_improvement():
    more_time = result(HIGHER, OutcomeMeasure.Unit.PERCENT, baseline="20", followup="31", target="36")
    assert more_time.change == Decimal("11")
    assert more_time.change_percent == Decimal("55.0")
    assert more_time.judgement == Judgement.IMPROVED
    assert more_time.target_met is False  # 31 is short of 36


def test_a_fall_in_a_higher_is_better_measure_is_worse_and_meeting_the_target_exactly_counts():
    assert result(HIGHER, baseline="20", followup="15").judgement == Judgement.WORSENED
    assert result(HIGHER, baseline="20", followup="36", target="36").target_met is True
    assert result(LOWER, baseline="40", followup="30", target="30").target_met is True


def test_no_change_no_follow_up_and_a_zero_baseline():
    assert result(baseline="40", followup="40").judgement == Judgement.UNCHANGED
    waiting = result(baseline="40", target="30")
    assert waiting.change is None and waiting.judgement == Judgement.NO_FOLLOWUP and waiting.target_met is None
    from_zero = result(HIGHER, baseline="0", followup="5")
    assert from_zero.change == Decimal("5") and from_zero.change_percent is None


def test_change_percent_rounds_to_one_decimal_place():
    assert result(baseline="3", followup="2").change_percent == Decimal("-33.3")


# --- Significance: from the interval, else the p-value, else as reported ----------


def test_significance_comes_from_the_confidence_interval_first():
    shown = result(
        effect_size=Decimal("0.3"), ci_lower=Decimal("0.1"), ci_upper=Decimal("0.5"), p_value=Decimal("0.2")
    ).shown_significance
    assert shown.significant is True
    assert shown.basis == "the 95% confidence interval (0.1 to 0.5) excludes 0"
    shown = result(effect_size=Decimal("-0.2"), ci_lower=Decimal("-0.4"), ci_upper=Decimal("0")).shown_significance
    assert shown.significant is False and "includes 0" in shown.basis


def test_significance_from_the_p_value_when_there_is_no_interval():
    assert result(p_value=Decimal("0.03")).shown_significance.basis == "p = 0.03, below 0.05"
    assert result(p_value=Decimal("0.05")).shown_significance.significant is False


def test_significance_as_reported_when_nothing_else_is_recorded():
    assert result(significance="significant").shown_significance.basis.startswith("as the evaluator reported it")
    assert result().shown_significance.label == "Not tested"


# --- Cost per outcome --------------------------------------------------------------


def test_cost_per_outcome_divides_spend_by_the_improvement_of_a_count():
    fewer = result(LOWER, OutcomeMeasure.Unit.NUMBER, baseline="120", followup="90", is_count=True)
    cost, note = cost_per_outcome(fewer, Decimal("250000.00"))
    assert cost == Decimal("8333.33")  # £250,000 / 30 fewer children
    assert note.startswith("£8,333.33 for each one fewer")
    more = result(HIGHER, OutcomeMeasure.Unit.NUMBER, baseline="10", followup="17", is_count=True)
    assert cost_per_outcome(more, Decimal("70000.00"))[0] == Decimal("10000.00")


@pytest.mark.parametrize(
    "row, spend, reason",
    [
        (
            result(LOWER, baseline="40", followup="20"),
            Decimal("1000"),
            "a rate per 10,000 children is not a count of children helped",
        ),
        (
            result(HIGHER, OutcomeMeasure.Unit.PERCENT, baseline="20", followup="30"),
            Decimal("1000"),
            "a percentage is not a count",
        ),
        (
            result(LOWER, OutcomeMeasure.Unit.NUMBER, baseline="20", followup="15"),
            Decimal("1000"),
            "this measure does not count children, families or cases",
        ),
        (
            result(LOWER, OutcomeMeasure.Unit.NUMBER, baseline="20", followup="25", is_count=True),
            Decimal("1000"),
            "worsened, no improvement",
        ),
        (
            result(LOWER, OutcomeMeasure.Unit.NUMBER, baseline="20", followup="20", is_count=True),
            Decimal("1000"),
            "unchanged, no improvement",
        ),
        (result(LOWER, OutcomeMeasure.Unit.NUMBER, baseline="20", is_count=True), Decimal("1000"), "no follow-up"),
        (
            result(LOWER, OutcomeMeasure.Unit.NUMBER, baseline="20", followup="10", is_count=True),
            Decimal("0.00"),
            "no spending recorded",
        ),
    ],
)
def test_cost_per_outcome_says_why_it_is_not_worked_out(row, spend, reason):
    cost, note = cost_per_outcome(row, spend)
    assert cost is None
    assert note.startswith("Not worked out") and reason in note


# --- Evidence strength ---------------------------------------------------------------


def test_a_before_and_after_study_is_weaker_evidence_whatever_its_rating():
    trial = EvaluationFactory(design=Evaluation.Design.RCT)
    EvidenceRatingFactory(evaluation=trial, value="5")
    before_after = EvaluationFactory(design=Evaluation.Design.BEFORE_AFTER)
    EvidenceRatingFactory(evaluation=before_after, value="4")
    unrated = EvaluationFactory(design=Evaluation.Design.RCT)
    assert trial.evidence_strength == EvidenceStrength.STRONGER
    assert before_after.evidence_strength == EvidenceStrength.WEAKER
    assert before_after.rating_exceeds_design
    assert unrated.evidence_strength == EvidenceStrength.NOT_RATED


# --- The rules, through save_result (what an import calls) ---------------------------


def new_result(world, **changes):
    values = dict(
        evaluation=world.evaluation,
        measure=world.measure,
        authority=world.derbyshire,
        baseline_value=Decimal("20"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
        followup_value=Decimal("30"),
        followup_period_start=dt.date(2016, 4, 1),
        followup_period_end=dt.date(2017, 3, 31),
    )
    values.update(changes)
    return OutcomeResult(**values)


RULES = [
    (
        {"followup_period_start": dt.date(2015, 3, 31)},
        "followup_period_start",
        "The follow-up period must start after the baseline period ends (31/03/2015)",
    ),
    (
        {"followup_period_end": dt.date(2016, 1, 1)},
        "followup_period_end",
        "The follow-up period must end on or after the day it starts",
    ),
    (
        {"followup_period_end": None},
        "followup_period_end",
        "Enter the date the follow-up period ends, or leave both dates empty",
    ),
    (
        {"followup_period_start": None, "followup_period_end": None},
        "followup_period_start",
        "Enter the follow-up period the follow-up value is for",
    ),
    (
        {"baseline_period_end": dt.date(2014, 1, 1)},
        "baseline_period_end",
        "The baseline period must end on or after the day it starts",
    ),
    (
        {"effect_size": Decimal("0.3"), "ci_lower": Decimal("0.4"), "ci_upper": Decimal("0.6")},
        "ci_lower",
        "The confidence interval must contain the effect size: the lower bound must be 0.3 or less",
    ),
    (
        {"effect_size": Decimal("0.3"), "ci_lower": Decimal("0.1"), "ci_upper": Decimal("0.2")},
        "ci_upper",
        "The confidence interval must contain the effect size: the upper bound must be 0.3 or more",
    ),
    (
        {"effect_size": Decimal("0.3"), "ci_lower": Decimal("0.1")},
        "ci_upper",
        "Enter both bounds of the confidence interval, or neither",
    ),
    (
        {"ci_lower": Decimal("0.1"), "ci_upper": Decimal("0.2")},
        "effect_size",
        "Enter the effect size the confidence interval is for",
    ),
    (
        {"baseline_value": Decimal("120")},
        "baseline_value",
        "The baseline value is a percentage, so it must be between 0 and 100",
    ),
    (
        {"followup_value": Decimal("100.5")},
        "followup_value",
        "The follow-up value is a percentage, so it must be between 0 and 100",
    ),
    ({"target_value": Decimal("-1")}, "target_value", "The target is a percentage, so it must be between 0 and 100"),
    (
        {"comparison_value": Decimal("101")},
        "comparison_value",
        "The comparison group value is a percentage, so it must be between 0 and 100",
    ),
    ({"p_value": Decimal("1.5")}, "p_value", "The p-value must be between 0 and 1"),
]


@pytest.mark.parametrize("changes, field, message", RULES)
def test_save_result_refuses_figures_that_break_a_rule_and_writes_nothing(world, changes, field, message):
    before = OutcomeResult.objects.count()
    with pytest.raises(ValidationError) as refused:
        save_result(result=new_result(world, **changes), by=world.users.evaluator)
    assert message in refused.value.message_dict[field]
    assert OutcomeResult.objects.count() == before


def test_a_negative_figure_of_a_measure_that_is_not_a_percentage(world):
    rate = OutcomeMeasureFactory()
    with pytest.raises(ValidationError) as refused:
        save_result(result=new_result(world, measure=rate, followup_value=Decimal("-2")), by=world.users.evaluator)
    assert refused.value.message_dict["followup_value"] == ["The follow-up value must be 0 or more"]


def test_the_unit_an_import_states_must_be_the_measures(world):
    with pytest.raises(ValidationError) as refused:
        save_result(result=new_result(world), by=world.users.evaluator, unit=OutcomeMeasure.Unit.PER_10000)
    assert refused.value.message_dict["unit"] == [
        "The figures are in per 10,000 children but Social work time in direct work with families is measured in per cent"
    ]
    saved = save_result(result=new_result(world), by=world.users.evaluator, unit=OutcomeMeasure.Unit.PERCENT)
    assert OutcomeResult.objects.get(pk=saved.pk).unit == "percent"


def test_save_result_without_a_unit_records_the_measures(world):
    saved = save_result(result=new_result(world), by=world.users.evaluator)
    assert OutcomeResult.objects.get(pk=saved.pk).unit == OutcomeMeasure.Unit.PERCENT


def test_the_old_call_still_works(world):
    """The spreadsheet import calls save_result(result=..., by=...)."""
    saved = save_result(
        result=new_result(world, followup_value=None, followup_period_start=None, followup_period_end=None),
        by=world.users.officer,
    )
    assert saved.pk and saved.recorded_by == world.users.officer


def test_a_stored_result_in_another_unit_is_caught(world):
    stored = OutcomeResultFactory(unit=OutcomeMeasure.Unit.NUMBER)
    with pytest.raises(ValidationError) as refused:
        stored.full_clean()
    assert "is measured in per 10,000 children" in refused.value.message_dict["unit"][0]

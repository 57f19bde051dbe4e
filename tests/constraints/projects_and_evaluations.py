"""The cases of the projects' and the evaluations' constraints."""

import datetime as dt
from decimal import Decimal as D

from evaluations.models import EvaluationStatusChange
from projects.models import MilestoneStatusChange, ProjectStatusChange
from tests.constraints.cases import check, history, unique
from tests.factories import (
    AllocationFactory,
    EvaluationFactory,
    EvaluationReportFactory,
    EvidenceFileFactory,
    EvidenceRatingFactory,
    LocalAuthorityFactory,
    MilestoneFactory,
    MilestoneReviewFactory,
    MilestoneSubmissionFactory,
    OutcomeMeasureFactory,
    OutcomeResultFactory,
    ProjectFactory,
    ProjectPartnerFactory,
)

day = dt.date


def paid_milestone():
    return MilestoneFactory(payment_amount=D("1000.00"), allocation=AllocationFactory())


CHECKS = [
    # projects
    check(
        "projects_projectstatuschange_is_a_change",
        history(ProjectStatusChange, ProjectFactory),
        {"old_status": "proposed"},
        {"old_status": "active"},
    ),
    check(
        "projects_milestonestatuschange_is_a_change",
        history(MilestoneStatusChange, MilestoneFactory),
        {"old_status": "proposed"},
        {"old_status": "planned"},
    ),
    check("project_dates_in_order", ProjectFactory, {"start_date": day(2016, 4, 1)}, {"start_date": day(2016, 3, 31)}),
    check("project_status_valid", ProjectFactory, {"status": "lost"}, {"status": "withdrawn"}),
    check(
        "project_rag_valid",
        ProjectFactory,
        {"rag": "blue", "rag_reason": "On track"},
        {"rag": "amber", "rag_reason": "Recruitment is late"},
    ),
    check(
        "project_rag_has_reason", ProjectFactory, {"rag": "red"}, {"rag": "red", "rag_reason": "Recruitment is late"}
    ),
    check("project_partner_role_valid", ProjectPartnerFactory, {"role": "sponsor"}, {"role": "delivery_partner"}),
    check("milestone_status_valid", MilestoneFactory, {"status": "late"}, {"status": "returned"}),
    check("milestone_payment_positive", paid_milestone, {"payment_amount": D("0.00")}, {"payment_amount": D("0.01")}),
    check(
        "milestone_payment_needs_allocation",
        paid_milestone,
        {"allocation": None},
        {"allocation": None, "payment_amount": None},
        "amount without allocation",
    ),
    check(
        "milestone_payment_needs_allocation",
        MilestoneFactory,
        lambda row: {"allocation": AllocationFactory()},
        lambda row: {"allocation": AllocationFactory(), "payment_amount": D("500.00")},
        "allocation without amount",
    ),
    check("submission_has_narrative", MilestoneSubmissionFactory, {"narrative": ""}, {"narrative": "Done."}),
    check("evidence_file_not_empty", EvidenceFileFactory, {"size_bytes": 0}, {"size_bytes": 1}),
    check(
        "review_decision_valid",
        MilestoneReviewFactory,
        {"decision": "maybe", "reason": "Unsure"},
        {"decision": "returned", "reason": "The attendance figures are missing"},
    ),
    check(
        "returned_review_has_reason",
        MilestoneReviewFactory,
        {"decision": "returned"},
        {"decision": "returned", "reason": "The attendance figures are missing"},
    ),
    # evaluations
    check("measure_unit_valid", OutcomeMeasureFactory, {"unit": "furlongs"}, {"unit": "days"}),
    check("measure_direction_valid", OutcomeMeasureFactory, {"direction": "up"}, {"direction": "higher"}),
    # evaluations (issue 6): only a measure in numbers counts children, families or cases
    check("measure_count_is_a_number", OutcomeMeasureFactory, {"is_count": True}, {"is_count": True, "unit": "number"}),
    check(
        "evaluations_evaluationstatuschange_is_a_change",
        history(EvaluationStatusChange, EvaluationFactory),
        {"old_status": "proposed"},
        {"old_status": "planned"},
    ),
    check("evaluation_design_valid", EvaluationFactory, {"design": "astrology"}, {"design": "rct"}),
    check("evaluation_status_valid", EvaluationFactory, {"status": "abandoned"}, {"status": "final"}),
    check(
        "evaluation_dates_in_order",
        EvaluationFactory,
        {"start_date": day(2017, 1, 2), "end_date": day(2017, 1, 1)},
        {"start_date": day(2017, 1, 1), "end_date": day(2017, 1, 1)},
    ),
    check("report_kind_valid", EvaluationReportFactory, {"kind": "draft"}, {"kind": "technical"}),
    check("rating_value_on_its_scale", EvidenceRatingFactory, {"value": "6"}, {"value": "5"}, "off the scale"),
    check(
        "rating_value_on_its_scale",
        EvidenceRatingFactory,
        {"value": "strong"},
        {"scale": "wwcsc_strength", "value": "strong"},
        "value of another scale",
    ),
    check(
        "rating_value_on_its_scale",
        EvidenceRatingFactory,
        {"scale": "stars"},
        {"scale": "wwcsc_effectiveness", "value": "harmful"},
        "unknown scale",
    ),
    check("rating_has_rationale", EvidenceRatingFactory, {"rationale": ""}, {"rationale": "Randomised."}),
    check(
        "result_baseline_period_in_order",
        OutcomeResultFactory,
        {"baseline_period_start": day(2014, 4, 1)},
        {"baseline_period_start": day(2014, 3, 31)},
    ),
    check(
        "result_followup_after_baseline",
        OutcomeResultFactory,
        {"followup_period_start": day(2014, 3, 31), "followup_period_end": day(2015, 3, 31)},
        {"followup_period_start": day(2014, 4, 1), "followup_period_end": day(2015, 3, 31)},
        "overlaps baseline",
    ),
    check(
        "result_followup_after_baseline",
        OutcomeResultFactory,
        {"followup_period_start": day(2015, 4, 2), "followup_period_end": day(2015, 4, 1)},
        {"followup_period_start": day(2015, 4, 1), "followup_period_end": day(2015, 4, 1)},
        "ends before it starts",
    ),
    check(
        "result_followup_value_has_period",
        OutcomeResultFactory,
        {"followup_value": D("30")},
        {"followup_value": D("30"), "followup_period_start": day(2015, 4, 1), "followup_period_end": day(2016, 3, 31)},
    ),
    check(
        "result_values_not_negative",
        OutcomeResultFactory,
        {"baseline_value": D("-0.0001")},
        {"baseline_value": D("0")},
        "baseline",
    ),
    check(
        "result_values_not_negative",
        OutcomeResultFactory,
        {"target_value": D("-0.0001")},
        {"target_value": D("0")},
        "target",
    ),
    check(
        "result_values_not_negative",
        OutcomeResultFactory,
        {"comparison_value": D("-0.0001")},
        {"comparison_value": D("0")},
        "comparison",
    ),
    check(
        "result_values_not_negative",
        OutcomeResultFactory,
        {
            "followup_value": D("-0.0001"),
            "followup_period_start": day(2015, 4, 1),
            "followup_period_end": day(2016, 3, 31),
        },
        {"followup_value": D("0"), "followup_period_start": day(2015, 4, 1), "followup_period_end": day(2016, 3, 31)},
        "follow-up",
    ),
    check(
        "result_effect_inside_confidence_interval",
        OutcomeResultFactory,
        {"effect_size": D("-0.2001"), "ci_lower": D("-0.2"), "ci_upper": D("0.3")},
        {"effect_size": D("-0.2"), "ci_lower": D("-0.2"), "ci_upper": D("0.3")},
        "below",
    ),
    check(
        "result_effect_inside_confidence_interval",
        OutcomeResultFactory,
        {"effect_size": D("0.3001"), "ci_lower": D("-0.2"), "ci_upper": D("0.3")},
        {"effect_size": D("0.3"), "ci_lower": D("-0.2"), "ci_upper": D("0.3")},
        "above",
    ),
    check(
        "result_effect_inside_confidence_interval",
        OutcomeResultFactory,
        {"ci_lower": D("-0.2"), "ci_upper": D("0.3")},
        {"effect_size": D("0.1"), "ci_lower": D("-0.2"), "ci_upper": D("0.3")},
        "interval without an effect",
    ),
    check("result_p_value_0_to_1", OutcomeResultFactory, {"p_value": D("-0.00001")}, {"p_value": D("0")}, "below 0"),
    check("result_p_value_0_to_1", OutcomeResultFactory, {"p_value": D("1.00001")}, {"p_value": D("1")}, "above 1"),
    check("result_significance_valid", OutcomeResultFactory, {"significance": "very"}, {"significance": "significant"}),
]


def _partner_pair():
    first = ProjectPartnerFactory()
    return first, ProjectPartnerFactory(project=first.project)


def _rating_pair():
    first = EvidenceRatingFactory()
    return first, EvidenceRatingFactory(evaluation=first.evaluation, scale="wwcsc_strength", value="moderate")


def _authority_result_pair():
    first = OutcomeResultFactory(authority=LocalAuthorityFactory())
    return first, OutcomeResultFactory(
        evaluation=first.evaluation, measure=first.measure, authority=LocalAuthorityFactory()
    )


def _overall_result_pair():
    first = OutcomeResultFactory(authority=None)
    return first, OutcomeResultFactory(
        evaluation=first.evaluation, measure=first.measure, authority=LocalAuthorityFactory()
    )


UNIQUES = [
    unique(
        "project_partner_once",
        _partner_pair,
        lambda a, b: {"organisation": a.organisation},
        lambda a, b: {"organisation": a.organisation, "project": ProjectFactory()},
    ),
    unique(
        "one_rating_per_scale",
        _rating_pair,
        lambda a, b: {"scale": a.scale, "value": a.value},
        lambda a, b: {"scale": a.scale, "value": a.value, "evaluation": EvaluationFactory()},
    ),
    unique(
        "one_result_per_measure_and_authority",
        _authority_result_pair,
        lambda a, b: {"authority": a.authority},
        lambda a, b: {"authority": LocalAuthorityFactory()},
    ),
    # Two overall results (no authority) clash even though NULLs are distinct in a plain unique index.
    unique(
        "one_overall_result_per_measure",
        _overall_result_pair,
        lambda a, b: {"authority": None},
        lambda a, b: {"authority": None, "measure": OutcomeMeasureFactory()},
    ),
]

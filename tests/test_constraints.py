"""Every CheckConstraint and UniqueConstraint in the models is kept by the database itself.

Each bad row is written with ``QuerySet.update()``, which skips ``full_clean()``, so only
the database stands in the way; the error must name the constraint (SQLite names a unique
index by its columns instead). Each case also writes a row just inside the rule, so a test
cannot pass because the row was refused for some other reason.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, ProtectedError, Value
from django.utils import timezone

from accounts.models import EnrolmentLink, Role, SecurityEvent
from evaluations.models import EvaluationStatusChange, EvidenceRating, OutcomeResult
from grants.financial_year import FinancialYear
from grants.models import GrantStatusChange, Organisation, Payment, Variation
from projects.models import MilestoneStatusChange, ProjectStatusChange
from tests.factories import (
    AllocationFactory,
    EvaluationFactory,
    EvaluationReportFactory,
    EvidenceFileFactory,
    EvidenceRatingFactory,
    GrantFactory,
    LocalAuthorityFactory,
    MilestoneFactory,
    MilestoneReviewFactory,
    MilestoneSubmissionFactory,
    OrganisationFactory,
    OutcomeMeasureFactory,
    OutcomeResultFactory,
    PaymentFactory,
    ProgrammeFactory,
    ProjectFactory,
    ProjectPartnerFactory,
    RoundFactory,
    SpendReturnFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

APPS = ("accounts", "grants", "projects", "evaluations")
day = dt.date


def model_constraints():
    return {
        constraint.name: (model, constraint)
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        for constraint in model._meta.constraints
    }


def check(name, make, bad, good, variant=""):
    return pytest.param(name, make, bad, good, id=f"{name}-{variant.replace(' ', '_')}" if variant else name)


def paid_milestone():
    return MilestoneFactory(payment_amount=D("1000.00"), allocation=AllocationFactory())


def variation():
    allocation = AllocationFactory()
    return Variation.objects.create(
        grant=allocation.grant, allocation=allocation, amount_before=allocation.amount,
        amount_after=allocation.amount - 1, reason="Recruitment slower", requested_by=UserFactory(role=Role.OFFICER),
    )


def history(model, parent):
    field = {GrantStatusChange: "grant", ProjectStatusChange: "project", MilestoneStatusChange: "milestone",
             EvaluationStatusChange: "evaluation"}[model]
    return lambda: model.objects.create(**{field: parent()}, old_status="", new_status="proposed")


CHECKS = [
    # accounts
    check("recipient_user_has_organisation", lambda: UserFactory(role=Role.RECIPIENT),
          {"organisation": None}, {"role": Role.OFFICER, "organisation": None}),
    check("user_role_valid", UserFactory, {"role": "superhero"}, {"role": Role.ADMIN}),
    check("security_event_kind_valid", lambda: SecurityEvent.objects.create(user=UserFactory(), kind="two_factor_on"),
          {"kind": "password_guessed"}, {"kind": "recovery_code_used"}),
    check("enrolment_link_expires_after_made", lambda: EnrolmentLink.new(user=UserFactory())[0],
          {"expires_at": dt.datetime(2016, 1, 1, tzinfo=dt.UTC)}, {"used_at": None}),
    # grants
    check("organisation_valid_dates_in_order", OrganisationFactory,
          {"valid_from": day(2019, 6, 2), "valid_to": day(2019, 6, 1)},
          {"valid_from": day(2019, 6, 1), "valid_to": day(2019, 6, 1)}),
    check("organisation_authority_type_only_for_local_authorities", LocalAuthorityFactory,
          {"authority_type": ""}, {"authority_type": "CC"}, "local authority without a type"),
    check("organisation_authority_type_only_for_local_authorities", LocalAuthorityFactory,
          {"authority_type": "XX"}, {"authority_type": "LBO"}, "unknown type"),
    check("organisation_authority_type_only_for_local_authorities", OrganisationFactory,
          {"authority_type": "UA"}, {"kind": "local_authority", "authority_type": "UA"}, "company with a type"),
    check("organisation_authority_type_only_for_local_authorities", OrganisationFactory,
          {"gss_code": "E10000007"}, {"kind": "local_authority", "authority_type": "CTY", "gss_code": "E10000007"},
          "company with a GSS code"),
    check("organisation_kind_valid", OrganisationFactory, {"kind": "pirate"}, {"kind": "other"}),
    check("programme_budget_not_negative", ProgrammeFactory, {"budget": D("-0.01")}, {"budget": D("0.00")}),
    check("programme_dates_in_order", ProgrammeFactory, {"start_date": day(2020, 4, 1)}, {"start_date": day(2020, 3, 31)}),
    check("round_budget_not_negative", RoundFactory, {"budget": D("-0.01")}, {"budget": D("0.00")}),
    check("round_number_positive", RoundFactory, {"number": 0}, {"number": 1}),
    check("round_dates_in_order", RoundFactory, {"start_date": day(2020, 4, 1)}, {"start_date": day(2020, 3, 31)}),
    check("grant_amount_positive", GrantFactory, {"amount_awarded": D("0.00")}, {"amount_awarded": D("0.01")}, "zero"),
    check("grant_amount_positive", GrantFactory, {"amount_awarded": D("-0.01")}, {"amount_awarded": D("0.01")}, "negative"),
    check("grant_dates_in_order", GrantFactory, {"planned_start": day(2016, 4, 1)}, {"planned_start": day(2016, 3, 31)}),
    check("grant_status_valid", GrantFactory, {"status": "lost"}, {"status": "withdrawn"}),
    check("allocation_resource_not_negative", AllocationFactory,
          {"resource": D("-0.01"), "capital": D("100.00")}, {"resource": D("0.00"), "capital": D("100.00")}),
    check("allocation_capital_not_negative", lambda: AllocationFactory(capital=D("5.00")),
          {"capital": D("-0.01")}, {"capital": D("0.00")}),
    check("allocation_not_empty", AllocationFactory,
          {"resource": D("0.00"), "capital": D("0.00")}, {"resource": D("0.01"), "capital": D("0.00")}),
    # FinancialYear itself refuses 1989, so the bad year is handed to the database as a bare number.
    check("allocation_year_sane", AllocationFactory,
          {"financial_year": Value(1989, output_field=models.IntegerField())}, {"financial_year": FinancialYear(1990)},
          "1989"),
    check("allocation_year_sane", AllocationFactory,
          {"financial_year": Value(2101, output_field=models.IntegerField())}, {"financial_year": FinancialYear(2100)},
          "2101"),
    check("payment_amount_positive", PaymentFactory, {"amount": D("0.00")}, {"amount": D("0.01")}, "zero"),
    check("payment_amount_positive", PaymentFactory, {"amount": D("-0.01")}, {"amount": D("0.01")}, "negative"),
    check("payment_kind_valid", PaymentFactory, {"kind": "gift"}, {"kind": "recovery", "recovery_reason": "overpayment"}),
    check("payment_in_advance_has_reason", PaymentFactory,
          {"in_advance": True, "advance_reason": ""},
          {"in_advance": True, "advance_reason": "Set-up costs before the first milestone"}),
    check("recovery_has_no_milestone", lambda: PaymentFactory(milestone=MilestoneFactory()),
          {"kind": "recovery", "recovery_reason": "overpayment"},
          {"kind": "recovery", "recovery_reason": "overpayment", "milestone": None}, "milestone"),
    check("recovery_has_no_milestone", lambda: PaymentFactory(in_advance=True, advance_reason="Set-up costs"),
          {"kind": "recovery", "recovery_reason": "overpayment"},
          {"kind": "recovery", "recovery_reason": "overpayment", "in_advance": False}, "in advance"),
    check("recovery_has_a_reason", PaymentFactory, {"kind": "recovery"}, {"kind": "recovery",
          "recovery_reason": "breach_of_conditions"}, "recovery without one"),
    check("recovery_has_a_reason", PaymentFactory, {"recovery_reason": "overpayment"}, {"recovery_reason": ""},
          "payment with one"),
    check("allocation_balance_not_negative", lambda: AllocationFactory().balance, {"paid": D("-0.01")},
          {"paid": D("0.00")}),
    check("allocation_balance_recovered_within_paid", lambda: AllocationFactory().balance,
          {"paid": D("10.00"), "recovered": D("10.01")}, {"paid": D("10.00"), "recovered": D("10.00")}),
    check("allocation_balance_released_within_recovered", lambda: AllocationFactory().balance,
          {"paid": D("10.00"), "recovered": D("5.00"), "released": D("5.01")},
          {"paid": D("10.00"), "recovered": D("5.00"), "released": D("5.00")}),
    check("variation_amounts_not_negative", lambda: variation(), {"amount_after": D("-0.01")},
          {"amount_after": D("0.00")}),
    check("variation_release_not_negative", lambda: variation(), {"releases_recovered": D("-0.01")},
          {"releases_recovered": D("0.00")}),
    check("variation_has_reason", lambda: variation(), {"reason": ""}, {"reason": "Recruitment slower"}),
    check("variation_status_valid", lambda: variation(),
          {"status": "maybe", "decided_by": F("requested_by"), "decided_at": timezone.now()}, {"status": "pending"}),
    check("variation_decision_has_who_and_when", lambda: variation(), {"status": "approved"},
          {"status": "approved", "decided_by": F("requested_by"), "decided_at": timezone.now()}),
    check("spend_return_quarter_1_to_4", SpendReturnFactory, {"quarter": 0}, {"quarter": 1}, "0"),
    check("spend_return_quarter_1_to_4", SpendReturnFactory, {"quarter": 5}, {"quarter": 4}, "5"),
    check("spend_return_spent_not_negative", SpendReturnFactory, {"spent": D("-0.01")}, {"spent": D("0.00")}),
    check("spend_return_forecast_not_negative", SpendReturnFactory, {"forecast": D("-0.01")}, {"forecast": D("0.00")}),
    check("spend_return_reviewed_has_time", SpendReturnFactory,
          {"status": "reviewed", "reviewed_at": timezone.now()},
          lambda row: {"status": "reviewed", "reviewed_at": timezone.now(), "reviewed_by": UserFactory()}),
    check("grants_grantstatuschange_is_a_change", history(GrantStatusChange, GrantFactory),
          {"old_status": "proposed"}, {"old_status": "awarded"}),
    # projects
    check("projects_projectstatuschange_is_a_change", history(ProjectStatusChange, ProjectFactory),
          {"old_status": "proposed"}, {"old_status": "active"}),
    check("projects_milestonestatuschange_is_a_change", history(MilestoneStatusChange, MilestoneFactory),
          {"old_status": "proposed"}, {"old_status": "planned"}),
    check("project_dates_in_order", ProjectFactory, {"start_date": day(2016, 4, 1)}, {"start_date": day(2016, 3, 31)}),
    check("project_status_valid", ProjectFactory, {"status": "lost"}, {"status": "withdrawn"}),
    check("project_rag_valid", ProjectFactory,
          {"rag": "blue", "rag_reason": "On track"}, {"rag": "amber", "rag_reason": "Recruitment is late"}),
    check("project_rag_has_reason", ProjectFactory, {"rag": "red"}, {"rag": "red", "rag_reason": "Recruitment is late"}),
    check("project_partner_role_valid", ProjectPartnerFactory, {"role": "sponsor"}, {"role": "delivery_partner"}),
    check("milestone_status_valid", MilestoneFactory, {"status": "late"}, {"status": "returned"}),
    check("milestone_payment_positive", paid_milestone, {"payment_amount": D("0.00")}, {"payment_amount": D("0.01")}),
    check("milestone_payment_needs_allocation", paid_milestone,
          {"allocation": None}, {"allocation": None, "payment_amount": None}, "amount without allocation"),
    check("milestone_payment_needs_allocation", MilestoneFactory,
          lambda row: {"allocation": AllocationFactory()},
          lambda row: {"allocation": AllocationFactory(), "payment_amount": D("500.00")}, "allocation without amount"),
    check("submission_has_narrative", MilestoneSubmissionFactory, {"narrative": ""}, {"narrative": "Done."}),
    check("evidence_file_not_empty", EvidenceFileFactory, {"size_bytes": 0}, {"size_bytes": 1}),
    check("review_decision_valid", MilestoneReviewFactory,
          {"decision": "maybe", "reason": "Unsure"}, {"decision": "returned", "reason": "The attendance figures are missing"}),
    check("returned_review_has_reason", MilestoneReviewFactory,
          {"decision": "returned"}, {"decision": "returned", "reason": "The attendance figures are missing"}),
    # evaluations
    check("measure_unit_valid", OutcomeMeasureFactory, {"unit": "furlongs"}, {"unit": "days"}),
    check("measure_direction_valid", OutcomeMeasureFactory, {"direction": "up"}, {"direction": "higher"}),
    # evaluations (issue 6): only a measure in numbers counts children, families or cases
    check("measure_count_is_a_number", OutcomeMeasureFactory, {"is_count": True},
          {"is_count": True, "unit": "number"}),
    check("evaluations_evaluationstatuschange_is_a_change", history(EvaluationStatusChange, EvaluationFactory),
          {"old_status": "proposed"}, {"old_status": "planned"}),
    check("evaluation_design_valid", EvaluationFactory, {"design": "astrology"}, {"design": "rct"}),
    check("evaluation_status_valid", EvaluationFactory, {"status": "abandoned"}, {"status": "final"}),
    check("evaluation_dates_in_order", EvaluationFactory,
          {"start_date": day(2017, 1, 2), "end_date": day(2017, 1, 1)},
          {"start_date": day(2017, 1, 1), "end_date": day(2017, 1, 1)}),
    check("report_kind_valid", EvaluationReportFactory, {"kind": "draft"}, {"kind": "technical"}),
    check("rating_value_on_its_scale", EvidenceRatingFactory, {"value": "6"}, {"value": "5"}, "off the scale"),
    check("rating_value_on_its_scale", EvidenceRatingFactory,
          {"value": "strong"}, {"scale": "wwcsc_strength", "value": "strong"}, "value of another scale"),
    check("rating_value_on_its_scale", EvidenceRatingFactory,
          {"scale": "stars"}, {"scale": "wwcsc_effectiveness", "value": "harmful"}, "unknown scale"),
    check("rating_has_rationale", EvidenceRatingFactory, {"rationale": ""}, {"rationale": "Randomised."}),
    check("result_baseline_period_in_order", OutcomeResultFactory,
          {"baseline_period_start": day(2014, 4, 1)}, {"baseline_period_start": day(2014, 3, 31)}),
    check("result_followup_after_baseline", OutcomeResultFactory,
          {"followup_period_start": day(2014, 3, 31), "followup_period_end": day(2015, 3, 31)},
          {"followup_period_start": day(2014, 4, 1), "followup_period_end": day(2015, 3, 31)}, "overlaps baseline"),
    check("result_followup_after_baseline", OutcomeResultFactory,
          {"followup_period_start": day(2015, 4, 2), "followup_period_end": day(2015, 4, 1)},
          {"followup_period_start": day(2015, 4, 1), "followup_period_end": day(2015, 4, 1)}, "ends before it starts"),
    check("result_followup_value_has_period", OutcomeResultFactory,
          {"followup_value": D("30")},
          {"followup_value": D("30"), "followup_period_start": day(2015, 4, 1), "followup_period_end": day(2016, 3, 31)}),
    check("result_values_not_negative", OutcomeResultFactory,
          {"baseline_value": D("-0.0001")}, {"baseline_value": D("0")}, "baseline"),
    check("result_values_not_negative", OutcomeResultFactory,
          {"target_value": D("-0.0001")}, {"target_value": D("0")}, "target"),
    check("result_values_not_negative", OutcomeResultFactory,
          {"comparison_value": D("-0.0001")}, {"comparison_value": D("0")}, "comparison"),
    check("result_values_not_negative", OutcomeResultFactory,
          {"followup_value": D("-0.0001"), "followup_period_start": day(2015, 4, 1), "followup_period_end": day(2016, 3, 31)},
          {"followup_value": D("0"), "followup_period_start": day(2015, 4, 1), "followup_period_end": day(2016, 3, 31)},
          "follow-up"),
    check("result_effect_inside_confidence_interval", OutcomeResultFactory,
          {"effect_size": D("-0.2001"), "ci_lower": D("-0.2"), "ci_upper": D("0.3")},
          {"effect_size": D("-0.2"), "ci_lower": D("-0.2"), "ci_upper": D("0.3")}, "below"),
    check("result_effect_inside_confidence_interval", OutcomeResultFactory,
          {"effect_size": D("0.3001"), "ci_lower": D("-0.2"), "ci_upper": D("0.3")},
          {"effect_size": D("0.3"), "ci_lower": D("-0.2"), "ci_upper": D("0.3")}, "above"),
    check("result_effect_inside_confidence_interval", OutcomeResultFactory,
          {"ci_lower": D("-0.2"), "ci_upper": D("0.3")},
          {"effect_size": D("0.1"), "ci_lower": D("-0.2"), "ci_upper": D("0.3")}, "interval without an effect"),
    check("result_p_value_0_to_1", OutcomeResultFactory, {"p_value": D("-0.00001")}, {"p_value": D("0")}, "below 0"),
    check("result_p_value_0_to_1", OutcomeResultFactory, {"p_value": D("1.00001")}, {"p_value": D("1")}, "above 1"),
    check("result_significance_valid", OutcomeResultFactory, {"significance": "very"}, {"significance": "significant"}),
]


def unique(name, make_pair, clash, distinct):
    return pytest.param(name, make_pair, clash, distinct, id=name)


def _gss_pair():
    LocalAuthorityFactory(gss_code="")
    return LocalAuthorityFactory(), LocalAuthorityFactory()


def _ggis_pair():
    GrantFactory(ggis_award_reference="")
    return GrantFactory(ggis_award_reference="G-1"), GrantFactory(ggis_award_reference="G-2")


def _round_pair():
    first = RoundFactory(number=1)
    return first, RoundFactory(programme=first.programme, number=2)


def _allocation_pair():
    first = AllocationFactory(financial_year=FinancialYear(2015))
    return first, AllocationFactory(grant=first.grant, recipient=first.recipient, financial_year=FinancialYear(2016))


def _milestone_payment_pair():
    first = PaymentFactory(milestone=MilestoneFactory())
    return first, PaymentFactory(allocation=first.allocation)


def _spend_return_pair():
    first = SpendReturnFactory(quarter=1)
    return first, SpendReturnFactory(allocation=first.allocation, quarter=2)


def _partner_pair():
    first = ProjectPartnerFactory()
    return first, ProjectPartnerFactory(project=first.project)


def _rating_pair():
    first = EvidenceRatingFactory()
    return first, EvidenceRatingFactory(evaluation=first.evaluation, scale="wwcsc_strength", value="moderate")


def _authority_result_pair():
    first = OutcomeResultFactory(authority=LocalAuthorityFactory())
    return first, OutcomeResultFactory(evaluation=first.evaluation, measure=first.measure, authority=LocalAuthorityFactory())


def _overall_result_pair():
    first = OutcomeResultFactory(authority=None)
    return first, OutcomeResultFactory(evaluation=first.evaluation, measure=first.measure, authority=LocalAuthorityFactory())


UNIQUES = [
    # A blank GSS code or GGIS reference may repeat; a real one may not.
    unique("organisation_gss_code_unique", _gss_pair, lambda a, b: {"gss_code": a.gss_code}, lambda a, b: {"gss_code": ""}),
    unique("grant_ggis_reference_unique", _ggis_pair,
           lambda a, b: {"ggis_award_reference": "G-1"}, lambda a, b: {"ggis_award_reference": ""}),
    unique("round_number_unique_in_programme", _round_pair,
           lambda a, b: {"number": 1}, lambda a, b: {"number": 1, "programme": ProgrammeFactory()}),
    unique("allocation_one_per_recipient_and_year", _allocation_pair,
           lambda a, b: {"financial_year": FinancialYear(2015)},
           lambda a, b: {"financial_year": FinancialYear(2015), "recipient": OrganisationFactory()}),
    unique("milestone_paid_once", _milestone_payment_pair,
           lambda a, b: {"milestone": a.milestone}, lambda a, b: {"milestone": MilestoneFactory()}),
    unique("spend_return_one_per_quarter", _spend_return_pair,
           lambda a, b: {"quarter": 1}, lambda a, b: {"quarter": 1, "allocation": AllocationFactory()}),
    unique("project_partner_once", _partner_pair,
           lambda a, b: {"organisation": a.organisation},
           lambda a, b: {"organisation": a.organisation, "project": ProjectFactory()}),
    unique("one_rating_per_scale", _rating_pair,
           lambda a, b: {"scale": a.scale, "value": a.value},
           lambda a, b: {"scale": a.scale, "value": a.value, "evaluation": EvaluationFactory()}),
    unique("one_result_per_measure_and_authority", _authority_result_pair,
           lambda a, b: {"authority": a.authority}, lambda a, b: {"authority": LocalAuthorityFactory()}),
    # Two overall results (no authority) clash even though NULLs are distinct in a plain unique index.
    unique("one_overall_result_per_measure", _overall_result_pair,
           lambda a, b: {"authority": None}, lambda a, b: {"authority": None, "measure": OutcomeMeasureFactory()}),
]


def resolve(values, row):
    return values(row) if callable(values) else values


def assert_stored(row, values):
    row.refresh_from_db()
    for field, value in values.items():
        if not hasattr(value, "resolve_expression"):
            assert getattr(row, field) == value, field


def assert_names(error, name):
    """The error comes from this constraint, not from some other rule the row broke."""
    message = str(error)
    model, constraint = model_constraints()[name]
    if connection.vendor == "sqlite" and isinstance(constraint, models.UniqueConstraint):
        table = model._meta.db_table
        columns = ", ".join(f"{table}.{model._meta.get_field(f).column}" for f in constraint.fields)
        assert f"UNIQUE constraint failed: {columns}" in message
    else:
        assert name in message


@pytest.mark.parametrize("name, make, bad, good", CHECKS)
def test_the_database_refuses_a_row_that_breaks_a_check(name, make, bad, good):
    row = make()
    rows = type(row)._base_manager.filter(pk=row.pk)

    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        rows.update(**resolve(bad, row))
    assert_names(refused.value, name)

    good = resolve(good, row)
    assert rows.update(**good) == 1
    assert_stored(row, good)


@pytest.mark.parametrize("name, make_pair, clash, distinct", UNIQUES)
def test_the_database_refuses_a_duplicate(name, make_pair, clash, distinct):
    first, second = make_pair()
    rows = type(second)._base_manager.filter(pk=second.pk)

    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        rows.update(**clash(first, second))
    assert_names(refused.value, name)

    good = distinct(first, second)
    assert rows.update(**good) == 1
    assert_stored(second, good)


def test_bulk_create_cannot_slip_past_a_constraint_either():
    allocation = AllocationFactory()
    rows = [Payment(allocation=allocation, amount=D("0.01"), paid_on=day(2015, 6, 30)),
            Payment(allocation=allocation, amount=D("0.00"), paid_on=day(2015, 6, 30))]

    with pytest.raises(IntegrityError, match="payment_amount_positive"), transaction.atomic():
        Payment.objects.bulk_create(rows)
    assert not Payment.objects.exists()

    Payment.objects.bulk_create(rows[:1])
    assert Payment.objects.get().amount == D("0.01")


def test_every_model_constraint_has_a_case_here():
    covered = {param.values[0] for param in CHECKS + UNIQUES}
    kinds = {name: type(constraint) for name, (model, constraint) in model_constraints().items()}
    assert covered == set(kinds)
    for param in CHECKS:
        assert kinds[param.values[0]] is models.CheckConstraint
    for param in UNIQUES:
        assert kinds[param.values[0]] is models.UniqueConstraint


# A CHECK passes when its condition is NULL (unknown), so conditions comparing nullable
# columns must say both ends are set, or half a period or half an interval slips through.
def test_a_follow_up_period_needs_both_ends():
    result = OutcomeResultFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        OutcomeResult.objects.filter(pk=result.pk).update(followup_period_end=day(2016, 3, 31), followup_value=D("30"))


def test_a_confidence_interval_needs_both_bounds():
    result = OutcomeResultFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        OutcomeResult.objects.filter(pk=result.pk).update(effect_size=D("0.5"), ci_lower=D("0.1"))


class TestProtect:
    """Rows that money hangs from cannot be deleted while anything points at them."""

    def test_an_organisation_with_a_grant(self):
        grant = GrantFactory(recipient=OrganisationFactory())
        with pytest.raises(ProtectedError) as refused:
            grant.recipient.delete()
        assert grant in refused.value.protected_objects
        assert Organisation.objects.filter(pk=grant.recipient_id).exists()

    def test_a_grant_with_allocations(self):
        allocation = AllocationFactory()
        with pytest.raises(ProtectedError) as refused:
            allocation.grant.delete()
        assert set(refused.value.protected_objects) == {allocation}
        allocation.grant.refresh_from_db()

    def test_an_allocation_with_payments(self):
        payment = PaymentFactory()
        with pytest.raises(ProtectedError) as refused:
            payment.allocation.delete()
        assert set(refused.value.protected_objects) == {payment}
        payment.allocation.refresh_from_db()

    def test_an_allocation_without_payments_is_not_held_by_protect(self):
        # The control for the case above: PROTECT, not something else, held the allocation.
        allocation = AllocationFactory()
        allocation.delete()
        assert allocation.pk is None


def test_evidence_rating_values_in_the_constraint_match_the_model():
    # The check lists each scale's values by hand; they must be those the form offers.
    condition = model_constraints()["rating_value_on_its_scale"][1].condition
    listed = {child.children[0][1]: set(child.children[1][1]) for child in condition.children}
    assert listed == {scale: {value for value, label in values} for scale, values in EvidenceRating.VALUES.items()}


def test_a_milestone_payment_comes_from_its_own_organisations_allocation_in_its_project(world):
    from django.core.exceptions import ValidationError

    milestone = world.derbyshire_milestone
    milestone.allocation = world.allocations["GB-LAE-HRW"]
    with pytest.raises(ValidationError, match="organisation that delivers it"):
        milestone.full_clean()
    milestone.allocation = world.other_allocation
    milestone.organisation = world.kent
    with pytest.raises(ValidationError, match="allocation of this project"):
        milestone.full_clean()
    milestone.refresh_from_db()
    milestone.full_clean()

"""The cases of the accounts' and the money's constraints (accounts and grants)."""

import datetime as dt
from decimal import Decimal as D

from django.db import models
from django.db.models import F, Value
from django.utils import timezone

from accounts.models import EnrolmentLink, Role, SecurityEvent
from grants.financial_year import FinancialYear
from grants.models import GrantStatusChange, Variation
from tests.constraints.cases import check, history, unique
from tests.factories import (
    AllocationFactory,
    GrantFactory,
    LocalAuthorityFactory,
    MilestoneFactory,
    OrganisationFactory,
    PaymentFactory,
    ProgrammeFactory,
    RoundFactory,
    SourceFactory,
    SpendReturnFactory,
    UserFactory,
)

day = dt.date


def variation():
    allocation = AllocationFactory()
    return Variation.objects.create(
        grant=allocation.grant,
        allocation=allocation,
        amount_before=allocation.amount,
        amount_after=allocation.amount - 1,
        reason="Recruitment slower",
        requested_by=UserFactory(role=Role.OFFICER),
    )


CHECKS = [
    # accounts
    check(
        "recipient_user_has_organisation",
        lambda: UserFactory(role=Role.RECIPIENT),
        {"organisation": None},
        {"role": Role.OFFICER, "organisation": None},
    ),
    check("user_role_valid", UserFactory, {"role": "superhero"}, {"role": Role.ADMIN}),
    check(
        "security_event_kind_valid",
        lambda: SecurityEvent.objects.create(user=UserFactory(), kind="two_factor_on"),
        {"kind": "password_guessed"},
        {"kind": "recovery_code_used"},
    ),
    check(
        "enrolment_link_expires_after_made",
        lambda: EnrolmentLink.new(user=UserFactory())[0],
        {"expires_at": dt.datetime(2016, 1, 1, tzinfo=dt.UTC)},
        {"used_at": None},
    ),
    # grants
    check(
        "organisation_valid_dates_in_order",
        OrganisationFactory,
        {"valid_from": day(2019, 6, 2), "valid_to": day(2019, 6, 1)},
        {"valid_from": day(2019, 6, 1), "valid_to": day(2019, 6, 1)},
    ),
    check(
        "organisation_authority_type_only_for_local_authorities",
        LocalAuthorityFactory,
        {"authority_type": ""},
        {"authority_type": "CC"},
        "local authority without a type",
    ),
    check(
        "organisation_authority_type_only_for_local_authorities",
        LocalAuthorityFactory,
        {"authority_type": "XX"},
        {"authority_type": "LBO"},
        "unknown type",
    ),
    check(
        "organisation_authority_type_only_for_local_authorities",
        OrganisationFactory,
        {"authority_type": "UA"},
        {"kind": "local_authority", "authority_type": "UA"},
        "company with a type",
    ),
    check(
        "organisation_authority_type_only_for_local_authorities",
        OrganisationFactory,
        {"gss_code": "E10000007"},
        {"kind": "local_authority", "authority_type": "CTY", "gss_code": "E10000007"},
        "company with a GSS code",
    ),
    check("organisation_kind_valid", OrganisationFactory, {"kind": "pirate"}, {"kind": "other"}),
    check("programme_budget_not_negative", ProgrammeFactory, {"budget": D("-0.01")}, {"budget": D("0.00")}),
    check(
        "programme_dates_in_order", ProgrammeFactory, {"start_date": day(2020, 4, 1)}, {"start_date": day(2020, 3, 31)}
    ),
    check("round_budget_not_negative", RoundFactory, {"budget": D("-0.01")}, {"budget": D("0.00")}),
    check("round_number_positive", RoundFactory, {"number": 0}, {"number": 1}),
    check("round_dates_in_order", RoundFactory, {"start_date": day(2020, 4, 1)}, {"start_date": day(2020, 3, 31)}),
    check("grant_amount_positive", GrantFactory, {"amount_awarded": D("0.00")}, {"amount_awarded": D("0.01")}, "zero"),
    check(
        "grant_amount_positive", GrantFactory, {"amount_awarded": D("-0.01")}, {"amount_awarded": D("0.01")}, "negative"
    ),
    check(
        "grant_dates_in_order", GrantFactory, {"planned_start": day(2016, 4, 1)}, {"planned_start": day(2016, 3, 31)}
    ),
    check("grant_status_valid", GrantFactory, {"status": "lost"}, {"status": "withdrawn"}),
    check(
        "allocation_resource_not_negative",
        AllocationFactory,
        {"resource": D("-0.01"), "capital": D("100.00")},
        {"resource": D("0.00"), "capital": D("100.00")},
    ),
    check(
        "allocation_capital_not_negative",
        lambda: AllocationFactory(capital=D("5.00")),
        {"capital": D("-0.01")},
        {"capital": D("0.00")},
    ),
    check(
        "allocation_not_empty",
        AllocationFactory,
        {"resource": D("0.00"), "capital": D("0.00")},
        {"resource": D("0.01"), "capital": D("0.00")},
    ),
    # FinancialYear itself refuses 1989, so the bad year is handed to the database as a bare number.
    check(
        "allocation_year_sane",
        AllocationFactory,
        {"financial_year": Value(1989, output_field=models.IntegerField())},
        {"financial_year": FinancialYear(1990)},
        "1989",
    ),
    check(
        "allocation_year_sane",
        AllocationFactory,
        {"financial_year": Value(2101, output_field=models.IntegerField())},
        {"financial_year": FinancialYear(2100)},
        "2101",
    ),
    check("payment_amount_positive", PaymentFactory, {"amount": D("0.00")}, {"amount": D("0.01")}, "zero"),
    check("payment_amount_positive", PaymentFactory, {"amount": D("-0.01")}, {"amount": D("0.01")}, "negative"),
    check(
        "payment_kind_valid", PaymentFactory, {"kind": "gift"}, {"kind": "recovery", "recovery_reason": "overpayment"}
    ),
    check(
        "payment_in_advance_has_reason",
        PaymentFactory,
        {"in_advance": True, "advance_reason": ""},
        {"in_advance": True, "advance_reason": "Set-up costs before the first milestone"},
    ),
    check(
        "recovery_has_no_milestone",
        lambda: PaymentFactory(milestone=MilestoneFactory()),
        {"kind": "recovery", "recovery_reason": "overpayment"},
        {"kind": "recovery", "recovery_reason": "overpayment", "milestone": None},
        "milestone",
    ),
    check(
        "recovery_has_no_milestone",
        lambda: PaymentFactory(in_advance=True, advance_reason="Set-up costs"),
        {"kind": "recovery", "recovery_reason": "overpayment"},
        {"kind": "recovery", "recovery_reason": "overpayment", "in_advance": False},
        "in advance",
    ),
    check(
        "recovery_has_a_reason",
        PaymentFactory,
        {"kind": "recovery"},
        {"kind": "recovery", "recovery_reason": "breach_of_conditions"},
        "recovery without one",
    ),
    check(
        "recovery_has_a_reason",
        PaymentFactory,
        {"recovery_reason": "overpayment"},
        {"recovery_reason": ""},
        "payment with one",
    ),
    check(
        "allocation_balance_not_negative",
        lambda: AllocationFactory().balance,
        {"paid": D("-0.01")},
        {"paid": D("0.00")},
    ),
    check(
        "allocation_balance_recovered_within_paid",
        lambda: AllocationFactory().balance,
        {"paid": D("10.00"), "recovered": D("10.01")},
        {"paid": D("10.00"), "recovered": D("10.00")},
    ),
    check(
        "allocation_balance_released_within_recovered",
        lambda: AllocationFactory().balance,
        {"paid": D("10.00"), "recovered": D("5.00"), "released": D("5.01")},
        {"paid": D("10.00"), "recovered": D("5.00"), "released": D("5.00")},
    ),
    check(
        "variation_amounts_not_negative", lambda: variation(), {"amount_after": D("-0.01")}, {"amount_after": D("0.00")}
    ),
    check(
        "variation_release_not_negative",
        lambda: variation(),
        {"releases_recovered": D("-0.01")},
        {"releases_recovered": D("0.00")},
    ),
    check("variation_has_reason", lambda: variation(), {"reason": ""}, {"reason": "Recruitment slower"}),
    check(
        "variation_status_valid",
        lambda: variation(),
        {"status": "maybe", "decided_by": F("requested_by"), "decided_at": timezone.now()},
        {"status": "pending"},
    ),
    check(
        "variation_decision_has_who_and_when",
        lambda: variation(),
        {"status": "approved"},
        {"status": "approved", "decided_by": F("requested_by"), "decided_at": timezone.now()},
    ),
    check("spend_return_quarter_1_to_4", SpendReturnFactory, {"quarter": 0}, {"quarter": 1}, "0"),
    check("spend_return_quarter_1_to_4", SpendReturnFactory, {"quarter": 5}, {"quarter": 4}, "5"),
    check("spend_return_spent_not_negative", SpendReturnFactory, {"spent": D("-0.01")}, {"spent": D("0.00")}),
    check("spend_return_forecast_not_negative", SpendReturnFactory, {"forecast": D("-0.01")}, {"forecast": D("0.00")}),
    check(
        "spend_return_reviewed_has_time",
        SpendReturnFactory,
        {"status": "reviewed", "reviewed_at": timezone.now()},
        lambda row: {"status": "reviewed", "reviewed_at": timezone.now(), "reviewed_by": UserFactory()},
    ),
    check(
        "grants_grantstatuschange_is_a_change",
        history(GrantStatusChange, GrantFactory),
        {"old_status": "proposed"},
        {"old_status": "awarded"},
    ),
]


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


def _source_pair():
    return SourceFactory(), SourceFactory()


UNIQUES = [
    unique(
        "one_source_per_publication",
        _source_pair,
        lambda a, b: {"title": a.title},
        lambda a, b: {"title": a.title, "published_on": dt.date(2018, 7, 1)},
    ),
    # A blank GSS code or GGIS reference may repeat; a real one may not.
    unique(
        "organisation_gss_code_unique", _gss_pair, lambda a, b: {"gss_code": a.gss_code}, lambda a, b: {"gss_code": ""}
    ),
    unique(
        "grant_ggis_reference_unique",
        _ggis_pair,
        lambda a, b: {"ggis_award_reference": "G-1"},
        lambda a, b: {"ggis_award_reference": ""},
    ),
    unique(
        "round_number_unique_in_programme",
        _round_pair,
        lambda a, b: {"number": 1},
        lambda a, b: {"number": 1, "programme": ProgrammeFactory()},
    ),
    unique(
        "allocation_one_per_recipient_and_year",
        _allocation_pair,
        lambda a, b: {"financial_year": FinancialYear(2015)},
        lambda a, b: {"financial_year": FinancialYear(2015), "recipient": OrganisationFactory()},
    ),
    unique(
        "milestone_paid_once",
        _milestone_payment_pair,
        lambda a, b: {"milestone": a.milestone},
        lambda a, b: {"milestone": MilestoneFactory()},
    ),
    unique(
        "spend_return_one_per_quarter",
        _spend_return_pair,
        lambda a, b: {"quarter": 1},
        lambda a, b: {"quarter": 1, "allocation": AllocationFactory()},
    ),
]

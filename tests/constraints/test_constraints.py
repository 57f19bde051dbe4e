"""Every CheckConstraint and UniqueConstraint in the models is kept by the database itself.

Each bad row is written with ``QuerySet.update()``, which skips ``full_clean()``, so only
the database stands in the way; the error must name the constraint (SQLite names a unique
index by its columns instead). Each case also writes a row just inside the rule, so a test
cannot pass because the row was refused for some other reason.

The cases are in tests/constraints/money.py (accounts and grants) and
tests/constraints/projects_and_evaluations.py (projects and evaluations).
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import ProtectedError

from evaluations.models import EvidenceRating, OutcomeResult
from grants.models import Organisation, Payment
from tests.constraints import money, projects_and_evaluations
from tests.factories import AllocationFactory, GrantFactory, OrganisationFactory, OutcomeResultFactory, PaymentFactory

pytestmark = pytest.mark.django_db

APPS = ("accounts", "grants", "projects", "evaluations")
CHECKS = money.CHECKS + projects_and_evaluations.CHECKS
UNIQUES = money.UNIQUES + projects_and_evaluations.UNIQUES
day = dt.date


def model_constraints():
    return {
        constraint.name: (model, constraint)
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        for constraint in model._meta.constraints
    }


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
    rows = [
        Payment(allocation=allocation, amount=D("0.01"), paid_on=day(2015, 6, 30)),
        Payment(allocation=allocation, amount=D("0.00"), paid_on=day(2015, 6, 30)),
    ]

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

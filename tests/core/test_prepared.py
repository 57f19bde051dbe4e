"""core.prepared: a query compiled once for each connection gives, for each key, the row the queryset
itself gives, with the same types; the money module's ledger row is read through it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, F, OuterRef, Q

from core.prepared import Prepared
from grants import money, services
from grants.models import Allocation, Payment


def _counting(build):
    calls = []

    def counted(key):
        calls.append(key)
        return build(key)

    return counted, calls


def _with_payments(key):
    payments = Payment.objects.filter(allocation=OuterRef("pk"))
    return (
        Allocation.objects.filter(pk=key)
        .annotate(paid=money.sum_subquery(payments, F("amount")), grant_title=F("grant__title"))
        .values("pk", "resource", "paid", "grant_title")
    )


def test_each_key_gets_its_own_row_as_the_queryset_gives_it_from_one_compiled_query(world, django_assert_num_queries):
    derbyshire, harrow = world.allocations["GB-LAE-DBY"], world.allocations["GB-LAE-HRW"]
    services.record_payment(
        allocation=derbyshire, amount=Decimal("1234.56"), paid_on=dt.date(2015, 10, 1), by=world.users.finance
    )
    build, calls = _counting(_with_payments)
    prepared = Prepared(build)
    with django_assert_num_queries(3):
        rows = [prepared.row(derbyshire.pk), prepared.row(harrow.pk), prepared.row(derbyshire.pk)]
    assert calls == [Prepared.STAND_IN]  # compiled once, then only run
    assert rows[0] == {"pk": derbyshire.pk, "resource": Decimal("300000.00"), "paid": Decimal("1234.56"),
                       "grant_title": "Reclaiming Social Work"}  # fmt: skip
    assert rows[1]["paid"] == Decimal("0.00") and rows[1]["pk"] == harrow.pk
    assert rows[2] == rows[0]
    for row in rows[:2]:
        expected = _with_payments(row["pk"]).get()
        assert [(key, value, type(value)) for key, value in row.items()] == [
            (key, value, type(value)) for key, value in expected.items()
        ]


def test_a_key_with_no_row_is_the_models_does_not_exist(world):
    with pytest.raises(Allocation.DoesNotExist):
        Prepared(_with_payments).row(987_654)


def test_a_query_that_holds_the_key_twice_is_refused_when_compiled(world):
    twice = Prepared(lambda key: Allocation.objects.filter(Q(pk=key) | Q(grant_id=key)).values("pk"))
    with pytest.raises(ValueError, match="2 times"):
        twice.row(world.allocations["GB-LAE-DBY"].pk)


def test_the_ledger_row_is_the_one_the_orm_gives_for_every_allocation_after_money_moves(world):
    derbyshire = world.allocations["GB-LAE-DBY"]
    services.record_payment(
        allocation=derbyshire, amount=Decimal("5000.01"), paid_on=dt.date(2015, 10, 1), by=world.users.finance
    )
    for allocation in Allocation.objects.annotate(n=Count("pk")):
        assert money._ledger_row(allocation.pk) == money._ledger_row_query(allocation.pk).get()
    assert money.ledger_figures(derbyshire.pk).paid == Decimal("5000.01")
    assert money.ledger_figures(world.allocations["GB-LAE-HRW"].pk).paid == Decimal("0.00")

"""Many spend returns at once (a spreadsheet): the rules of one return sent by the form, checked for every
entry before anything is written, then one bulk write with its history rows and balances, in a number of
queries that does not grow with the entries."""

import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from grants import money, reconciliation
from grants.financial_year import FinancialYear
from grants.models import Allocation, AllocationBalance, SpendReturn
from grants.spend_returns import ReturnEntry, review_spend_return, save_spend_returns, submit_spend_return
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def allocations_for(world, count, *, kept=True):
    """``count`` allocations of the world's grant, each to its own organisation, for 2015-16, with their
    balances kept (as the services keep them) unless ``kept`` is false."""
    allocations = [
        Allocation.objects.create(
            grant=world.grant,
            recipient=OrganisationFactory(),
            financial_year=FinancialYear(2015),
            resource=D("10000.00"),
        )
        for _ in range(count)
    ]
    for allocation in allocations if kept else ():
        money.refresh_balance(allocation.pk)
    return allocations


def entries_for(allocations, *, quarter=1):
    return [
        ReturnEntry(allocation=a, quarter=quarter, spent=D("100.01") * (n + 1), forecast=D("900.10"))
        for n, a in enumerate(allocations)
    ]


def queries_to_save(world, allocations):
    with CaptureQueriesContext(connection) as queries:
        assert save_spend_returns(by=world.users.officer, entries=entries_for(allocations)) == {}
    return len(queries)


def test_the_queries_do_not_grow_with_the_entries(world):
    few = queries_to_save(world, allocations_for(world, 3))
    many = queries_to_save(world, allocations_for(world, 30))
    assert many == few, (few, many)
    assert SpendReturn.objects.count() == 33


def test_each_return_is_written_to_the_penny_with_its_history_and_balance(world):
    allocations = allocations_for(world, 4)
    # One of them already has a return waiting: it is corrected, not duplicated.
    first = submit_spend_return(
        allocation=allocations[0], by=world.users.officer, quarter=1, spent=D("5.00"), forecast=D("6.00")
    )
    entries = entries_for(allocations, quarter=2) + [
        ReturnEntry(
            allocation=allocations[0], quarter=1, spent=D("7.77"), forecast=D("8.88"), comment=" fixed ", current=first
        )
    ]
    assert save_spend_returns(by=world.users.officer, entries=entries) == {}

    assert SpendReturn.objects.filter(allocation__in=allocations).count() == 5
    first.refresh_from_db()
    assert (first.spent, first.forecast, first.comment) == (D("7.77"), D("8.88"), "fixed")
    for n, allocation in enumerate(allocations):
        new = SpendReturn.objects.get(allocation=allocation, quarter=2)
        assert (new.spent, new.forecast, new.submitted_by) == (D("100.01") * (n + 1), D("900.10"), world.users.officer)
        (created,) = new.history.all()
        assert (created.history_type, created.history_user) == ("+", world.users.officer)
        balance = allocation.balance
        balance.refresh_from_db()
        assert balance.forecast == D("900.10")  # the latest quarter's forecast
    assert allocations[0].balance.spent == D("107.78")  # 7.77 in Q1 and 100.01 in Q2
    assert [h.history_type for h in first.history.order_by("history_date", "history_id")] == ["+", "~"]
    assert first.history.latest("history_date").history_user == world.users.officer
    assert reconciliation.balances_out_of_step(Allocation.objects.filter(pk__in=[a.pk for a in allocations])) == []


def test_a_balance_not_yet_kept_is_made_from_all_the_rows(world):
    (allocation,) = allocations_for(world, 1, kept=False)
    assert not AllocationBalance.objects.filter(allocation=allocation).exists()
    assert save_spend_returns(by=world.users.officer, entries=entries_for([allocation])) == {}
    assert money.ledger_figures(allocation.pk).spent == D("100.01")
    assert Allocation.objects.get(pk=allocation.pk).balance.spent == D("100.01")


def test_one_refused_entry_writes_nothing_and_names_each_refusal(world):
    allocations = allocations_for(world, 3)
    entries = entries_for(allocations)
    entries[1].spent = D("-1.00")
    entries[2].quarter = 4  # Q4 of 2015-16 began in January 2016: allowed
    entries.append(ReturnEntry(allocation=allocations[0], quarter=1, spent=D("1.00"), forecast=D("1.00")))
    refused = save_spend_returns(by=world.users.officer, entries=entries)
    assert sorted(refused) == [1]
    assert "The amount spent must be £0 or more" in refused[1].messages
    assert not SpendReturn.objects.filter(allocation__in=allocations).exists()


def test_a_return_made_since_the_file_was_checked_refuses_the_entry_under_the_lock(world):
    allocations = allocations_for(world, 2)
    entries = entries_for(allocations)
    # Sent by the form between the preview of the file and its confirmation.
    submit_spend_return(
        allocation=allocations[1], by=world.users.officer, quarter=1, spent=D("3.00"), forecast=D("4.00")
    )
    refused = save_spend_returns(by=world.users.officer, entries=entries)
    assert list(refused) == [1]
    assert "has already been made: change that one instead" in refused[1].messages[0]
    assert SpendReturn.objects.filter(allocation__in=allocations).count() == 1
    assert SpendReturn.objects.get(allocation=allocations[1]).spent == D("3.00")


def test_a_return_reviewed_since_the_file_was_checked_is_not_changed(world):
    (allocation,) = allocations_for(world, 1)
    sent = submit_spend_return(
        allocation=allocation, by=world.users.officer, quarter=1, spent=D("3.00"), forecast=D("4.00")
    )
    review_spend_return(spend_return=sent, by=world.users.officer)
    entry = ReturnEntry(allocation=allocation, quarter=1, spent=D("9.00"), forecast=D("9.00"), current=sent)
    refused = save_spend_returns(by=world.users.officer, entries=[entry])
    assert refused[0].messages == ["This return has been reviewed, so it can no longer be changed"]
    sent.refresh_from_db()
    assert sent.spent == D("3.00")


def test_a_council_cannot_send_another_organisations_return(world):
    allocation = world.allocations["GB-LAE-HRW"]
    refused = save_spend_returns(by=world.users.derbyshire, entries=entries_for([allocation]))
    assert "Only the organisation that receives this allocation" in str(refused[0])
    assert not SpendReturn.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_forms_return_and_a_spreadsheet_for_the_same_quarter_sent_at_once_make_one(world):
    allocations = allocations_for(world, 5)
    barrier = threading.Barrier(2)
    outcomes = {}

    def by_form():
        try:
            barrier.wait()
            submit_spend_return(
                allocation=allocations[2], by=world.users.officer, quarter=1, spent=D("1.00"), forecast=D("1.00")
            )
            outcomes["form"] = "made"
        except ValidationError as error:
            outcomes["form"] = " ".join(error.messages)
        finally:
            connections.close_all()

    def by_spreadsheet():
        try:
            barrier.wait()
            refused = save_spend_returns(by=world.users.officer, entries=entries_for(allocations))
            outcomes["spreadsheet"] = {index: " ".join(error.messages) for index, error in refused.items()} or "made"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=by_form), threading.Thread(target=by_spreadsheet)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duplicate = "A return for 2015-16 Q1 has already been made: change that one instead"
    # Whichever took the allocation's lock first made the return; the other saw it.
    assert outcomes in (
        {"form": "made", "spreadsheet": {2: duplicate}},
        {"form": duplicate, "spreadsheet": "made"},
    ), outcomes
    assert SpendReturn.objects.filter(allocation=allocations[2], quarter=1).count() == 1
    expected = 1 if outcomes["form"] == "made" else 5
    assert SpendReturn.objects.filter(allocation__in=allocations).count() == expected
    assert reconciliation.balances_out_of_step(Allocation.objects.filter(pk__in=[a.pk for a in allocations])) == []

"""The money rules, enforced in the one module every caller goes through."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from grants import money, services
from grants.financial_year import FinancialYear
from grants.models import Allocation, Payment, RecoveryReason
from grants.services import MoneyRuleError, pay_milestone, record_payment, record_recovery, save_allocation
from projects.services import review_milestone, submit_milestone

TODAY = dt.date(2016, 1, 15)


def accept(world, milestone, officer=None):
    submitter = {world.derbyshire.pk: world.users.derbyshire, world.harrow.pk: world.users.harrow}
    submit_milestone(milestone=milestone, by=submitter[milestone.organisation_id], narrative="Delivered as planned")
    review_milestone(milestone=milestone, by=officer or world.users.officer, decision="accepted")


def test_allocations_may_reach_the_award_to_the_penny_but_not_pass_it(world):
    # 700,000.00 is allocated of 1,000,000.00.
    save_allocation(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=FinancialYear(2016),
        resource=Decimal("299999.99"),
        capital=Decimal("0.01"),
    )
    with pytest.raises(MoneyRuleError, match="At most £0.00 can be allocated"):
        save_allocation(
            grant=world.grant,
            recipient=world.harrow,
            financial_year=FinancialYear(2016),
            resource=Decimal("0.01"),
            capital=Decimal("0"),
        )
    total = Allocation.objects.filter(grant=world.grant).aggregate(total=Sum("amount"))["total"]
    assert total == Decimal("1000000.00")


def test_an_organisation_outside_the_project_gets_no_allocation(world):
    with pytest.raises(MoneyRuleError, match="does not take part"):
        save_allocation(
            grant=world.grant,
            recipient=world.kent,
            financial_year=FinancialYear(2016),
            resource=Decimal("10"),
            capital=Decimal("0"),
        )
    assert not Allocation.objects.filter(grant=world.grant, recipient=world.kent).exists()


def test_an_allocation_cannot_shrink_below_what_was_paid_and_committed(world):
    allocation = world.allocations["GB-LAE-HRW"]  # 300,000.00, of which Harrow's milestone commits 40,000.00
    record_payment(allocation=allocation, amount=Decimal("200000"), paid_on=TODAY, by=world.users.finance)
    with pytest.raises(MoneyRuleError, match=r"so it cannot be less than £240,000\.00"):
        save_allocation(
            grant=world.grant,
            recipient=world.harrow,
            financial_year=allocation.financial_year,
            resource=Decimal("239999.99"),
            capital=Decimal("0"),
            allocation=allocation,
            by=world.users.officer,
            reason="Recruitment is slower than planned",
        )
    allocation.refresh_from_db()
    assert allocation.amount == Decimal("300000.00")


def test_payments_to_a_recipient_never_pass_its_allocation(world):
    allocation = world.allocations["GB-LAE-DBY"]  # 300,000.00, of which Derbyshire's milestone commits 50,000.00
    record_payment(allocation=allocation, amount=Decimal("249999.99"), paid_on=TODAY, by=world.users.finance)
    with pytest.raises(MoneyRuleError, match=r"at most £0\.01 can be paid"):
        record_payment(allocation=allocation, amount=Decimal("0.02"), paid_on=TODAY, by=world.users.finance)
    record_payment(allocation=allocation, amount=Decimal("0.01"), paid_on=TODAY, by=world.users.finance)
    assert Payment.objects.filter(allocation=allocation).aggregate(s=Sum("amount"))["s"] == Decimal("250000.00")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), None])
def test_a_payment_must_be_more_than_nothing(world, amount):
    with pytest.raises(MoneyRuleError, match="more than £0"):
        record_payment(allocation=world.allocations["GB-LAE-DBY"], amount=amount, paid_on=TODAY, by=world.users.finance)
    assert not Payment.objects.exists()


def test_a_milestone_releases_its_payment_once(world):
    milestone = world.derbyshire_milestone
    accept(world, milestone)
    payment = pay_milestone(milestone=milestone, paid_on=TODAY, by=world.users.finance)
    assert (payment.amount, payment.allocation_id, payment.recorded_by) == (
        Decimal("50000.00"),
        world.allocations["GB-LAE-DBY"].pk,
        world.users.finance,
    )
    with pytest.raises(MoneyRuleError, match="already been made"):
        pay_milestone(milestone=milestone, paid_on=TODAY, by=world.users.finance)
    assert Payment.objects.filter(milestone=milestone).count() == 1


def test_the_officer_who_accepted_a_milestone_cannot_pay_it(world):
    milestone = world.derbyshire_milestone
    accept(world, milestone, officer=world.users.admin)
    with pytest.raises(MoneyRuleError, match="someone else must approve its payment"):
        pay_milestone(milestone=milestone, paid_on=TODAY, by=world.users.admin)
    assert not Payment.objects.exists()


def test_paying_ahead_of_an_accepted_milestone_needs_a_reason(world):
    milestone = world.derbyshire_milestone
    with pytest.raises(MoneyRuleError, match="needs a recorded reason"):
        pay_milestone(milestone=milestone, paid_on=TODAY, by=world.users.finance)
    payment = record_payment(
        allocation=milestone.allocation,
        amount=milestone.payment_amount,
        paid_on=TODAY,
        by=world.users.finance,
        milestone=milestone,
        in_advance=True,
        advance_reason="Unit set-up costs fall before the first review",
    )
    assert payment.in_advance and payment.advance_reason.startswith("Unit set-up")


def test_no_payment_dated_in_the_future(world):
    with pytest.raises(MoneyRuleError, match="future"):
        record_payment(
            allocation=world.allocations["GB-LAE-DBY"],
            amount=Decimal("1"),
            paid_on=dt.date.today() + dt.timedelta(days=1),
            by=world.users.finance,
        )


def test_a_recovery_cannot_take_back_more_than_was_paid(world):
    allocation = world.allocations["GB-LAE-HRW"]
    record_payment(allocation=allocation, amount=Decimal("1000.00"), paid_on=TODAY, by=world.users.finance)
    with pytest.raises(MoneyRuleError, match="no more than that can be recovered"):
        record_recovery(
            allocation=allocation,
            amount=Decimal("1000.01"),
            paid_on=TODAY,
            by=world.users.finance,
            reason="Underspend",
            recovery_reason=RecoveryReason.UNDERSPEND,
        )
    recovery = record_recovery(
        allocation=allocation,
        amount=Decimal("250.50"),
        paid_on=TODAY,
        by=world.users.finance,
        reason="Underspend returned",
        recovery_reason=RecoveryReason.UNDERSPEND,
    )
    assert recovery.signed_amount == Decimal("-250.50")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_finance_officers_paying_the_same_milestone_at_once_pay_it_once(world):
    milestone = world.derbyshire_milestone
    accept(world, milestone)
    barrier = threading.Barrier(2)
    outcomes = []

    def pay():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            pay_milestone(milestone=milestone, paid_on=TODAY, by=world.users.finance)
            outcomes.append("paid")
        except MoneyRuleError as error:
            outcomes.append(str(error))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted(["paid", '["This milestone\'s payment has already been made"]'])
    assert Payment.objects.filter(milestone=milestone).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_cannot_together_pass_the_allocation(world):
    allocation = world.allocations["GB-LAE-DBY"]  # 300,000.00
    barrier = threading.Barrier(3)
    outcomes = []

    def pay():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            record_payment(allocation=allocation, amount=Decimal("120000.00"), paid_on=TODAY, by=world.users.finance)
            outcomes.append("paid")
        except MoneyRuleError:
            outcomes.append("refused")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=pay) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid", "paid", "refused"]
    assert Payment.objects.filter(allocation=allocation).aggregate(s=Sum("amount"))["s"] == Decimal("240000.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_twenty_requests_at_once_pay_a_milestone_once_and_never_pass_the_award(world):
    """Ten threads pay the same accepted milestone while ten others each add a
    £100,000 allocation to the same grant, all released at the same moment.
    The grant has £300,000 of headroom (award £1,000,000, allocated £700,000)."""
    milestone = world.derbyshire_milestone
    accept(world, milestone)
    grant = world.grant
    barrier = threading.Barrier(20)
    outcomes = {"paid": 0, "payment refused": 0, "allocated": 0, "allocation refused": 0}
    unexpected = []
    lock = threading.Lock()

    def tally(key):
        with lock:
            outcomes[key] += 1

    def pay():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            pay_milestone(milestone=milestone, paid_on=TODAY, by=world.users.finance)
            tally("paid")
        except MoneyRuleError:
            tally("payment refused")
        except Exception as error:  # anything else (a deadlock, a 500) fails the test below
            unexpected.append(repr(error))
        finally:
            thread_connection.close()

    def allocate(year):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            save_allocation(
                grant=grant,
                recipient=world.harrow,
                financial_year=FinancialYear(year),
                resource=Decimal("100000.00"),
                capital=Decimal("0"),
            )
            tally("allocated")
        except MoneyRuleError:
            tally("allocation refused")
        except Exception as error:
            unexpected.append(repr(error))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=pay) for _ in range(10)]
    threads += [threading.Thread(target=allocate, args=(2016 + n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    assert outcomes == {"paid": 1, "payment refused": 9, "allocated": 3, "allocation refused": 7}
    assert Payment.objects.filter(milestone=milestone).count() == 1
    assert Payment.objects.get(milestone=milestone).amount == Decimal("50000.00")
    allocated = Allocation.objects.filter(grant=grant).aggregate(total=Sum("amount"))["total"]
    assert allocated == Decimal("1000000.00") == grant.amount_awarded


def test_a_refusal_writes_a_negative_figure_as_the_pages_do():
    # An allocation cut below what was already paid has a negative headroom; the refusal that quotes it
    # must read "-£50.00", as every page writes money, not "£-50.00".
    text = services.describe_headroom(money.Figures(allocated=Decimal("100.00"), paid=Decimal("150.00")))
    assert "headroom is -£50.00" in text
    assert "net paid £150.00" in text

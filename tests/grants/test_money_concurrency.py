"""Headroom holds when many requests draw on one allocation at the same moment (PostgreSQL row locks).

Derbyshire's allocation in the world is £300,000, of which its accepted milestone commits £50,000:
£250,000 of headroom. Twenty requests are released together: one pays the accepted milestone, ten plan
new £30,000 milestone payments, nine pay £30,000. Each takes the grant's and then the allocation's row
lock and checks the headroom it finds, so they pass one at a time: the milestone is paid (its money was
kept for it) and exactly eight of the nineteen others fit.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from grants import money, reconciliation
from grants.models import Allocation, Payment
from grants.services import MoneyRuleError, pay_milestone, record_payment
from projects.models import Milestone
from projects.services import review_milestone, save_milestone, submit_milestone

TODAY = dt.date(2016, 1, 15)
pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


def test_twenty_requests_at_once_never_promise_or_pay_past_the_allocation(world):
    allocation = world.allocations["GB-LAE-DBY"]
    milestone = world.derbyshire_milestone
    submit_milestone(milestone=milestone, by=world.users.derbyshire, narrative="The unit is running")
    review_milestone(milestone=milestone, by=world.users.officer, decision="accepted")
    barrier = threading.Barrier(20, timeout=30)
    outcomes, unexpected = [], []
    lock = threading.Lock()

    def run(kind, action):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            action()
            outcome = f"{kind} done"
        except MoneyRuleError:
            outcome = f"{kind} refused"
        except Exception as error:  # a deadlock or any other failure fails the test below
            outcome = None
            unexpected.append(f"{kind}: {error!r}")
        finally:
            thread_connection.close()
        with lock:
            outcomes.append(outcome)

    def plan(n):
        save_milestone(
            milestone=Milestone(
                project_id=world.project.pk,
                organisation_id=world.derbyshire.pk,
                title=f"Unit {n}",
                due_date=dt.date(2016, 3, 31),
                payment_amount=Decimal("30000.00"),
                allocation_id=allocation.pk,
            ),
            by=world.users.officer,
        )

    def pay():
        record_payment(
            allocation=Allocation.objects.get(pk=allocation.pk),
            amount=Decimal("30000.00"),
            paid_on=TODAY,
            by=world.users.finance,
        )

    def release():
        pay_milestone(milestone=Milestone.objects.get(pk=milestone.pk), paid_on=TODAY, by=world.users.finance)

    threads = [threading.Thread(target=run, args=("milestone payment", release))]
    threads += [threading.Thread(target=run, args=("plan", lambda n=n: plan(n))) for n in range(10)]
    threads += [threading.Thread(target=run, args=("pay", pay)) for _ in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    done = [outcome for outcome in outcomes if outcome.endswith("done")]
    assert "milestone payment done" in done
    assert len(done) == 1 + 8, sorted(outcomes)
    figures = money.ledger_figures(allocation.pk)
    assert figures.net_paid + figures.committed == Decimal("290000.00")  # 50,000 + 8 x 30,000
    assert figures.net_paid + figures.committed <= figures.allocated == Decimal("300000.00")
    assert figures.headroom == Decimal("10000.00")
    assert Payment.objects.filter(milestone=milestone).count() == 1
    assert list(reconciliation.balances_out_of_step(Allocation.objects.all())) == []
    assert money.allocation_figures(Allocation.objects.select_related("balance").get(pk=allocation.pk)) == figures

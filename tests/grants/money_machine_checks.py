"""What tests/grants/test_money_state_machine.py checks after every step of its money machine:
a refused step said why and changed nothing, what a step paid or committed fitted the headroom
worked out here, and the invariants (balances equal to their ledger rows, limits never passed,
a closed project taking only recoveries, a spending report that adds up). A mixin of the
machine: it reads the machine's grant, project, people and the money as it stood at closing."""

from collections import Counter
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from hypothesis import note
from hypothesis.stateful import invariant

from core.lifecycle import IllegalStatusChange
from grants import money, reconciliation
from grants.financial_year import FinancialQuarter
from grants.models import Allocation, Grant, Payment, SpendReturn
from grants.services import MoneyRuleError
from reports.spending import FINANCIAL_YEAR, QUARTER, SpendingFilters, SpendingReport
from tests.grants.test_money_rules import snapshot

D = Decimal
ZERO = D("0.00")
REFUSALS = (MoneyRuleError, ValidationError, PermissionDenied, IllegalStatusChange)


class MoneyChecks:
    """Mixed into the machine (a RuleBasedStateMachine), which finds the invariants here."""

    # --- Each step: a refusal changes nothing, what is drawn fits the headroom ---------------

    def attempt(self, name, action, **kwargs):
        """Run a service; a refusal must say why and leave everything exactly as it was. What it pays or
        commits must fit the headroom it found, recovered money not re-profiled left out."""
        before = snapshot()
        headroom_before = self.headroom()
        try:
            result = action(**kwargs)
        except REFUSALS as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            note(f"{name} refused: {text}")
            assert text.strip(), f"{name} was refused without a message"
            self.refusal = text
            assert snapshot() == before, f"{name} was refused ({text}) but changed something"
            self.outcomes[f"{name} refused"] += 1
            return None
        note(f"{name}: done")
        self.outcomes[name] += 1
        for pk, (drawn_after, _) in self.headroom().items():
            drawn_before, headroom = headroom_before.get(pk, (ZERO, ZERO))
            if drawn_after > drawn_before:  # paid or committed more: only a payment or a milestone does
                assert drawn_after - drawn_before <= headroom, (name, pk, drawn_before, drawn_after, headroom)
        return result

    def headroom(self) -> dict:
        """For each allocation: (net paid + committed, headroom), the headroom worked out here from the rule
        (allocated less net paid, committed and recovered money no variation has released, so far as the
        allocation has room for it) rather than taken from grants.money."""
        figures = {}
        rows = Allocation.objects.filter(grant=self.grant).values_list(
            "pk", "amount", "balance__paid", "balance__recovered", "balance__released", "balance__committed"
        )
        for pk, allocated, paid, recovered, released, committed in rows:
            drawn = paid - recovered + committed
            held = min(max(recovered - released, ZERO), max(allocated - drawn, ZERO))
            figures[pk] = (money.to_penny(drawn), money.to_penny(allocated - drawn - held))
        return figures

    # --- Invariants ---------------------------------------------------------------------------

    def money_now(self) -> dict:
        allocations = Allocation.objects.filter(grant=self.grant)
        return {
            "allocated": money.totals(allocations).allocated,
            "awarded": Grant.objects.get(pk=self.grant.pk).amount_awarded,
            "payments": Payment.objects.filter(allocation__grant=self.grant, kind=Payment.Kind.PAYMENT).count(),
            "committed": money.totals(allocations).committed,
        }

    @invariant()
    def balances_equal_their_ledger_rows(self):
        assert reconciliation.balances_out_of_step(Allocation.objects.filter(grant=self.grant)) == []

    @invariant()
    def money_never_passes_its_limits(self):
        rows = (
            Allocation.objects.filter(grant=self.grant)
            .annotate(**money.balance_annotations())
            .values("pk", "allocated", "paid", "recovered", "net_paid", "committed", "held", "headroom")
        )
        for row in rows:
            assert row["net_paid"] + row["committed"] <= row["allocated"], row
            assert row["headroom"] >= 0 and row["held"] >= 0, row
            assert 0 <= row["recovered"] <= row["paid"], row
        allocated = Allocation.objects.filter(grant=self.grant).aggregate(total=Sum("amount"))["total"] or ZERO
        assert allocated <= Grant.objects.get(pk=self.grant.pk).amount_awarded

    @invariant()
    def a_closed_project_takes_only_recoveries(self):
        if self.closed is None:
            return
        now = self.money_now()
        assert now["payments"] == self.closed["payments"]
        assert now["allocated"] <= self.closed["allocated"]
        assert now["awarded"] <= self.closed["awarded"]
        assert now["committed"] <= self.closed["committed"]

    @invariant()
    def the_spending_report_adds_up_by_quarter_by_year_and_to_the_ledger(self):
        filters = SpendingFilters(project=self.project)
        report = SpendingReport(self.people.officer, filters)
        by_year = {row.labels[0]: row for row in report.rows(FINANCIAL_YEAR)}
        quarters = report.rows(QUARTER)
        # The ledger, read row by row and put in the year and quarter of its one basis.
        payments = Payment.objects.filter(allocation__grant=self.grant)
        returns = SpendReturn.objects.filter(allocation__grant=self.grant)
        paid, spent, allocated = Counter(), Counter(), Counter()
        for paid_on, amount in payments.values_list("paid_on", money.NET_AMOUNT):
            paid[FinancialQuarter.of(paid_on)] += amount
        for year, quarter, amount in returns.values_list("allocation__financial_year", "quarter", "spent"):
            spent[year.quarter(quarter)] += amount
        for year, amount in Allocation.objects.filter(grant=self.grant).values_list("financial_year", "amount"):
            allocated[str(year)] += amount

        for row in quarters:
            assert (row.paid, row.spent) == (paid[row.key], spent[row.key]), row
        moved = {key for figures in (paid, spent) for key, value in figures.items() if value}
        assert {row.key for row in quarters} >= moved
        labels = {row.labels[0] for row in quarters} | set(by_year) | set(allocated)
        for label in labels:
            in_quarters = [row for row in quarters if row.labels[0] == label]
            year = by_year.get(label)
            year_paid, year_spent = (year.paid, year.spent) if year else (ZERO, ZERO)
            assert sum((row.paid for row in in_quarters), ZERO) == year_paid, label
            assert sum((row.spent for row in in_quarters), ZERO) == year_spent, label
            assert (year.allocated if year else ZERO) == allocated[label], label

        ledger = money.ledger_payment_sums(payments)
        total = report.totals
        assert total.paid == ledger["net_paid"] == sum((row.paid for row in by_year.values()), ZERO)
        assert total.spent == money.to_penny(returns.aggregate(s=money.spent_expression())["s"])
        assert total.spent == sum((row.spent for row in by_year.values()), ZERO)
        assert total.allocated == sum(allocated.values(), ZERO) == sum((r.allocated for r in by_year.values()), ZERO)
        forecast = money.latest_returns(returns).aggregate(s=Sum("forecast"))["s"]
        assert total.forecast == money.to_penny(forecast) == sum((r.forecast for r in by_year.values()), ZERO)

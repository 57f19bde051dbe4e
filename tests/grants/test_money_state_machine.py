"""Random sequences of everything that moves money, through the services, never leave the money wrong.

Each example is a new project (a company leading, a council as partner) with a £1,000,000 grant awarded
on 5 January 2015 and planned to end on 31 December 2016, when the project ends too. Hypothesis then
allocates, varies allocations and the award (small ones applied at once, large ones approved or
rejected by a second officer), plans and changes milestone payments, submits and reviews milestones,
pays, recovers, makes and amends spend returns and closes the project, in any order and with good and
bad figures and dates alike. After every step:

- a refused step said why and changed nothing at all (rows, balances and histories);
- what a step paid or committed fitted the headroom it found, recovered money that no variation has
  re-profiled left out (worked out here, not taken from grants.money);
- net paid + committed never passes allocated, no headroom is negative, recovered never passes paid;
- the grant's allocations never pass its award;
- every allocation's balance equals its ledger rows;
- once the project is closed, nothing new is allocated, committed or paid (each is asked for straight
  after closing, and refused), and a recovery is still taken;
- the spending report's quarters add up to its years, its years to its total, and its figures equal
  the ledger, each by its one financial-year basis (payments by their date, spending by the period of
  the return, allocations by their year).

The checks after every step are tests/grants/money_machine_checks.py (MoneyChecks, mixed into the machine).
"""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.models import Role
from grants import money
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, RecoveryReason, SpendReturn
from grants.services import (
    decide_variation,
    pay_milestone,
    record_payment,
    record_recovery,
    save_allocation,
    save_grant,
)
from grants.spend_returns import amend_spend_return, submit_spend_return
from projects.models import Milestone, Project, ProjectPartner
from projects.services import close_project, review_milestone, save_milestone, submit_milestone
from tests.factories import LocalAuthorityFactory, OrganisationFactory, RoundFactory, UserFactory
from tests.grants.money_machine_checks import ZERO, MoneyChecks

D = Decimal

MACHINE = hypothesis_settings(
    max_examples=20,
    stateful_step_count=12,
    deadline=None,
    derandomize=False,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Round sums, and sums to the penny, so that a step often lands exactly on a limit.
amounts = st.one_of(
    st.integers(min_value=1, max_value=40).map(lambda n: D(n * 10_000)),
    st.integers(min_value=1, max_value=50_000_000).map(lambda pennies: (D(pennies) / 100).quantize(D("0.01"))),
)
# A sum of its own, or all or half of what is there to take (the headroom to pay, the net paid to recover).
portions = st.one_of(amounts, st.sampled_from(["all", "half"]))
years = st.sampled_from([FinancialYear(2014), FinancialYear(2015), FinancialYear(2016)])
# Before the award, within the grant's dates, after its planned end, and the 1 May 1899.
dates = st.sampled_from(
    [
        dt.date(1899, 5, 1),
        dt.date(2015, 1, 4),
        dt.date(2015, 2, 10),
        dt.date(2015, 6, 30),
        dt.date(2015, 12, 15),
        dt.date(2016, 3, 31),
        dt.date(2016, 4, 1),
        dt.date(2016, 9, 30),
        dt.date(2016, 12, 31),
        dt.date(2017, 1, 10),
    ]
)


class MoneyMachine(MoneyChecks, RuleBasedStateMachine):
    """One example's programme; ``people`` (set before the run) are shared by every example."""

    people = None
    allocations = Bundle("allocations")
    milestones = Bundle("milestones")

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint that is rolled back at its end.
        self._example = transaction.atomic()
        self._example.__enter__()
        p = self.people
        self.project = Project.objects.create(
            programme=p.round.programme,
            reference=f"SM-{Project.objects.count() + 1}",
            title="Random money",
            summary="Hypothesis moves its money.",
            lead_organisation=p.lead,
            start_date=dt.date(2015, 1, 1),
            end_date=dt.date(2016, 12, 31),
            status=Project.Status.ACTIVE,
        )
        ProjectPartner.objects.create(project=self.project, organisation=p.council, role="partner_authority")
        self.grant = save_grant(
            grant=Grant(
                project=self.project,
                round=p.round,
                recipient=p.lead,
                title="Random money",
                amount_awarded=D("1000000.00"),
                award_date=dt.date(2015, 1, 5),
                planned_start=dt.date(2015, 1, 1),
                planned_end=dt.date(2016, 12, 31),
            ),
            by=p.officer,
        )
        # Money to work with from the first step, whichever rules an example tries (Hypothesis tries a few
        # at a time): each recipient's 2015-16 allocation, a payment, a recovery (held) and a return of the
        # lead's, a milestone of the lead's planned and one of the council's accepted.
        self.first_allocations = [
            save_allocation(
                grant=self.grant,
                recipient=recipient,
                financial_year=FinancialYear(2015),
                resource=D("300000.00"),
                capital=ZERO,
                by=p.officer,
            ).pk
            for recipient in (p.lead, p.council)
        ]
        lead_allocation, council_allocation = (self.allocation(pk) for pk in self.first_allocations)
        record_payment(allocation=lead_allocation, amount=D("100000.00"), paid_on=dt.date(2015, 6, 30), by=p.finance)
        record_recovery(
            allocation=lead_allocation,
            amount=D("5000.00"),
            paid_on=dt.date(2015, 9, 30),
            by=p.finance,
            reason="Returned unspent",
            recovery_reason=RecoveryReason.UNDERSPEND,
        )
        submit_spend_return(
            allocation=lead_allocation, by=p.lead_user, quarter=1, spent=D("80000.00"), forecast=D("200000.00")
        )
        self.first_milestones = [
            save_milestone(
                milestone=Milestone(
                    project=self.project,
                    organisation=allocation.recipient,
                    title="Unit running",
                    due_date=dt.date(2015, 9, 30),
                    payment_amount=amount,
                    allocation=allocation,
                ),
                by=p.officer,
            ).pk
            for allocation, amount in ((lead_allocation, D("40000.00")), (council_allocation, D("50000.00")))
        ]
        accepted = Milestone.objects.get(pk=self.first_milestones[1])
        submit_milestone(milestone=accepted, by=p.council_user, narrative="The unit is running")
        review_milestone(milestone=accepted, by=p.officer, decision="accepted")
        self.closed = None  # the money as it stood when the project closed
        self.closing_attempts = 0
        self.refusal = ""  # the last refusal's message
        self.outcomes = Counter()

    @initialize(target=allocations)
    def first_allocations_to_work_with(self):
        return multiple(*self.first_allocations)

    @initialize(target=milestones)
    def first_milestones_to_work_with(self):
        return multiple(*self.first_milestones)

    def teardown(self):
        note(f"outcomes: {dict(self.outcomes)}")
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    # --- Helpers -----------------------------------------------------------------------------

    def allocation(self, pk) -> Allocation:
        return Allocation.objects.select_related("grant", "recipient").get(pk=pk)

    def recipient_user(self, organisation_id):
        return self.people.lead_user if organisation_id == self.people.lead.pk else self.people.council_user

    # --- Allocations, awards and variations ---------------------------------------------------

    @rule(target=allocations, to_council=st.booleans(), year=years, amount=amounts)
    def allocate(self, to_council, year, amount):
        recipient = self.people.council if to_council else self.people.lead
        allocation = self.attempt(
            "allocate",
            save_allocation,
            grant=self.grant,
            recipient=recipient,
            financial_year=year,
            resource=amount,
            capital=ZERO,
            by=self.people.officer,
        )
        return allocation.pk if allocation else multiple()

    @rule(allocation=allocations, amount=amounts, capital=st.booleans(), approve=st.booleans())
    def vary_allocation(self, allocation, amount, capital, approve):
        current = self.allocation(allocation)
        # Part of it as capital, sometimes: a variation keeps both parts.
        resource, capital_part = (amount - amount // 4, amount // 4) if capital else (amount, ZERO)
        varied = self.attempt(
            "vary allocation",
            save_allocation,
            grant=self.grant,
            recipient=current.recipient,
            financial_year=current.financial_year,
            resource=resource,
            capital=capital_part,
            allocation=current,
            by=self.people.officer,
            reason="Re-profiled at the quarterly review",
        )
        if varied is not None and varied.pending_variation is not None:
            self.decide(varied.pending_variation, approve)

    @rule(allocation=allocations)
    def reprofile_recovered_money(self, allocation):
        current = self.allocation(allocation)
        self.attempt(
            "re-profile",
            save_allocation,
            grant=self.grant,
            recipient=current.recipient,
            financial_year=current.financial_year,
            resource=current.resource,
            capital=current.capital,
            allocation=current,
            by=self.people.officer,
            reason="Recovered money re-profiled to later delivery",
        )

    @rule(amount=amounts.map(lambda a: a * 5), approve=st.booleans())
    def vary_award(self, amount, approve):
        grant = Grant.objects.get(pk=self.grant.pk)
        grant.amount_awarded = amount
        saved = self.attempt("vary award", save_grant, grant=grant, by=self.people.officer, reason="Spending review")
        if saved is not None and saved.pending_variation is not None:
            self.decide(saved.pending_variation, approve)

    def decide(self, variation, approve):
        # The officer who asked may not decide; a second officer does.
        self.attempt(
            "decide own variation", decide_variation, variation=variation, by=self.people.officer, approve=True
        )
        self.attempt(
            "decide variation",
            decide_variation,
            variation=variation,
            by=self.people.second_officer,
            approve=approve,
            note="" if approve else "Not justified by the delivery plan",
        )

    # --- Milestones ---------------------------------------------------------------------------

    @rule(target=milestones, allocation=allocations, amount=amounts)
    def plan_milestone(self, allocation, amount):
        current = self.allocation(allocation)
        milestone = Milestone(
            project=self.project,
            organisation=current.recipient,
            title="Deliverable",
            due_date=dt.date(2016, 3, 31),
            payment_amount=amount,
            allocation=current,
        )
        saved = self.attempt("plan milestone", save_milestone, milestone=milestone, by=self.people.officer)
        return saved.pk if saved else multiple()

    @rule(milestone=milestones, amount=st.one_of(st.none(), amounts))
    def change_milestone_payment(self, milestone, amount):
        current = Milestone.objects.get(pk=milestone)
        if amount is None:
            current.payment_amount, current.allocation = None, None
        else:
            if current.allocation_id is None:
                current.allocation = (
                    Allocation.objects.filter(grant=self.grant, recipient=current.organisation).order_by("pk").first()
                )
            current.payment_amount = amount
        self.attempt("change milestone payment", save_milestone, milestone=current, by=self.people.officer)

    @rule(milestone=milestones, accept=st.booleans())
    def submit_and_review(self, milestone, accept):
        current = Milestone.objects.get(pk=milestone)
        self.attempt(
            "submit milestone",
            submit_milestone,
            milestone=current,
            by=self.recipient_user(current.organisation_id),
            narrative="Delivered, evidence attached",
        )
        self.attempt(
            "review milestone",
            review_milestone,
            milestone=Milestone.objects.get(pk=milestone),
            by=self.people.officer,
            decision="accepted" if accept else "returned",
            reason="" if accept else "The evidence does not show the unit running",
        )

    # --- Payments and recoveries ----------------------------------------------------------------

    @rule(milestone=milestones, paid_on=dates)
    def pay_milestone(self, milestone, paid_on):
        self.attempt(
            "pay milestone",
            pay_milestone,
            milestone=Milestone.objects.get(pk=milestone),
            paid_on=paid_on,
            by=self.people.finance,
            late_reason="Final claim after the audit",
        )

    @staticmethod
    def portion(portion, available: Decimal) -> Decimal:
        if portion == "all":
            return available
        if portion == "half":
            return (available / 2).quantize(D("0.01"))
        return portion

    @rule(allocation=allocations, portion=portions, paid_on=dates, late_reason=st.sampled_from(["", "Final claim"]))
    def pay(self, allocation, portion, paid_on, late_reason):
        amount = self.portion(portion, money.ledger_figures(allocation).headroom)
        self.attempt(
            "pay",
            record_payment,
            allocation=self.allocation(allocation),
            amount=amount,
            paid_on=paid_on,
            by=self.people.finance,
            late_reason=late_reason,
        )

    @rule(
        allocation=allocations,
        portion=portions,
        paid_on=dates,
        recovery_reason=st.sampled_from([*RecoveryReason.values, ""]),
    )
    def recover(self, allocation, portion, paid_on, recovery_reason):
        amount = self.portion(portion, money.ledger_figures(allocation).net_paid)
        self.attempt(
            "recover",
            record_recovery,
            allocation=self.allocation(allocation),
            amount=amount,
            paid_on=paid_on,
            by=self.people.finance,
            reason="Returned at year end",
            recovery_reason=recovery_reason,
        )

    # --- Spend returns and closure --------------------------------------------------------------

    @rule(allocation=allocations, quarter=st.integers(min_value=1, max_value=4), spent=amounts, forecast=amounts)
    def spend_return(self, allocation, quarter, spent, forecast):
        existing = SpendReturn.objects.filter(allocation=allocation, quarter=quarter).first()
        if existing is None:
            self.attempt(
                "spend return",
                submit_spend_return,
                allocation=self.allocation(allocation),
                by=self.people.officer,
                quarter=quarter,
                spent=spent,
                forecast=forecast,
            )
        else:
            self.attempt(
                "amend spend return",
                amend_spend_return,
                spend_return=existing,
                by=self.people.officer,
                spent=spent,
                forecast=forecast,
            )

    # Twice at most: after closure nearly every step is refused, and Hypothesis would otherwise spend
    # whole examples asking again.
    @precondition(lambda self: self.closing_attempts < 2)
    @rule(with_exception=st.booleans())
    def close(self, with_exception):
        self.closing_attempts += 1
        project = Project.objects.get(pk=self.project.pk)
        if project.status == Project.Status.ACTIVE:
            self.attempt(
                "start closing",
                project.set_status,
                new_status=Project.Status.CLOSING,
                by=self.people.officer,
                reason="Delivery finished",
            )
        self.attempt(
            "close",
            close_project,
            project=Project.objects.get(pk=self.project.pk),
            by=self.people.officer,
            reason="Delivery finished",
            exception="Agreed with the lead" if with_exception else "",
        )
        if self.closed is None and Project.objects.get(pk=self.project.pk).status == Project.Status.CLOSED:
            self.closed = self.money_now()
            self.only_a_recovery_after_closing()

    def only_a_recovery_after_closing(self):
        """Straight after closing, each kind of new money is asked for once and refused; a recovery is taken."""
        p, allocation = self.people, self.allocation(self.first_allocations[0])
        asks = {
            "allocate after closing": (
                save_allocation,
                {
                    "grant": self.grant,
                    "recipient": p.lead,
                    "financial_year": FinancialYear(2016),
                    "resource": D("0.01"),
                    "capital": ZERO,
                    "by": p.officer,
                },
            ),
            "plan milestone after closing": (
                save_milestone,
                {
                    "by": p.officer,
                    "milestone": Milestone(
                        project=self.project,
                        organisation=p.lead,
                        title="Late",
                        due_date=dt.date(2016, 12, 31),
                        payment_amount=D("0.01"),
                        allocation=allocation,
                    ),
                },
            ),
            "pay after closing": (
                record_payment,
                {"allocation": allocation, "amount": D("0.01"), "paid_on": dt.date(2016, 3, 31), "by": p.finance},
            ),
        }
        for name, (action, kwargs) in asks.items():
            assert self.attempt(name, action, **kwargs) is None, f"{name} was accepted"
            assert "only a recovery can be recorded" in self.refusal, self.refusal
        if money.ledger_figures(allocation.pk).net_paid > 0:
            recovery = self.attempt(
                "recover after closing",
                record_recovery,
                allocation=allocation,
                amount=D("0.01"),
                paid_on=dt.date(2016, 3, 31),
                by=p.finance,
                reason="Found at the final audit",
                recovery_reason=RecoveryReason.OVERPAYMENT,
            )
            assert recovery is not None, self.refusal


@pytest.fixture
def people(db):
    lead = OrganisationFactory(name="Morning Lane Associates")
    council = LocalAuthorityFactory(name="Derbyshire County Council")
    return type(
        "People",
        (),
        {
            "lead": lead,
            "council": council,
            "round": RoundFactory(),
            "officer": UserFactory(role=Role.OFFICER),
            "second_officer": UserFactory(role=Role.OFFICER),
            "finance": UserFactory(role=Role.FINANCE),
            "lead_user": UserFactory(role=Role.RECIPIENT, organisation=lead),
            "council_user": UserFactory(role=Role.RECIPIENT, organisation=council),
        },
    )


def test_random_money_journeys_keep_every_rule(people):
    MoneyMachine.people = people
    try:
        run_state_machine_as_test(MoneyMachine, settings=MACHINE)
    finally:
        MoneyMachine.people = None

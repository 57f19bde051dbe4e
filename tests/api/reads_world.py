"""The reads tests' shared rows: money, returns and evidence on both sides of every persona's scope."""

import datetime as dt
from decimal import Decimal

from grants import money
from grants.models import Payment, RecoveryReason, SpendReturn
from projects.models import EvidenceFile, MilestoneSubmission

PERSONAS = (
    "officer",
    "finance",
    "viewer",
    "admin",
    "morninglane",
    "derbyshire",
    "harrow",
    "kent",
    "evaluator",
    "outsider",
)


def add_both_sides(world):
    """A payment, a recovery, a spend return and a submission with evidence on Derbyshire's side of Reclaiming
    Social Work; a payment, a return and a submission on Kent's project, outside every other recipient's scope.
    Returns the rows by name."""
    derbyshire = world.allocations["GB-LAE-DBY"]
    rows = {
        "payment": Payment.objects.create(
            allocation=derbyshire, kind=Payment.Kind.PAYMENT, amount=Decimal("50000.00"), paid_on=dt.date(2015, 6, 30)
        ),
        "recovery": Payment.objects.create(
            allocation=derbyshire,
            kind=Payment.Kind.RECOVERY,
            amount=Decimal("5000.25"),
            paid_on=dt.date(2015, 12, 1),
            recovery_reason=RecoveryReason.OVERPAYMENT,
        ),
        "spend_return": SpendReturn.objects.create(
            allocation=derbyshire, quarter=2, spent=Decimal("20000.10"), forecast=Decimal("250000.00")
        ),
        "other_payment": Payment.objects.create(
            allocation=world.other_allocation,
            kind=Payment.Kind.PAYMENT,
            amount=Decimal("25000.00"),
            paid_on=dt.date(2015, 6, 30),
        ),
        "other_spend_return": SpendReturn.objects.create(
            allocation=world.other_allocation, quarter=1, spent=Decimal("1000.00"), forecast=Decimal("2000.00")
        ),
    }
    for milestone, submitter, name in (
        (world.derbyshire_milestone, world.users.derbyshire, "submission"),
        (world.other_milestone, world.users.kent, "other_submission"),
    ):
        submission = MilestoneSubmission.objects.create(milestone=milestone, narrative="Done", submitted_by=submitter)
        EvidenceFile.objects.create(
            submission=submission,
            file="evidence/0000.pdf",
            original_name="unit-report.pdf",
            content_type="application/pdf",
            size_bytes=2048,
            sha256="0" * 64,
        )
        rows[name] = submission
    for allocation in (derbyshire, world.other_allocation):
        money.refresh_balance(allocation.pk)
    return rows

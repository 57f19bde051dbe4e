"""Checks that the money adds up: what was awarded, allocated, paid and spent.

The services refuse most of these states, but figures can still disagree: a
grant not yet fully allocated, rows corrected in the admin or loaded by an
import, or a constraint dropped in a migration. Each check is one SQL query
over all grants, so the number of queries does not grow with the programme.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from grants.models import Allocation, Grant, Payment, SpendReturn

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)

ALLOCATIONS_DIFFER_FROM_AWARD = "allocations_differ_from_award"
PAYMENTS_EXCEED_ALLOCATION = "payments_exceed_allocation"
SPEND_EXCEEDS_PAYMENTS = "spend_exceeds_payments"
MILESTONE_PAID_TWICE = "milestone_paid_twice"


@dataclass(frozen=True)
class Discrepancy:
    """Two figures that should agree and do not.

    ``difference`` is always the positive gap between ``expected`` and
    ``actual``; the message says which way it goes. ``allocation`` is set when
    the figures are one allocation's rather than the whole grant's.
    """

    grant: Grant
    kind: str
    expected: Decimal
    actual: Decimal
    difference: Decimal
    message: str
    allocation: Allocation | None = None


def _pounds(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


def _total(queryset, field, group_by):
    """One correlated sum per outer row, so that joining two kinds of rows cannot multiply either."""
    rows = queryset.order_by().values(group_by).annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(rows, output_field=MONEY), ZERO, output_field=MONEY)


def _grant_totals(grants):
    payments = Payment.objects.filter(allocation__grant=OuterRef("pk"))
    return grants.annotate(
        allocated=_total(Allocation.objects.filter(grant=OuterRef("pk")), "amount", "grant"),
        paid=_total(payments.filter(kind=Payment.Kind.PAYMENT), "amount", "allocation__grant"),
        recovered=_total(payments.filter(kind=Payment.Kind.RECOVERY), "amount", "allocation__grant"),
        spent=_total(SpendReturn.objects.filter(allocation__grant=OuterRef("pk")), "spent", "allocation__grant"),
    ).annotate(net_paid=ExpressionWrapper(F("paid") - F("recovered"), output_field=MONEY))


def _grant_discrepancies(grants) -> list[Discrepancy]:
    found = []
    rows = _grant_totals(grants).filter(
        ~Q(allocated=F("amount_awarded")) | Q(net_paid__gt=F("allocated")) | Q(spent__gt=F("net_paid"))
    )
    for grant in rows:
        if grant.allocated != grant.amount_awarded:
            gap = abs(grant.amount_awarded - grant.allocated)
            side = "less" if grant.allocated < grant.amount_awarded else "more"
            found.append(Discrepancy(
                grant, ALLOCATIONS_DIFFER_FROM_AWARD, grant.amount_awarded, grant.allocated, gap,
                f"Allocations total {_pounds(grant.allocated)}, {_pounds(gap)} {side} than the award of "
                f"{_pounds(grant.amount_awarded)}",
            ))
        if grant.net_paid > grant.allocated:
            gap = grant.net_paid - grant.allocated
            found.append(Discrepancy(
                grant, PAYMENTS_EXCEED_ALLOCATION, grant.allocated, grant.net_paid, gap,
                f"Net payments of {_pounds(grant.net_paid)} are {_pounds(gap)} more than the grant's allocations "
                f"of {_pounds(grant.allocated)}",
            ))
        if grant.spent > grant.net_paid:
            gap = grant.spent - grant.net_paid
            found.append(Discrepancy(
                grant, SPEND_EXCEEDS_PAYMENTS, grant.net_paid, grant.spent, gap,
                f"Spend returns total {_pounds(grant.spent)}, {_pounds(gap)} more than net payments of "
                f"{_pounds(grant.net_paid)}",
            ))
    return found


def _allocation_discrepancies(grants) -> list[Discrepancy]:
    payments = Payment.objects.filter(allocation=OuterRef("pk"))
    rows = (
        Allocation.objects.filter(grant__in=grants)
        .annotate(
            paid=_total(payments.filter(kind=Payment.Kind.PAYMENT), "amount", "allocation"),
            recovered=_total(payments.filter(kind=Payment.Kind.RECOVERY), "amount", "allocation"),
        )
        .annotate(net_paid=ExpressionWrapper(F("paid") - F("recovered"), output_field=MONEY))
        .filter(net_paid__gt=F("amount"))
        .select_related("grant", "recipient")
    )
    return [
        Discrepancy(
            allocation.grant, PAYMENTS_EXCEED_ALLOCATION, allocation.amount, allocation.net_paid,
            allocation.net_paid - allocation.amount,
            f"Net payments to {allocation.recipient} for {allocation.financial_year} of "
            f"{_pounds(allocation.net_paid)} are {_pounds(allocation.net_paid - allocation.amount)} more than "
            f"its allocation of {_pounds(allocation.amount)}",
            allocation=allocation,
        )
        for allocation in rows
    ]


def milestones_paid_twice(payments):
    """Milestones with more than one payment among ``payments``: one row each, with the count and total.

    The database refuses a second payment for a milestone (``milestone_paid_once``);
    this looks anyway, for rows from before the constraint or a restore without it.
    """
    return (
        payments.filter(kind=Payment.Kind.PAYMENT, milestone__isnull=False)
        .order_by()
        .values("milestone", "milestone__title", "milestone__payment_amount", "allocation__grant")
        .annotate(times=Count("pk"), total=Sum("amount"))
        .filter(times__gt=1)
        .order_by("milestone")
    )


def _milestone_discrepancies(grants) -> list[Discrepancy]:
    rows = list(milestones_paid_twice(Payment.objects.filter(allocation__grant__in=grants)))
    if not rows:
        return []
    by_pk = Grant.objects.in_bulk({row["allocation__grant"] for row in rows})
    found = []
    for row in rows:
        # Without a payment amount on the milestone, one payment of the average is what should have been made.
        expected = row["milestone__payment_amount"] or (row["total"] / row["times"]).quantize(Decimal("0.01"))
        found.append(Discrepancy(
            by_pk[row["allocation__grant"]], MILESTONE_PAID_TWICE, expected, row["total"], row["total"] - expected,
            f"Milestone “{row['milestone__title']}” was paid {row['times']} times, {_pounds(row['total'])} in all",
        ))
    return found


_ORDER = [ALLOCATIONS_DIFFER_FROM_AWARD, PAYMENTS_EXCEED_ALLOCATION, SPEND_EXCEEDS_PAYMENTS, MILESTONE_PAID_TWICE]


def find_discrepancies(grants=None) -> list[Discrepancy]:
    """Every disagreement in the money of ``grants`` (all grants by default), grant by grant."""
    grants = Grant.objects.all() if grants is None else grants
    found = _grant_discrepancies(grants) + _allocation_discrepancies(grants) + _milestone_discrepancies(grants)
    return sorted(
        found,
        key=lambda d: (d.grant.award_date, d.grant.pk, _ORDER.index(d.kind), d.allocation is not None,
                       d.allocation.pk if d.allocation else 0),
    )

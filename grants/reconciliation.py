"""Checks that the money adds up: what was awarded, allocated, committed, paid and spent.

The services refuse most of these states, but figures can still disagree: a
grant not yet fully allocated, rows corrected in the admin or loaded by an
import, or a constraint dropped in a migration. The figures come from
``grants.money``: the grant and allocation checks add up the kept balances
(``AllocationBalance``), and a last check compares every balance with the
ledger rows it stands for, so a balance that has drifted is listed rather than
trusted. Each check is one SQL query over all grants in scope, so the number of
queries does not grow with the programme.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db import connection
from django.db.models import Count, ExpressionWrapper, F, OuterRef, Q, Sum

from grants import as_recorded, money
from grants.models import Allocation, Grant, Payment, SpendReturn

ALLOCATIONS_DIFFER_FROM_AWARD = "allocations_differ_from_award"
PAYMENTS_EXCEED_ALLOCATION = "payments_exceed_allocation"
COMMITMENTS_EXCEED_ALLOCATION = "commitments_exceed_allocation"
SPEND_EXCEEDS_PAYMENTS = "spend_exceeds_payments"
MILESTONE_PAID_TWICE = "milestone_paid_twice"
BALANCE_OUT_OF_STEP = "balance_out_of_step"


# Each allocation's ledger figures beside its kept balance, in one pass over each table: the rows are
# grouped by allocation and joined, not summed by a subquery per allocation (at 30,000 allocations on
# PostgreSQL: 0.15 s rather than 1.3 s), and only the allocations that differ come back. The latest
# return's forecast is taken in the same pass as the spend is summed: an allocation has at most one return
# a quarter (spend_return_one_per_quarter, quarters 1 to 4), so it is the forecast of the highest quarter
# found, picked without sorting the returns (numbering them in a window sorted every return). Written in
# SQL because the ORM cannot join grouped derived tables; it runs on SQLite and PostgreSQL alike.
_LEDGER_BESIDE_BALANCE = """
WITH p AS (
    SELECT allocation_id,
           SUM(amount) FILTER (WHERE kind = 'payment') AS paid,
           SUM(amount) FILTER (WHERE kind = 'recovery') AS recovered
    FROM {payment} GROUP BY allocation_id
), s AS (
    SELECT allocation_id, SUM(spent) AS spent,
           COALESCE(MAX(forecast) FILTER (WHERE quarter = 4), MAX(forecast) FILTER (WHERE quarter = 3),
                    MAX(forecast) FILTER (WHERE quarter = 2), MAX(forecast) FILTER (WHERE quarter = 1)) AS forecast
    FROM {spendreturn} GROUP BY allocation_id
), c AS (
    SELECT m.allocation_id, SUM(m.payment_amount) AS committed FROM {milestone} m
    WHERE m.payment_amount IS NOT NULL AND m.allocation_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM {payment} x WHERE x.milestone_id = m.id AND x.kind = 'payment')
    GROUP BY m.allocation_id
), v AS (
    SELECT allocation_id, SUM(releases_recovered) AS released FROM {variation}
    WHERE status = 'approved' AND allocation_id IS NOT NULL GROUP BY allocation_id
), ledger AS (
    SELECT a.id,
           ROUND(COALESCE(p.paid, 0), 2) AS paid, ROUND(COALESCE(p.recovered, 0), 2) AS recovered,
           ROUND(COALESCE(v.released, 0), 2) AS released, ROUND(COALESCE(c.committed, 0), 2) AS committed,
           ROUND(COALESCE(s.spent, 0), 2) AS spent, ROUND(COALESCE(s.forecast, 0), 2) AS forecast,
           b.allocation_id AS kept, b.paid AS b_paid, b.recovered AS b_recovered, b.released AS b_released,
           b.committed AS b_committed, b.spent AS b_spent, b.forecast AS b_forecast
    FROM {allocation} a
    LEFT JOIN {balance} b ON b.allocation_id = a.id
    LEFT JOIN p ON p.allocation_id = a.id
    LEFT JOIN s ON s.allocation_id = a.id
    LEFT JOIN c ON c.allocation_id = a.id
    LEFT JOIN v ON v.allocation_id = a.id
    {scope}
)
SELECT id, paid, recovered, released, committed, spent, forecast FROM ledger  -- the order of BALANCE_FIELDS
WHERE (kept IS NULL AND (paid <> 0 OR recovered <> 0 OR released <> 0 OR committed <> 0 OR spent <> 0 OR forecast <> 0))
   OR b_paid <> paid OR b_recovered <> recovered OR b_released <> released OR b_committed <> committed
   OR b_spent <> spent OR b_forecast <> forecast
"""


def balances_out_of_step(allocations) -> list:
    """Allocations (of the queryset ``allocations``) whose kept balance differs from their ledger rows, or that
    have money in their rows and no balance: each with the ledger's figures as ``l_paid``, ``l_recovered``,
    ``l_released``, ``l_committed``, ``l_spent`` and ``l_forecast``, and its grant, recipient and balance.
    Two queries: the comparison, and the allocations that differ."""
    models = {
        name: apps.get_model(app, name)
        for app, name in (
            ("grants", "Payment"),
            ("grants", "SpendReturn"),
            ("projects", "Milestone"),
            ("grants", "Variation"),
            ("grants", "Allocation"),
            ("grants", "AllocationBalance"),
        )
    }
    tables = {name.lower(): connection.ops.quote_name(model._meta.db_table) for name, model in models.items()}
    tables["balance"] = tables.pop("allocationbalance")
    scope, params = "", ()
    if allocations.query.where:
        keys, params = allocations.order_by().values("pk").query.sql_with_params()
        scope = f"WHERE a.id IN ({keys})"
    with connection.cursor() as cursor:
        cursor.execute(_LEDGER_BESIDE_BALANCE.format(scope=scope, **tables), params)
        out_of_step = {row[0]: dict(zip(money.BALANCE_FIELDS, row[1:], strict=True)) for row in cursor.fetchall()}
    if not out_of_step:
        return []
    found = list(
        models["Allocation"]
        .objects.filter(pk__in=out_of_step)
        .select_related("grant", "recipient", "balance")
        .order_by("pk")
    )
    for allocation in found:
        for name, value in out_of_step[allocation.pk].items():
            setattr(allocation, f"l_{name}", money.to_penny(value))
    return found


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
    expected_because: str = ""  # set when an officer recorded that the difference is there on purpose

    @property
    def needs_action(self) -> bool:
        return not self.expected_because


def _pounds(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


def _grant_discrepancies(grants) -> list[Discrepancy]:
    # Grants are re-selected by key so that a scoped queryset's own joins cannot multiply the sums.
    sums = money.balance_sums("allocations__")
    rows = (
        Grant.objects.filter(pk__in=grants.values("pk"))
        .annotate(allocated=sums["allocated"], paid=sums["paid"], recovered=sums["recovered"], spent=sums["spent"])
        .annotate(net_paid=ExpressionWrapper(F("paid") - F("recovered"), output_field=money.MONEY))
        .filter(~Q(allocated=F("amount_awarded")) | Q(net_paid__gt=F("allocated")) | Q(spent__gt=F("net_paid")))
    )
    found = []
    for grant in rows:
        found += _grant_findings(
            grant, awarded=grant.amount_awarded, allocated=grant.allocated, net_paid=grant.net_paid, spent=grant.spent
        )
    return found


def _grant_findings(grant, *, awarded, allocated, net_paid, spent) -> list[Discrepancy]:
    """A grant's award against its allocations, its allocations against net paid, net paid against spent."""
    # SQLite's sums can carry a float's error: compare to the penny, as the pages show them.
    awarded, allocated, net_paid, spent = (money.to_penny(value) for value in (awarded, allocated, net_paid, spent))
    found = []
    if allocated != awarded:
        gap = abs(awarded - allocated)
        side = "less" if allocated < awarded else "more"
        found.append(
            Discrepancy(
                grant,
                ALLOCATIONS_DIFFER_FROM_AWARD,
                awarded,
                allocated,
                gap,
                f"Allocations total {_pounds(allocated)}, {_pounds(gap)} {side} than the award of {_pounds(awarded)}",
                # Money left unallocated on purpose (and only that: over-allocation never is).
                expected_because=grant.unallocated_reason if allocated < awarded else "",
            )
        )
    if net_paid > allocated:
        gap = net_paid - allocated
        found.append(
            Discrepancy(
                grant,
                PAYMENTS_EXCEED_ALLOCATION,
                allocated,
                net_paid,
                gap,
                f"Net payments of {_pounds(net_paid)} are {_pounds(gap)} more than the grant's allocations "
                f"of {_pounds(allocated)}",
            )
        )
    if spent > net_paid:
        gap = spent - net_paid
        found.append(
            Discrepancy(
                grant,
                SPEND_EXCEEDS_PAYMENTS,
                net_paid,
                spent,
                gap,
                f"Spend returns total {_pounds(spent)}, {_pounds(gap)} more than net payments of {_pounds(net_paid)}",
            )
        )
    return found


def _allocation_discrepancies(grants) -> list[Discrepancy]:
    """Net paid + committed never passes allocated (DESIGN.md). Past it, either more was paid than
    allocated, or milestones promise money the allocation no longer holds: one listing each."""
    figures = money.balance_annotations()
    rows = (
        Allocation.objects.filter(grant__in=grants)
        .annotate(**{name: figures[name] for name in ("allocated", "net_paid", "committed")})
        .filter(balance__isnull=False, amount__lt=F("net_paid") + F("committed"))
        .select_related("grant", "recipient")
    )
    found = []
    for allocation in rows:
        found += _allocation_findings(
            allocation, allocated=allocation.allocated, net_paid=allocation.net_paid, committed=allocation.committed
        )
    return found


def _allocation_findings(allocation, *, allocated, net_paid, committed=Decimal("0.00")) -> list[Discrepancy]:
    allocated, net_paid, committed = (money.to_penny(value) for value in (allocated, net_paid, committed))
    what = f"{allocation.recipient} for {allocation.financial_year}"
    if net_paid > allocated:
        gap = net_paid - allocated
        return [
            Discrepancy(
                allocation.grant,
                PAYMENTS_EXCEED_ALLOCATION,
                allocated,
                net_paid,
                gap,
                f"Net payments to {what} of {_pounds(net_paid)} are {_pounds(gap)} more than its allocation of "
                f"{_pounds(allocated)}",
                allocation=allocation,
            )
        ]
    if net_paid + committed > allocated:
        promised = net_paid + committed
        gap = promised - allocated
        return [
            Discrepancy(
                allocation.grant,
                COMMITMENTS_EXCEED_ALLOCATION,
                allocated,
                promised,
                gap,
                f"Net payments to {what} of {_pounds(net_paid)} and {_pounds(committed)} committed to milestones "
                f"are {_pounds(gap)} more than its allocation of {_pounds(allocated)}",
                allocation=allocation,
            )
        ]
    return []


# Each kept figure, and what its ledger rows are called in a message.
_BALANCE_FIGURES = (
    ("paid", "paid", "its payments add up to"),
    ("recovered", "recovered", "its recoveries add up to"),
    ("released", "released for payment again", "its approved variations release"),
    ("committed", "committed", "its milestones' unpaid payments add up to"),
    ("spent", "spent", "its spend returns add up to"),
    ("forecast", "forecast", "its latest spend return forecasts"),
)


def _balance_discrepancies(grants) -> list[Discrepancy]:
    """Every kept balance against its own ledger rows: one listing for each figure that differs."""
    found = []
    # Every grant (the funder's view): no filter, so each table is read once without a join to the scope.
    allocations = Allocation.objects.filter(grant__in=grants) if grants.query.where else Allocation.objects.all()
    for allocation in balances_out_of_step(allocations):
        balance = getattr(allocation, "balance", None)
        what = f"{allocation.recipient}'s {allocation.financial_year} allocation"
        for name, label, source in _BALANCE_FIGURES:
            kept = money.to_penny(getattr(balance, name) if balance else None)
            ledger = money.to_penny(getattr(allocation, f"l_{name}"))
            if kept == ledger:
                continue
            if balance is None:
                message = f"No balance is kept for {what}, but {source} {_pounds(ledger)}"
            else:
                message = (
                    f"The kept balance of {what} says {label} {_pounds(kept)}, but {source} {_pounds(ledger)}: "
                    f"{_pounds(abs(kept - ledger))} {'more' if kept > ledger else 'less'}"
                )
            found.append(
                Discrepancy(
                    allocation.grant,
                    BALANCE_OUT_OF_STEP,
                    ledger,
                    kept,
                    abs(kept - ledger),
                    message,
                    allocation=allocation,
                )
            )
    return found


def milestones_paid_twice(payments):
    """Milestones with more than one payment among ``payments``: one row each, with the count and total.

    The database refuses a second payment for a milestone (``milestone_paid_once``);
    this looks anyway, for rows from before the constraint or a restore without it.
    """
    paid = payments.filter(kind=Payment.Kind.PAYMENT, milestone__isnull=False).order_by()
    # Counted over the payments alone first, so that the joins for the title and the grant are made for the
    # few milestones found, not for every payment (40 ms at 11,000 payments on PostgreSQL).
    twice = paid.values("milestone").annotate(times=Count("pk")).filter(times__gt=1).values("milestone")
    return (
        paid.filter(milestone__in=twice)
        .values("milestone", "milestone__title", "milestone__payment_amount", "allocation__grant")
        .annotate(times=Count("pk"), total=money.paid_expression())
        .filter(times__gt=1)
        .order_by("milestone")
    )


def _milestone_discrepancies(grants, payments=None) -> list[Discrepancy]:
    payments = Payment.objects.all() if payments is None else payments
    rows = list(milestones_paid_twice(payments.filter(allocation__grant__in=grants)))
    if not rows:
        return []
    by_pk = Grant.objects.in_bulk({row["allocation__grant"] for row in rows})
    found = []
    for row in rows:
        total = money.to_penny(row["total"])
        # Without a payment amount on the milestone, one payment of the average is what should have been made.
        expected = row["milestone__payment_amount"] or money.to_penny(total / row["times"])
        found.append(
            Discrepancy(
                by_pk[row["allocation__grant"]],
                MILESTONE_PAID_TWICE,
                expected,
                total,
                total - expected,
                f"Milestone “{row['milestone__title']}” was paid {row['times']} times, {_pounds(total)} in all",
            )
        )
    return found


_ORDER = [
    ALLOCATIONS_DIFFER_FROM_AWARD,
    PAYMENTS_EXCEED_ALLOCATION,
    COMMITMENTS_EXCEED_ALLOCATION,
    SPEND_EXCEEDS_PAYMENTS,
    MILESTONE_PAID_TWICE,
    BALANCE_OUT_OF_STEP,
]


def find_discrepancies(grants=None, *, as_at=None) -> list[Discrepancy]:
    """Every disagreement in the money of ``grants`` (all grants by default), grant by grant; with ``as_at``,
    in the money as recorded at the end of that day (``discrepancies_as_at``)."""
    grants = Grant.objects.all() if grants is None else grants
    if as_at is not None:
        found = _discrepancies_as_at(grants, as_at)
    else:
        found = (
            _grant_discrepancies(grants)
            + _allocation_discrepancies(grants)
            + _milestone_discrepancies(grants)
            + _balance_discrepancies(grants)
        )
    # sorted() is stable: an allocation's figures out of step stay in the order of _BALANCE_FIGURES.
    return sorted(
        found,
        key=lambda d: (
            d.grant.award_date,
            d.grant.pk,
            _ORDER.index(d.kind),
            d.allocation is not None,
            d.allocation.pk if d.allocation else 0,
        ),
    )


def _by_grant(rows, grant, expression) -> dict:
    """The SUM of ``expression`` over ``rows`` for each grant (``grant`` is the path to its key)."""
    totals = rows.order_by().values(grant).annotate(total=Sum(expression, output_field=money.MONEY))
    return {row[grant]: row["total"] for row in totals}


def _discrepancies_as_at(grants, as_at) -> list[Discrepancy]:
    """The checks over the money as recorded at the end of ``as_at``: each grant's award and allocations as
    they stood then (grants.money's ``*_as_at``), its payments and recoveries made and recorded by then, its
    spend returns submitted by then; each allocation's net paid against its amount then; milestones paid
    twice by then. Commitments and kept balances are today's, so they are not checked as at a past day."""
    payments = as_recorded.payments_as_at(Payment.objects.all(), as_at)
    returns = as_recorded.returns_as_at(SpendReturn.objects.all(), as_at)
    allocations = as_recorded.allocations_as_at(as_at).filter(grant__in=grants)
    found = []
    # Each figure summed by grant in one pass over its table, rather than by a subquery per grant
    # (1.3 s at 3,000 grants on PostgreSQL); the grants compared are those as they stood then.
    allocated = _by_grant(allocations, "grant", F("amount"))
    net_paid = _by_grant(payments, "allocation__grant", money.NET_AMOUNT)
    spent = _by_grant(returns, "allocation__grant", F("spent"))
    zero = Decimal("0.00")
    for row in as_recorded.grants_as_at(as_at).filter(id__in=grants.values("pk")).order_by("id"):
        figures = {
            "awarded": row.amount_awarded,
            "allocated": allocated.get(row.id, zero),
            "net_paid": net_paid.get(row.id, zero),
            "spent": spent.get(row.id, zero),
        }
        found += _grant_findings(row.instance, **figures)
    overpaid = (
        allocations.annotate(net_paid=money.sum_subquery(payments.filter(allocation=OuterRef("id")), money.NET_AMOUNT))
        .filter(net_paid__gt=F("amount"))
        .select_related("grant", "recipient")
    )
    for row in overpaid:
        allocation = row.instance
        allocation.grant, allocation.recipient = row.grant, row.recipient  # already read with the row
        found += _allocation_findings(allocation, allocated=row.amount, net_paid=row.net_paid)
    return found + _milestone_discrepancies(grants, payments)

"""Every money figure, defined once.

The terms (DESIGN.md, and the glossary page at /help/money/):

- awarded: the grant's award; "original" is the award as first made, before variations;
- allocated: the allocations' resource plus capital;
- committed: milestone payments planned or accepted but not yet paid;
- paid: payments made; recovered: money clawed back; net paid: paid less recovered;
- held: money recovered that no variation has re-profiled, so it may not be paid again;
- headroom: allocated less net paid, committed and held: what can still be promised or paid;
- spent: the total of the spend returns; forecast: the forecast in each allocation's latest return;
- variance: allocated less spent less forecast; underspend and overspend: a variance past a set
  percentage of the allocation, either way.

Two ways to the same figures. ``balance_*`` read the per-allocation balance
(``AllocationBalance``) that the services keep in the same transaction as the
rows; the ledger functions (``ledger_*``) sum the rows themselves, for figures
as at a date or by the date money moved, and for reconciliation to check the
balances. No other module sums payments, recoveries, commitments or spend.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, Round
from django.utils import timezone

from core.prepared import Prepared

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Decimal("0.00")
ZERO_VALUE = Value(ZERO, output_field=MONEY)
PENNY = Decimal("0.01")

GLOSSARY = [
    (
        "awarded",
        "Awarded",
        "The amount of a grant's award as it stands today, after any approved variations. "
        "The original award is the amount first awarded.",
    ),
    (
        "allocated",
        "Allocated",
        "The part of a grant earmarked for one recipient in one financial year "
        "(resource plus capital), added up over the allocations in view.",
    ),
    (
        "committed",
        "Committed",
        "Milestone payments planned or accepted but not yet paid. Money is committed "
        "from the moment a milestone with a payment is planned.",
    ),
    ("paid", "Paid", "Payments the funder has made, before recoveries."),
    (
        "recovered",
        "Recovered",
        "Money paid and then returned to the funder (clawed back): an underspend "
        "returned, an overpayment or a breach of the grant's conditions.",
    ),
    ("net-paid", "Net paid", "Paid less recovered."),
    (
        "held",
        "Recovered and held",
        "Money recovered from an allocation that may not be paid again until an "
        "officer records a variation that re-profiles it.",
    ),
    (
        "headroom",
        "Headroom",
        "Allocated less net paid, less committed, less recovered money held: what can "
        "still be promised to a milestone or paid. Net paid plus committed never passes allocated.",
    ),
    ("spent", "Spent", "The total that recipients report spending in their quarterly spend returns."),
    (
        "forecast",
        "Forecast",
        "For each allocation, the forecast in its latest spend return: what the "
        "recipient expects to spend in the rest of the year. An allocation with no return adds nothing.",
    ),
    (
        "variance",
        "Variance",
        "Allocated less spent less forecast: money neither spent nor expected to be. "
        "Negative when more is spent or forecast than was allocated.",
    ),
    (
        "underspend",
        "Underspend",
        "A positive variance of more than the underspend threshold (a percentage of "
        "the allocation, set by UNDERSPEND_THRESHOLD_PERCENT).",
    ),
    (
        "overspend",
        "Overspend",
        "A negative variance of more than the overspend threshold (a percentage of the "
        "allocation, set by OVERSPEND_THRESHOLD_PERCENT). Negative money is never called an underspend.",
    ),
    (
        "financial-year",
        "Financial year",
        "1 April to 31 March, written 2016-17. Payments and recoveries "
        "count in the year and quarter of their date; spending in the year and quarter of its return; "
        "allocations and forecasts in the year they are for. So quarters add up to their year.",
    ),
    (
        "as-at",
        "As at a date",
        "Figures as they were recorded on that date: payments, recoveries and returns "
        "recorded by then, allocations and awards as they stood, and statuses and ratings as they were.",
    ),
]


def underspend_threshold() -> int:
    return settings.UNDERSPEND_THRESHOLD_PERCENT


def overspend_threshold() -> int:
    return settings.OVERSPEND_THRESHOLD_PERCENT


def to_penny(value) -> Decimal:
    # SQLite's sums lose trailing zeros (and can carry a float's error): money is kept to the penny.
    return (value if isinstance(value, Decimal) else Decimal(str(value or 0))).quantize(PENNY)


@dataclass(frozen=True)
class Figures:
    """One allocation's figures, or the sum of several allocations'."""

    allocated: Decimal = ZERO
    paid: Decimal = ZERO
    recovered: Decimal = ZERO
    released: Decimal = ZERO
    committed: Decimal = ZERO
    spent: Decimal = ZERO
    forecast: Decimal = ZERO
    held_total: Decimal | None = None  # summed per allocation when several are added up

    @property
    def net_paid(self) -> Decimal:
        return self.paid - self.recovered

    @property
    def held(self) -> Decimal:
        if self.held_total is not None:
            return self.held_total
        return held(self.allocated, self.paid, self.recovered, self.released, self.committed)

    @property
    def headroom(self) -> Decimal:
        return self.allocated - self.net_paid - self.committed - self.held

    @property
    def variance(self) -> Decimal:
        return self.allocated - self.spent - self.forecast

    @property
    def underspend(self) -> bool:
        return is_underspend(self.allocated, self.variance)

    @property
    def overspend(self) -> bool:
        return is_overspend(self.allocated, self.variance)


def held(allocated, paid, recovered, released, committed) -> Decimal:
    """Recovered money not re-profiled, no more than the allocation has left to hold it."""
    unreleased = max(recovered - released, ZERO)
    room = max(allocated - (paid - recovered) - committed, ZERO)
    return min(unreleased, room)


def is_underspend(allocated, variance, threshold: int | None = None) -> bool:
    """More of the allocation neither spent nor forecast than the threshold allows."""
    threshold = underspend_threshold() if threshold is None else threshold
    return variance > 0 and variance * 100 > allocated * threshold


def is_overspend(allocated, variance, threshold: int | None = None) -> bool:
    """More spent or forecast than allocated, by more than the threshold allows."""
    threshold = overspend_threshold() if threshold is None else threshold
    return variance < 0 and -variance * 100 > allocated * threshold


# --- From the balances ----------------------------------------------------------------

BALANCE_FIELDS = ("paid", "recovered", "released", "committed", "spent", "forecast")


def held_expression(prefix: str = ""):
    """``held`` for one allocation row (``prefix`` leads from the query's model to the allocation)."""
    b = f"{prefix}balance__"
    unreleased = Greatest(F(f"{b}recovered") - F(f"{b}released"), ZERO_VALUE, output_field=MONEY)
    room = Greatest(
        F(f"{prefix}amount") - F(f"{b}paid") + F(f"{b}recovered") - F(f"{b}committed"),
        ZERO_VALUE,
        output_field=MONEY,
    )
    return Least(unreleased, room, output_field=MONEY)


def balance_annotations(prefix: str = "") -> dict:
    """Per-allocation figures from the balance, to ``annotate`` a queryset of allocations (or of rows that
    lead to one allocation through ``prefix``)."""
    b = f"{prefix}balance__"
    figures = {name: Coalesce(F(f"{b}{name}"), ZERO_VALUE, output_field=MONEY) for name in BALANCE_FIELDS}
    figures["allocated"] = F(f"{prefix}amount")
    # Rounded to the penny in SQL: SQLite works these out in floating point, where 0 can come
    # out as -3.6e-12 and fail a "headroom >= 0" filter.
    figures["net_paid"] = _penny(F(f"{b}paid") - F(f"{b}recovered"))
    figures["held"] = _penny(held_expression(prefix))
    figures["headroom"] = _penny(
        F(f"{prefix}amount") - F(f"{b}paid") + F(f"{b}recovered") - F(f"{b}committed") - held_expression(prefix)
    )
    figures["variance"] = _penny(F(f"{prefix}amount") - F(f"{b}spent") - F(f"{b}forecast"))
    return figures


def _penny(expression):
    return Round(ExpressionWrapper(expression, output_field=MONEY), 2, output_field=MONEY)


def balance_sums(prefix: str = "") -> dict:
    """The same figures added up over many allocations, for ``aggregate`` or a grouped ``annotate``."""
    b = f"{prefix}balance__"
    sums = {name: Coalesce(Sum(f"{b}{name}"), ZERO_VALUE, output_field=MONEY) for name in BALANCE_FIELDS}
    sums["allocated"] = Coalesce(Sum(f"{prefix}amount"), ZERO_VALUE, output_field=MONEY)
    sums["held_total"] = Coalesce(Sum(held_expression(prefix)), ZERO_VALUE, output_field=MONEY)
    return sums


def figures_from(row: dict) -> Figures:
    """A ``Figures`` from an aggregate or a ``values()`` row made with ``balance_sums``."""
    return Figures(
        **{name: to_penny(row.get(name)) for name in (*BALANCE_FIELDS, "allocated")},
        held_total=to_penny(row["held_total"]) if "held_total" in row else None,
    )


def totals(allocations) -> Figures:
    """The figures of a queryset of allocations, in one query."""
    return figures_from(allocations.order_by().aggregate(**balance_sums()))


@dataclass(frozen=True)
class ShownFigure:
    """A figure as a page shows it: its label, its value, whether invented demo rows are behind it."""

    label: str
    value: Decimal
    illustrative: bool = False
    term: str = ""  # its key in GLOSSARY: the label links to what it means


# The money an officer acts on, in the order of every table that shows it: (glossary key, label).
SHOWN_COLUMNS = [
    ("allocated", "Allocated"),
    ("net-paid", "Net paid"),
    ("committed", "Committed"),
    ("headroom", "Headroom"),
    ("spent", "Spent"),
]
# Which allocations carry invented rows behind each figure, counted beside balance_sums (``prefix`` leads from
# the query's model to the allocations, as in balance_sums).
INVENTED_COUNTS = {
    "invented_allocated": lambda prefix="": Count(f"{prefix}pk", filter=Q(**{f"{prefix}illustrative": True})),
    "invented_paid": lambda prefix="": Count(f"{prefix}pk", filter=Q(**{f"{prefix}balance__invented_paid": True})),
    "invented_committed": lambda prefix="": Count(
        f"{prefix}pk", filter=Q(**{f"{prefix}balance__invented_committed": True})
    ),
    "invented_spent": lambda prefix="": Count(f"{prefix}pk", filter=Q(**{f"{prefix}balance__invented_spent": True})),
}


def illustrative_marks(
    *, allocated: bool, paid: bool, committed: bool, spent: bool, forecast: bool | None = None
) -> dict[str, bool]:
    """Which figures have an invented (illustrative) demo row behind them, given which kinds of row do: an
    invented allocation (``allocated``), payment or recovery (``paid``), committed milestone (``committed``)
    or spend return (``spent``), and whether the latest return, whose forecast counts, is invented
    (``forecast``; None when the caller has not read the returns, and then the marks leave out forecast,
    variance, underspend and overspend). A figure worked out from others is marked when any of them is: the one definition the pages'
    marks (grants.templatetags.money_marks) and the API share."""
    headroom = allocated or paid or committed
    marks = {
        "allocated": allocated,
        "paid": paid,
        "recovered": paid,
        "net_paid": paid,
        "committed": committed,
        # held is recovered money measured against the headroom: invented when either is.
        "held": headroom,
        "headroom": headroom,
        "spent": spent,
    }
    if forecast is not None:
        variance = allocated or spent or forecast
        marks.update(forecast=forecast, variance=variance, underspend=variance, overspend=variance)
    return marks


NO_ALLOCATIONS = dict.fromkeys(INVENTED_COUNTS, 0)


def shown_sums() -> dict:
    """``balance_sums`` and the invented counts, for ``aggregate`` or a grouped ``annotate`` of allocations."""
    return {**balance_sums(), **{name: count() for name, count in INVENTED_COUNTS.items()}}


def add_up_shown(rows) -> dict:
    """The sum of a few rows made with ``shown_sums`` (one per grant and recipient, say), as one row."""
    return {name: sum((row[name] for row in rows), 0) for name in (*balance_sums(), *INVENTED_COUNTS)}


def shown_figures(row) -> list[ShownFigure]:
    """The SHOWN_COLUMNS figures of a row made with ``shown_sums``."""
    figures = figures_from(row)
    allocated, paid, committed, spent = (row[name] > 0 for name in INVENTED_COUNTS)
    marks = illustrative_marks(allocated=allocated, paid=paid, committed=committed, spent=spent)
    values = [
        (figures.allocated, marks["allocated"]),
        (figures.net_paid, marks["net_paid"]),
        (figures.committed, marks["committed"]),
        (figures.headroom, marks["headroom"]),
        (figures.spent, marks["spent"]),
    ]
    return [
        ShownFigure(label, value, invented, term)
        for (term, label), (value, invented) in zip(SHOWN_COLUMNS, values, strict=True)
    ]


def allocation_figures(allocation) -> Figures:
    """One allocation's figures, from its balance."""
    balance = getattr(allocation, "balance", None)
    values = {name: getattr(balance, name) for name in BALANCE_FIELDS} if balance else {}
    return Figures(
        allocated=allocation.amount
        if allocation.amount is not None
        else (allocation.resource or ZERO) + (allocation.capital or ZERO),
        **values,
    )


class GroupSubquery(Subquery):
    """A scalar subquery in a grouped query, worked out once per group.

    Django groups a query by any correlated subquery in its SELECT, which makes
    the database work the subquery out for every row before grouping (once per
    allocation rather than once per organisation, say). Every subquery here
    refers only to the column the outer query groups by (or to nothing), so
    the grouping is already right without it.
    """

    def get_group_by_cols(self):
        return []


def sum_subquery(queryset, expression) -> GroupSubquery:
    """The SUM of ``expression`` over ``queryset`` as a scalar subquery (0 when there are no rows).

    SUM is written as a plain function so that Django adds no GROUP BY inside:
    the subquery is one row whether or not it refers to the outer query.
    """
    total = Coalesce(Func(expression, function="SUM", output_field=MONEY), ZERO_VALUE, output_field=MONEY)
    return GroupSubquery(queryset.order_by().annotate(_total=total).values("_total"), output_field=MONEY)


# --- From the ledger rows --------------------------------------------------------------

PAID_AMOUNT = Case(When(kind="payment", then=F("amount")), default=ZERO_VALUE, output_field=MONEY)
RECOVERED_AMOUNT = Case(When(kind="recovery", then=F("amount")), default=ZERO_VALUE, output_field=MONEY)
# A recovery counts against what was paid: net paid is the sum of the signed amounts.
NET_AMOUNT = Case(When(kind="recovery", then=-F("amount")), default=F("amount"), output_field=MONEY)


def _sum(expression):
    return Coalesce(Sum(expression), ZERO_VALUE, output_field=MONEY)


def ledger_payment_sums(payments) -> dict:
    """paid, recovered and net_paid of a queryset of payments (and recoveries), in one query."""
    row = payments.order_by().aggregate(paid=_sum(PAID_AMOUNT), recovered=_sum(RECOVERED_AMOUNT))
    paid, recovered = to_penny(row["paid"]), to_penny(row["recovered"])
    return {"paid": paid, "recovered": recovered, "net_paid": paid - recovered}


def net_paid_expression():
    """For a grouped ``annotate`` over payments: paid less recovered."""
    return _sum(NET_AMOUNT)


def paid_expression():
    return _sum(PAID_AMOUNT)


def spent_expression():
    return _sum("spent")


def latest_returns(returns, *, up_to_quarter: int | None = None):
    """Of ``returns``, each allocation's latest (highest quarter, up to ``up_to_quarter``): the one whose
    forecast counts."""
    SpendReturn = apps.get_model("grants", "SpendReturn")
    later = SpendReturn.objects.filter(allocation=OuterRef("allocation"), quarter__gt=OuterRef("quarter"))
    if up_to_quarter:
        later = later.filter(quarter__lte=up_to_quarter)
    return returns.filter(~Exists(later))


def committed_milestones(milestones):
    """Of ``milestones``, those whose payment is committed: a payment planned, not yet made."""
    Payment = apps.get_model("grants", "Payment")
    paid = Payment.objects.filter(milestone=OuterRef("pk"), kind="payment")
    return milestones.filter(payment_amount__isnull=False, allocation__isnull=False).filter(~Exists(paid))


# A kept balance's marks of an invented (illustrative) row behind its sums, as _ledger_row reads them.
INVENTED_MARKS = ("invented_paid", "invented_committed", "invented_spent")


def _ledger_row_query(allocation_id):
    Allocation = apps.get_model("grants", "Allocation")
    Payment = apps.get_model("grants", "Payment")
    SpendReturn = apps.get_model("grants", "SpendReturn")
    Milestone = apps.get_model("projects", "Milestone")
    Variation = apps.get_model("grants", "Variation")
    payments = Payment.objects.filter(allocation=OuterRef("pk"))
    committed = committed_milestones(Milestone.objects.filter(allocation=OuterRef("pk")))
    returns = SpendReturn.objects.filter(allocation=OuterRef("pk"))
    approved = Variation.objects.filter(allocation=OuterRef("pk"), status="approved")
    return (
        Allocation.objects.filter(pk=allocation_id)
        .annotate(
            paid=sum_subquery(payments, PAID_AMOUNT),
            recovered=sum_subquery(payments, RECOVERED_AMOUNT),
            released=sum_subquery(approved, F("releases_recovered")),
            committed=sum_subquery(committed, F("payment_amount")),
            spent=sum_subquery(returns, F("spent")),
            forecast=Subquery(returns.order_by("-quarter").values("forecast")[:1], output_field=MONEY),
            invented_paid=Exists(payments.filter(illustrative=True)),
            invented_committed=Exists(committed.filter(illustrative=True)),
            invented_spent=Exists(returns.filter(illustrative=True)),
        )
        .values("amount", *BALANCE_FIELDS, *INVENTED_MARKS)
    )


# Its SQL is written once for each connection (core/prepared.py): compiling its nine subqueries took a
# hundred times as long as running them, on every money write.
_LEDGER_ROW = Prepared(_ledger_row_query)


def _ledger_row(allocation_id) -> dict:
    """One allocation's amount, the sums of its rows and whether an invented row lies behind each sum,
    in one query: each money service reads it at least once for every row it writes."""
    return _LEDGER_ROW.row(allocation_id)


def _figures(row: dict) -> Figures:
    return Figures(allocated=to_penny(row["amount"]), **{name: to_penny(row[name] or ZERO) for name in BALANCE_FIELDS})


def ledger_figures(allocation_id) -> Figures:
    """One allocation's figures summed from its rows: what its balance must say."""
    return _figures(_ledger_row(allocation_id))


def refresh_balance(allocation_id):
    """Rewrite one allocation's balance from its rows. Called by the services with the allocation locked,
    in the transaction that changed the rows, so the balance is never seen out of step with them."""
    AllocationBalance = apps.get_model("grants", "AllocationBalance")
    row = _ledger_row(allocation_id)
    figures = _figures(row)
    invented = {name: row[name] for name in INVENTED_MARKS}
    balance, _ = AllocationBalance.objects.update_or_create(
        allocation_id=allocation_id, defaults={**{name: getattr(figures, name) for name in BALANCE_FIELDS}, **invented}
    )
    return balance


def refresh_spend_balances(allocation_ids) -> None:
    """Rewrite the spend figures (spent, forecast, invented_spent) of many allocations' balances from their
    returns, as ``refresh_balance`` would, in three queries: for a spreadsheet of returns, with the
    allocations locked and in the transaction that wrote them. Allocations with no balance yet get one
    from ``refresh_balance``."""
    AllocationBalance = apps.get_model("grants", "AllocationBalance")
    SpendReturn = apps.get_model("grants", "SpendReturn")
    latest = SpendReturn.objects.filter(allocation=OuterRef("allocation")).order_by("-quarter").values("forecast")[:1]
    rows = {
        row["allocation"]: row
        for row in SpendReturn.objects.filter(allocation_id__in=allocation_ids)
        .values("allocation")
        .annotate(
            total=_sum("spent"),
            latest_forecast=GroupSubquery(latest, output_field=MONEY),
            invented=Count("pk", filter=Q(illustrative=True)),
        )
        .order_by()
    }
    balances = list(AllocationBalance.objects.filter(allocation_id__in=allocation_ids))
    now = timezone.now()
    for balance in balances:
        row = rows.get(balance.allocation_id)
        balance.spent = to_penny(row["total"] if row else ZERO)
        balance.forecast = to_penny(row["latest_forecast"] if row else ZERO)
        balance.invented_spent = bool(row and row["invented"])
        balance.updated_at = now
    AllocationBalance.objects.bulk_update(
        balances, ["spent", "forecast", "invented_spent", "updated_at"], batch_size=500
    )
    for allocation_id in set(allocation_ids) - {balance.allocation_id for balance in balances}:
        refresh_balance(allocation_id)


def original_award_expression(prefix: str = ""):
    """A grant's award as first made: kept on the grant when a variation first changes it."""
    return Coalesce(F(f"{prefix}original_amount"), F(f"{prefix}amount_awarded"), output_field=MONEY)


def milestone_payments_total(amounts) -> Decimal:
    """The payments some milestones would release (committed, or waiting to be paid), from their payment
    amounts as read with them: a page that has read every waiting milestone's amount adds them up here instead
    of asking the database again with each milestone's id."""
    return to_penny(sum(amounts, ZERO))


# --- Grouped for a page -----------------------------------------------------------------
#
# One grouped query each; the few groups (a project has a handful of recipients and years) are then
# added up by row, by column and overall here, the same way on SQLite and PostgreSQL.


@dataclass(frozen=True)
class GridCell:
    """Allocated resource, capital and total in one cell of the allocation grid."""

    resource: Decimal
    capital: Decimal
    total: Decimal
    illustrative: bool


def _grid_cell(rows) -> GridCell:
    return GridCell(
        sum((row["resource"] for row in rows), ZERO),
        sum((row["capital"] for row in rows), ZERO),
        sum((row["total"] for row in rows), ZERO),
        any(row["invented"] for row in rows),
    )


def allocation_grid(allocations) -> dict:
    """``allocations`` by recipient (rows) and financial year (columns), with each row's, each year's and
    the overall total, each cell marked when an invented figure is in it."""
    grid = list(
        allocations.values("recipient", "recipient__name", "financial_year")
        .annotate(
            resource=_sum(F("resource")),
            capital=_sum(F("capital")),
            total=_sum(F("amount")),
            invented=Count("pk", filter=Q(illustrative=True)),
        )
        .order_by()
    )
    years = sorted({row["financial_year"] for row in grid})
    recipients = sorted({(row["recipient__name"], row["recipient"]) for row in grid})
    cells = {(row["recipient"], row["financial_year"]): _grid_cell([row]) for row in grid}
    rows = [
        {
            "recipient": name,
            "recipient_id": recipient,
            "cells": [cells.get((recipient, year)) for year in years],
            "total": _grid_cell([row for row in grid if row["recipient"] == recipient]),
        }
        for name, recipient in recipients
    ]
    return {
        "years": years,
        "rows": rows,
        "year_totals": [_grid_cell([row for row in grid if row["financial_year"] == year]) for year in years],
        "total": _grid_cell(grid) if rows else None,
    }


def money_by_recipient(allocations, grid_rows, grants, *, per_grant: bool):
    """The SHOWN_COLUMNS figures (from the kept balances) of ``allocations`` for each recipient of
    ``grid_rows`` (``allocation_grid``'s rows), in all, and, when ``per_grant``, for each of ``grants``:
    one query grouped by grant and recipient. Returns (rows, totals, {grant pk: figures})."""
    if not grid_rows:
        return [], None, {}
    pairs = list(allocations.values("grant", "recipient").annotate(**shown_sums()).order_by())

    def figures(rows):
        return shown_figures(add_up_shown(rows))

    rows = [
        {"recipient": row["recipient"], "figures": figures([p for p in pairs if p["recipient"] == row["recipient_id"]])}
        for row in grid_rows
    ]
    by_grant = (
        {grant.pk: figures([p for p in pairs if p["grant"] == grant.pk]) for grant in grants} if per_grant else {}
    )
    return rows, figures(pairs), by_grant

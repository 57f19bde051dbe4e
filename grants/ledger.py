"""The ledger: every payment, recovery and spend-return line, in one order for every reader
(the spending report's pages and files, the ledger download, the background job).

Lines are in date order, a spend return dated by its quarter's last day and listed before a
payment of the same day. Two queries are read with a cursor and merged, so a long ledger is
never held in memory. A recovery's amount is negative, so the column adds up to net paid.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from grants.financial_year import FinancialQuarter, FinancialYear
from grants.models import Payment

CHUNK = 2_000
WHERE = (
    "allocation__financial_year",
    "allocation__grant__project__reference",
    "allocation__grant__project__title",
    "allocation__grant__title",
    "allocation__recipient__name",
    "allocation__recipient__org_id",
)


@dataclass(frozen=True)
class LedgerLine:
    date: dt.date
    quarter: FinancialQuarter
    kind: str
    paid: Decimal | None  # negative for a recovery
    spent: Decimal | None
    forecast: Decimal | None
    reference: str
    illustrative: bool
    financial_year: FinancialYear
    project_reference: str
    project_title: str
    grant_title: str
    recipient_name: str
    recipient_org_id: str


def ledger_lines(payments, spend_returns) -> Iterator[LedgerLine]:
    """The lines of ``payments`` (Payment rows) and ``spend_returns`` (SpendReturn rows), merged in date order."""
    paid = (
        payments.order_by("paid_on", "pk")
        .values_list("paid_on", "kind", "amount", "reference", "illustrative", *WHERE)
        .iterator(chunk_size=CHUNK)
    )
    returned = (
        spend_returns.order_by("allocation__financial_year", "quarter", "pk")
        .values_list("quarter", "spent", "forecast", "illustrative", *WHERE)
        .iterator(chunk_size=CHUNK)
    )
    quarters: dict[dt.date, FinancialQuarter] = {}  # worked out once per day, not once per line

    def quarter_of(day):
        if day not in quarters:
            quarters[day] = FinancialQuarter.of(day)
        return quarters[day]

    def from_payments():
        for paid_on, kind, amount, reference, illustrative, *where in paid:
            recovery = kind == Payment.Kind.RECOVERY
            yield LedgerLine(
                paid_on,
                quarter_of(paid_on),
                "Recovery" if recovery else "Payment",
                -amount if recovery else amount,
                None,
                None,
                reference,
                illustrative,
                *where,
            )

    def from_returns():
        for number, spent, forecast, illustrative, *where in returned:
            quarter = where[0].quarter(number)
            yield LedgerLine(quarter.end, quarter, "Spend return", None, spent, forecast, "", illustrative, *where)

    return heapq.merge(from_payments(), from_returns(), key=lambda line: (line.date, line.kind != "Spend return"))

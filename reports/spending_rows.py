"""The spending report's groupings and its rows: each figure of a row, and the figures worked out from them
(variance, % spent, the under- or overspend flag), with the mark of a figure invented for the demonstration."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from grants import money
from reports.spending_notes import Thresholds

TENTH = Decimal("0.1")

PROJECT, ORGANISATION, FINANCIAL_YEAR, QUARTER, ROUND = "project", "organisation", "financial_year", "quarter", "round"


@dataclass(frozen=True)
class Grouping:
    key: str
    label: str  # "Project"; the sheet is "By project"
    label_headers: tuple[str, ...]
    has_awarded: bool
    per_quarter: bool = False  # allocated and forecast are not figures of a quarter

    @property
    def sheet_title(self) -> str:
        return f"By {self.label.lower()}"


GROUPINGS = {
    grouping.key: grouping
    for grouping in (
        Grouping(PROJECT, "Project", ("Reference", "Project"), has_awarded=True),
        Grouping(ORGANISATION, "Organisation", ("Organisation", "Org-id"), has_awarded=False),
        Grouping(FINANCIAL_YEAR, "Financial year", ("Financial year",), has_awarded=False),
        Grouping(QUARTER, "Quarter", ("Financial year", "Quarter"), has_awarded=False, per_quarter=True),
        Grouping(ROUND, "Round", ("Programme", "Round"), has_awarded=True),
    )
}


UNDERSPEND, OVERSPEND, NEITHER = "Underspend", "Overspend", "Neither"

# The figures a row adds up from ledger rows, any of which may be invented for the demonstration
# (an illustrative grant, allocation, payment or spend return); the row's other figures are worked out
# from these. The report's queries say, beside each sum, whether an invented row adds to it.
SUMMED = ("awarded", "allocated", "paid", "spent", "forecast")


@dataclass(frozen=True)
class Row:
    """One row of a grouping (or the totals). None means "not applicable to this row"."""

    labels: tuple[str, ...]
    awarded: Decimal | None
    allocated: Decimal | None
    paid: Decimal
    spent: Decimal
    forecast: Decimal | None
    thresholds: Thresholds
    key: object = None
    original_awarded: Decimal | None = None  # the awards as first made, before variations (totals only)
    invented: frozenset[str] = frozenset()  # those of SUMMED that an invented row adds to

    @cached_property
    def marks(self) -> dict[str, bool]:
        """Whether each figure has an invented row behind it: a sum when an invented row adds to it, a figure
        worked out from sums when one of them is marked. Never a figure the row does not have (a dash)."""
        summed = {name: name in self.invented for name in SUMMED}
        worked_out = {
            "original_awarded": summed["awarded"],
            "variance": summed["allocated"] or summed["spent"] or summed["forecast"],
            "percent_spent": summed["allocated"] or summed["spent"],
        }
        return {name: marked and getattr(self, name) is not None for name, marked in (summed | worked_out).items()}

    @property
    def variance(self) -> Decimal | None:
        if self.allocated is None or self.forecast is None:
            return None
        return money.Figures(allocated=self.allocated, spent=self.spent, forecast=self.forecast).variance

    @property
    def percent_spent(self) -> Decimal | None:
        """Spent as a percentage of allocated, to one place; none when nothing was allocated."""
        if not self.allocated:
            return None
        return (self.spent * 100 / self.allocated).quantize(TENTH)

    @property
    def share_spent(self) -> Decimal | None:
        """Spent as a fraction of allocated, for a spreadsheet's percent format."""
        if not self.allocated:
            return None
        return self.spent / self.allocated

    @property
    def underspend(self) -> bool | None:
        variance = self.variance
        if variance is None:
            return None
        return money.is_underspend(self.allocated, variance, self.thresholds.underspend)

    @property
    def overspend(self) -> bool | None:
        variance = self.variance
        if variance is None:
            return None
        return money.is_overspend(self.allocated, variance, self.thresholds.overspend)

    @property
    def flag(self) -> str | None:
        """ "Underspend", "Overspend" or "Neither"; None where there is no variance (a quarter)."""
        if self.variance is None:
            return None
        return UNDERSPEND if self.underspend else OVERSPEND if self.overspend else NEITHER

"""How the spending report's figures are worked out, in the plain words shown on the page and
written into every file, and the thresholds past which a row is flagged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from grants import money

FINANCIAL_YEAR_BASIS = (
    "A financial year runs from 1 April to 31 March and means the same in every grouping and filter: payments and "
    "recoveries count in the year and quarter of the date they were made; spending counts in the year and quarter "
    "its spend return covers; allocations and forecasts count in the year they are for. So the quarters of a year "
    "add up to the year, and a payment made after its allocation's year counts in the year it was made."
)


@dataclass(frozen=True)
class Thresholds:
    """The percentages of an allocation past which a variance is flagged, either way."""

    underspend: int
    overspend: int

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(money.underspend_threshold(), money.overspend_threshold())

    @property
    def underspend_text(self) -> str:
        return f"Variance more than {self.underspend}% of allocated"

    @property
    def overspend_text(self) -> str:
        return f"Spent and forecast more than allocated by over {self.overspend}% of it"


def explanation(thresholds: Thresholds, as_at: dt.date | None = None) -> list[str]:
    """How the figures are worked out, in plain words: on the page, in the workbook, the PDF and the CSV."""
    notes = [
        FINANCIAL_YEAR_BASIS,
        "Filtered to a financial year, paid is what was paid on dates in that year, whichever year's allocation it "
        "was paid against; allocated, spent and forecast are those of that year's allocations.",
        "Paid is payments less recoveries (net paid). Spent is the total of the spend returns. Forecast is, for each "
        "allocation, the forecast in its latest spend return (the highest quarter); an allocation with no return "
        "yet adds nothing.",
        "Variance is allocated less spent less forecast: money neither spent nor expected to be. It is negative when "
        "more is spent or forecast than was allocated. % spent is spent as a share of allocated.",
        f"A row is flagged as an underspend when its variance is more than {thresholds.underspend}% of its "
        f"allocation, and as an overspend when spent and forecast pass its allocation by more than "
        f"{thresholds.overspend}% of it. A negative variance is never called an underspend.",
        "With a quarter chosen, the figures are the position at the end of that quarter: payments made in the year "
        "up to its last day, spending reported for the quarters up to it, and the forecast in the latest return up "
        "to it.",
        "Awarded is the whole award of each grant, counted once. It is shown for projects, rounds and the total, "
        "but not for organisations, years or quarters (shown as –), because an award is not split between them. "
        "Filtered by organisation, authority type or year, awarded is still the whole award of each grant with "
        "money in the filter.",
        "By quarter, paid is money paid less recoveries on dates in that quarter; spent is what the returns for "
        "that quarter report. Allocations and forecasts are for a whole year, so they appear only in the years "
        "and the total.",
    ]
    if as_at:
        day = f"{as_at:%-d %B %Y}"
        notes.append(
            f"As at {day}: every figure is as recorded by the end of that day. Payments and recoveries made on or "
            f"before it and recorded by then; spend returns submitted by then, each allocation's forecast from the "
            f"latest of them; allocations and awards as they stood then, leaving out those made later. Allocations "
            f"for financial years that start after {day} are not counted, so they add nothing to the variance."
        )
    else:
        notes.append(
            "The figures are as they stand now, added up from the running balance kept for each allocation. Choose "
            "an “as at” date to see them as they were recorded at the end of an earlier day."
        )
    return notes

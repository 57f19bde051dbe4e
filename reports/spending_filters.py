"""What the spending report covers: the filters a reader chooses, named the same way on the page,
in the workbook, the PDF and the CSV, and as the page's GET parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from grants.financial_year import FinancialQuarter, FinancialYear
from grants.models import Organisation, Programme

# Not a local authority: the recipient has no authority type.
NOT_LOCAL_AUTHORITY = "none"
AUTHORITY_TYPES = [*Organisation.AuthorityType.choices, (NOT_LOCAL_AUTHORITY, "Not a local authority")]
QUARTER_NAMES = {1: "Q1 (Apr to Jun)", 2: "Q2 (Jul to Sep)", 3: "Q3 (Oct to Dec)", 4: "Q4 (Jan to Mar)"}


@dataclass(frozen=True)
class SpendingFilters:
    """What the report covers. Each is optional; ``quarter`` needs ``financial_year``."""

    programme: Programme | None = None
    round_number: int | None = None
    project: object | None = None  # projects.models.Project
    organisation: Organisation | None = None
    authority_type: str = ""  # an Organisation.AuthorityType, NOT_LOCAL_AUTHORITY, or "" for any
    financial_year: FinancialYear | None = None
    quarter: int | None = None
    as_at: dt.date | None = None  # figures as recorded by the end of this day; None for now

    def __post_init__(self):
        if self.quarter is not None and self.financial_year is None:
            raise ValueError("A quarter needs a financial year")

    @property
    def financial_quarter(self) -> FinancialQuarter | None:
        return self.financial_year.quarter(self.quarter) if self.quarter else None

    @property
    def cutoff(self) -> dt.date | None:
        """The last day counted: the end of the chosen quarter."""
        quarter = self.financial_quarter
        return quarter.end if quarter else None

    @property
    def narrows_allocations(self) -> bool:
        """Whether only part of a grant's allocations may be in scope."""
        return bool(self.organisation or self.authority_type or self.financial_year)

    def described(self) -> list[tuple[str, str]]:
        """Every filter, named, with what it is set to: for the page, the workbook and the PDF."""
        project = self.project
        organisation = self.organisation
        quarter = self.financial_quarter
        return [
            ("Programme", self.programme.name if self.programme else "All programmes"),
            ("Round", f"Round {self.round_number}" if self.round_number else "All rounds"),
            ("Project", f"{project.reference} {project.title}" if project else "All projects"),
            ("Organisation", f"{organisation.name} ({organisation.org_id})" if organisation else "All organisations"),
            ("Authority type", dict(AUTHORITY_TYPES)[self.authority_type] if self.authority_type else "Any"),
            ("Financial year", str(self.financial_year) if self.financial_year else "All years"),
            (
                "Quarter",
                f"Position at the end of {QUARTER_NAMES[quarter.number]}, {quarter.end:%-d %B %Y}"
                if quarter
                else "Whole year",
            ),
            (
                "As at",
                f"The end of {self.as_at:%-d %B %Y}: the figures as recorded then"
                if self.as_at
                else "Now: the figures as they stand",
            ),
        ]

    def scope_summary(self) -> str:
        """The filters that choose the money, in a line: "organisation Derbyshire (GB-LAE-DBY), financial year
        2016-17"; the "as at" day apart."""
        defaults = dict(SpendingFilters().described())
        chosen = [
            f"{label.lower()} {value}"
            for label, value in self.described()
            if value != defaults[label] and label not in ("Quarter", "As at")
        ]
        if self.quarter:
            chosen[-1] += f" at the end of Q{self.quarter} ({self.cutoff:%-d %B %Y})"
        return ", ".join(chosen) or "no filters"

    def summary(self) -> str:
        """Every filter that is set, in a line, the "as at" day last."""
        scope = self.scope_summary()
        if not self.as_at:
            return scope
        day = f"as at {self.as_at:%-d %B %Y}"
        return day if scope == "no filters" else f"{scope}, {day}"

    def query_string(self) -> dict[str, str]:
        """The filters as the page's GET parameters."""
        params = {
            "programme": self.programme.pk if self.programme else "",
            "round": self.round_number or "",
            "project": self.project.reference if self.project else "",
            "organisation": self.organisation.org_id if self.organisation else "",
            "authority_type": self.authority_type,
            "financial_year": str(self.financial_year) if self.financial_year else "",
            "quarter": self.quarter or "",
            "as_at": f"{self.as_at:%d/%m/%Y}" if self.as_at else "",
        }
        return {name: str(value) for name, value in params.items() if value != ""}

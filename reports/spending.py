"""The spending report: what was awarded, allocated, paid, spent and forecast,
filtered and grouped, every sum worked out in SQL.

The figures follow one set of rules, shown on the page as "How these figures
are worked out":

- Money belongs to the financial year of its allocation (the year it was
  allocated for), whatever the date it was paid or spent.
- Paid is payments less recoveries; spent is the sum of the spend returns;
  forecast is, for each allocation, the forecast in its latest return (the
  highest quarter), so an allocation with no return adds nothing.
- A quarter filter (which needs a financial year) gives the position at the end
  of that quarter: spending in quarters 1 to n, payments made on or before the
  quarter's last day, and the forecast from the latest return up to quarter n.
- Awarded is a figure of a whole grant. It is shown only where a row holds whole
  grants (project, round, and the totals), each grant counted once.
- In the quarter grouping a row is a quarter of a financial year: paid is net
  paid on dates in that quarter, spent is what the returns for that quarter
  report. Allocations and forecasts belong to a year, not a quarter, so they
  appear only in the totals.

Each figure of a row is one correlated subquery over the rows in scope (or a
SUM over the grouped rows themselves), so payments and spend returns are never
joined together and multiplied, and a grouping is one query however many
projects there are.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, DecimalField, Exists, F, Func, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from grants.financial_year import FinancialQuarter, FinancialYear
from grants.models import Allocation, Grant, Organisation, Payment, Programme, SpendReturn
from reports.chart import BLUE, GREEN, ORANGE, BarChart, grouped_bar_chart

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)
PENNY = Decimal("0.01")
TENTH = Decimal("0.1")

# Not a local authority: the recipient has no authority type.
NOT_LOCAL_AUTHORITY = "none"
AUTHORITY_TYPES = [*Organisation.AuthorityType.choices, (NOT_LOCAL_AUTHORITY, "Not a local authority")]

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
QUARTER_NAMES = {1: "Q1 (Apr to Jun)", 2: "Q2 (Jul to Sep)", 3: "Q3 (Oct to Dec)", 4: "Q4 (Jan to Mar)"}


def explanation(threshold: int) -> list[str]:
    """How the figures are worked out, in plain words: on the page, in the workbook and in the PDF."""
    return [
        "Money is counted in the financial year it was allocated for, whatever the date it was paid or spent.",
        "Paid is payments less recoveries. Spent is the total of the spend returns. Forecast is, for each "
        "allocation, the forecast in its latest spend return (the highest quarter); an allocation with no return "
        "yet adds nothing.",
        "Variance is allocated less spent less forecast: money neither spent nor expected to be. % spent is spent "
        "as a share of allocated.",
        f"A row is flagged as an underspend when its variance is more than {threshold}% of its allocation.",
        "With a quarter chosen, the figures are the position at the end of that quarter: spending reported for the "
        "quarters up to it, payments made on or before its last day, and the forecast in the latest return up to it.",
        "Awarded is the whole award of each grant, counted once. It is shown for projects, rounds and the total, "
        "but not for organisations, years or quarters (shown as –), because an award is not split between them. "
        "Filtered by organisation, authority type or year, awarded is still the whole award of each grant with "
        "money in the filter.",
        "By quarter, paid is money paid less recoveries on dates in that quarter, which can fall outside the year "
        "of the allocation; spent is what the returns for that quarter report. Allocations and forecasts are for a "
        "whole year, so they appear only in the total.",
    ]


def threshold_percent() -> int:
    return settings.UNDERSPEND_THRESHOLD_PERCENT


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
            ("Quarter", f"Position at the end of {QUARTER_NAMES[quarter.number]}, {quarter.end:%-d %B %Y}"
             if quarter else "Whole year"),
        ]

    def summary(self) -> str:
        """The filters that are set, in a line: "organisation Derbyshire (GB-LAE-DBY), financial year 2016-17"."""
        defaults = dict(SpendingFilters().described())
        chosen = [
            f"{label.lower()} {value}" for label, value in self.described()
            if value != defaults[label] and label != "Quarter"
        ]
        if self.quarter:
            chosen[-1] += f" at the end of Q{self.quarter} ({self.cutoff:%-d %B %Y})"
        return ", ".join(chosen) or "no filters"

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
        }
        return {name: str(value) for name, value in params.items() if value != ""}


@dataclass(frozen=True)
class Row:
    """One row of a grouping (or the totals). None means "not applicable to this row"."""

    labels: tuple[str, ...]
    awarded: Decimal | None
    allocated: Decimal | None
    paid: Decimal
    spent: Decimal
    forecast: Decimal | None
    threshold: int
    key: object = None

    @property
    def variance(self) -> Decimal | None:
        if self.allocated is None or self.forecast is None:
            return None
        return self.allocated - self.spent - self.forecast

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
        """More of the allocation is neither spent nor forecast than the threshold allows."""
        variance = self.variance
        if variance is None:
            return None
        return variance * 100 > self.allocated * self.threshold


def to_penny(value) -> Decimal:
    # SQLite's sums lose trailing zeros (and can carry a float's error): money is shown to the penny.
    return (value if isinstance(value, Decimal) else Decimal(str(value or 0))).quantize(PENNY)


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
    total = Coalesce(Func(expression, function="SUM", output_field=MONEY), ZERO, output_field=MONEY)
    return GroupSubquery(queryset.order_by().annotate(_total=total).values("_total"), output_field=MONEY)


SIGNED_AMOUNT = Case(
    When(kind=Payment.Kind.RECOVERY, then=-F("amount")), default=F("amount"), output_field=MONEY
)


class SpendingReport:
    """The report for one set of filters, as the page, the downloads and a benchmark see it.

    It covers the whole programme, so only users who see the whole programme may build it.
    """

    def __init__(self, user, filters: SpendingFilters | None = None, grouping: str = PROJECT, *, threshold=None):
        if not user.sees_whole_programme:
            raise PermissionDenied("The spending report covers the whole programme")
        if grouping not in GROUPINGS:
            raise ValueError(f"Unknown grouping {grouping!r}")
        self.user = user
        self.filters = filters or SpendingFilters()
        self.grouping = GROUPINGS[grouping]
        self.threshold = threshold_percent() if threshold is None else threshold
        self.generated_at = timezone.localtime()

    # --- What is in scope --------------------------------------------------------

    def _grant_q(self, prefix: str) -> Q:
        f = self.filters
        q = Q()
        if f.programme:
            q &= Q(**{f"{prefix}round__programme": f.programme})
        if f.round_number:
            q &= Q(**{f"{prefix}round__number": f.round_number})
        if f.project:
            q &= Q(**{f"{prefix}project": f.project})
        return q

    def _allocation_q(self, prefix: str = "") -> Q:
        f = self.filters
        q = self._grant_q(f"{prefix}grant__")
        if f.organisation:
            q &= Q(**{f"{prefix}recipient": f.organisation})
        if f.authority_type == NOT_LOCAL_AUTHORITY:
            q &= Q(**{f"{prefix}recipient__authority_type": ""})
        elif f.authority_type:
            q &= Q(**{f"{prefix}recipient__authority_type": f.authority_type})
        if f.financial_year:
            q &= Q(**{f"{prefix}financial_year": f.financial_year})
        return q

    @property
    def allocations(self):
        return Allocation.objects.for_user(self.user).filter(self._allocation_q())

    @property
    def grants(self):
        """The grants whose money is in scope; with no filter on part of a grant, every grant, allocated or not."""
        grants = Grant.objects.for_user(self.user).filter(self._grant_q(""))
        if self.filters.narrows_allocations:
            grants = grants.filter(Exists(self.allocations.filter(grant=OuterRef("pk"))))
        return grants

    @property
    def payments(self):
        payments = Payment.objects.filter(self._allocation_q("allocation__"))
        if self.filters.cutoff:
            payments = payments.filter(paid_on__lte=self.filters.cutoff)
        return payments

    @property
    def spend_lines(self):
        lines = SpendReturn.objects.filter(self._allocation_q("allocation__"))
        if self.filters.quarter:
            lines = lines.filter(quarter__lte=self.filters.quarter)
        return lines

    @property
    def latest_returns(self):
        """Each allocation's latest return (up to the chosen quarter): the one whose forecast counts."""
        later = SpendReturn.objects.filter(allocation=OuterRef("allocation"), quarter__gt=OuterRef("quarter"))
        if self.filters.quarter:
            later = later.filter(quarter__lte=self.filters.quarter)
        return self.spend_lines.filter(~Exists(later))

    def _figures(self, link: str, outer: str) -> dict:
        """Paid, spent and forecast of the allocations whose ``link`` is the outer row's ``outer``."""
        match = {f"allocation__{link}": OuterRef(outer)}
        return {
            "paid": sum_subquery(self.payments.filter(**match), SIGNED_AMOUNT),
            "spent": sum_subquery(self.spend_lines.filter(**match), F("spent")),
            "forecast": sum_subquery(self.latest_returns.filter(**match), F("forecast")),
        }

    # --- Groupings: each one query ---------------------------------------------

    def _by_grant_field(self, grant_field: str, labels: tuple[str, ...], order: tuple[str, ...]):
        """Rows of whole grants (project, round): awarded summed over the grants, the rest as subqueries."""
        allocations = self.allocations.filter(**{f"grant__{grant_field}": OuterRef(grant_field)})
        return (
            self.grants.order_by()
            .values(grant_field, *labels)
            .annotate(
                awarded=Sum("amount_awarded"),
                allocated=sum_subquery(allocations, F("amount")),
                **self._figures(f"grant__{grant_field}", grant_field),
            )
            .order_by(*order)
        )

    def _by_allocation_field(self, allocation_field: str, labels: tuple[str, ...], order: tuple[str, ...]):
        """Rows of parts of grants (organisation, financial year): allocated summed over the allocations."""
        return (
            self.allocations.order_by()
            .values(allocation_field, *labels)
            .annotate(allocated=Sum("amount"), **self._figures(allocation_field, allocation_field))
            .order_by(*order)
        )

    def _source(self, grouping: str):
        """The rows of a grouping as dicts, ready to page; for quarters, a list (at most four a year)."""
        if grouping == PROJECT:
            return self._by_grant_field(
                "project", ("project__reference", "project__title"), ("project__reference",)
            )
        if grouping == ROUND:
            return self._by_grant_field(
                "round", ("round__programme__name", "round__name", "round__number"),
                ("round__programme__name", "round__number"),
            )
        if grouping == ORGANISATION:
            return self._by_allocation_field(
                "recipient", ("recipient__name", "recipient__org_id"), ("recipient__name", "recipient")
            )
        if grouping == FINANCIAL_YEAR:
            return self._by_allocation_field("financial_year", (), ("financial_year",))
        return self._quarter_rows()

    def _quarter_rows(self) -> list[dict]:
        """Net paid by the quarter of the payment date, spent by the quarter of the return: two queries."""
        paid = (
            self.payments.order_by()
            .annotate(
                year=Case(When(paid_on__month__lte=3, then=ExtractYear("paid_on") - 1), default=ExtractYear("paid_on")),
                number=Case(
                    When(paid_on__month__lte=3, then=Value(4)),
                    When(paid_on__month__lte=6, then=Value(1)),
                    When(paid_on__month__lte=9, then=Value(2)),
                    default=Value(3),
                ),
            )
            .values("year", "number")
            .annotate(paid=Sum(SIGNED_AMOUNT))
        )
        spent = (
            self.spend_lines.order_by()
            .values("allocation__financial_year", "quarter")
            .annotate(spent=Sum("spent"))
        )
        rows: dict[tuple[int, int], dict] = {}
        for row in paid:
            rows[(int(row["year"]), int(row["number"]))] = {"paid": row["paid"], "spent": None}
        for row in spent:
            key = (row["allocation__financial_year"].start_year, row["quarter"])
            rows.setdefault(key, {"paid": None, "spent": None})["spent"] = row["spent"]
        return [{"year": year, "number": number, **figures} for (year, number), figures in sorted(rows.items())]

    def _row(self, grouping: str, data: dict) -> Row:
        common = {"paid": to_penny(data["paid"]), "spent": to_penny(data["spent"]), "threshold": self.threshold}
        if grouping == QUARTER:
            year = FinancialYear(data["year"])
            return Row((str(year), f"Q{data['number']}"), None, None, forecast=None,
                       key=year.quarter(data["number"]), **common)
        allocated, forecast = to_penny(data["allocated"]), to_penny(data["forecast"])
        if grouping == PROJECT:
            labels, key = (data["project__reference"], data["project__title"]), data["project"]
        elif grouping == ROUND:
            labels, key = (data["round__programme__name"], data["round__name"]), data["round"]
        elif grouping == ORGANISATION:
            labels, key = (data["recipient__name"], data["recipient__org_id"]), data["recipient"]
        else:
            labels, key = (str(data["financial_year"]),), data["financial_year"]
        awarded = to_penny(data["awarded"]) if GROUPINGS[grouping].has_awarded else None
        return Row(labels, awarded, allocated, forecast=forecast, key=key, **common)

    def rows(self, grouping: str | None = None) -> list[Row]:
        """Every row of a grouping (the chosen one by default)."""
        grouping = grouping or self.grouping.key
        return [self._row(grouping, data) for data in self._source(grouping)]

    def page(self, number, per_page: int = 50):
        """One page of the chosen grouping's rows: (the Django page, its rows)."""
        page = Paginator(self._source(self.grouping.key), per_page).get_page(number)
        return page, [self._row(self.grouping.key, data) for data in page.object_list]

    @cached_property
    def totals(self) -> Row:
        """The whole scope in one query: each figure an uncorrelated subquery, awarded over the grants."""
        row = (
            self.grants.order_by()
            .annotate(_all=Value(1))
            .values("_all")
            .annotate(
                awarded=Sum("amount_awarded"),
                allocated=sum_subquery(self.allocations, F("amount")),
                paid=sum_subquery(self.payments, SIGNED_AMOUNT),
                spent=sum_subquery(self.spend_lines, F("spent")),
                forecast=sum_subquery(self.latest_returns, F("forecast")),
            )
        )
        data = next(iter(row), None) or {}
        return Row(
            ("Total",), to_penny(data.get("awarded")), to_penny(data.get("allocated")), to_penny(data.get("paid")),
            to_penny(data.get("spent")), to_penny(data.get("forecast")), self.threshold,
        )

    @cached_property
    def years(self) -> list[Row]:
        """Allocated, paid and spent by financial year: the chart and its table."""
        return self.rows(FINANCIAL_YEAR)

    @cached_property
    def chart(self) -> BarChart:
        years = self.years
        return grouped_bar_chart(
            "Allocated, paid and spent by financial year",
            [row.labels[0] for row in years],
            [
                ("Allocated", BLUE, [row.allocated for row in years]),
                ("Paid", ORANGE, [row.paid for row in years]),
                ("Spent", GREEN, [row.spent for row in years]),
            ],
        )

    @property
    def explanation(self) -> list[str]:
        return explanation(self.threshold)

    # --- The ledger: every line of money in scope ------------------------------

    LEDGER_FIELDS = (
        "allocation__financial_year", "allocation__grant__project__reference", "allocation__grant__project__title",
        "allocation__grant__title", "allocation__recipient__name", "allocation__recipient__org_id",
    )

    def ledger(self) -> Iterator[LedgerLine]:
        """Payments, recoveries and spend-return lines in date order (a return dated by its quarter's last day).

        Two queries read with a cursor and merged, so a long ledger is never held in memory.
        """
        payments = (
            self.payments.order_by("paid_on", "pk")
            .values_list("paid_on", "kind", "amount", "reference", *self.LEDGER_FIELDS)
            .iterator(chunk_size=2000)
        )
        returns = (
            self.spend_lines.order_by("allocation__financial_year", "quarter", "pk")
            .values_list("quarter", "spent", *self.LEDGER_FIELDS)
            .iterator(chunk_size=2000)
        )

        def from_payments():
            for paid_on, kind, amount, reference, *rest in payments:
                recovery = kind == Payment.Kind.RECOVERY
                yield LedgerLine(
                    paid_on, FinancialQuarter.of(paid_on), "Recovery" if recovery else "Payment",
                    -amount if recovery else amount, None, reference, *rest,
                )

        def from_returns():
            for number, spent, *rest in returns:
                quarter = rest[0].quarter(number)
                yield LedgerLine(quarter.end, quarter, "Spend return", None, spent, "", *rest)

        return heapq.merge(from_payments(), from_returns(), key=lambda line: (line.date, line.kind != "Spend return"))


@dataclass(frozen=True)
class LedgerLine:
    date: dt.date
    quarter: FinancialQuarter
    kind: str
    paid: Decimal | None  # negative for a recovery
    spent: Decimal | None
    reference: str
    financial_year: FinancialYear
    project_reference: str
    project_title: str
    grant_title: str
    recipient_name: str
    recipient_org_id: str

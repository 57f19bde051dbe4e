"""Forecast outturn: the grants projected to end the financial year with more
unspent than the underspend threshold allows, for the officer dashboard.

A grant's projected outturn for a year is what its allocations for that year
have spent to date plus, for each allocation, the forecast in its latest spend
return (the rest of the year). Projected underspend is allocated less outturn,
the same figure as the spending report's variance for that year. A grant with
no spend return for the year yet is left out: there is nothing to project from.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Value, Window
from django.urls import reverse
from django.utils.http import urlencode

from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, SpendReturn
from reports.spending import PROJECT, sum_subquery, threshold_percent, to_penny

MONEY = DecimalField(max_digits=14, decimal_places=2)
LIMIT = 10


@dataclass(frozen=True)
class ProjectedUnderspend:
    grant: Grant
    allocated: Decimal
    outturn: Decimal

    @property
    def underspend(self) -> Decimal:
        return self.allocated - self.outturn

    @property
    def percent(self) -> Decimal:
        return (self.underspend * 100 / self.allocated).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Outturn:
    year: FinancialYear
    threshold: int
    grants: list[ProjectedUnderspend]
    total: int  # how many grants are flagged, of which ``grants`` are the largest

    @property
    def more(self) -> int:
        return self.total - len(self.grants)

    @property
    def report_url(self) -> str:
        query = urlencode({"financial_year": str(self.year), "group": PROJECT})
        return f"{reverse('reports:spending')}?{query}"


def projected_underspends(user, *, year: FinancialYear, threshold: int | None = None, limit: int = LIMIT) -> Outturn:
    """The grants (of those ``user`` may see) projected to underspend ``year`` by more than
    ``threshold`` percent (UNDERSPEND_THRESHOLD_PERCENT by default) of their allocations for
    it, largest underspend first: one query."""
    threshold = threshold_percent() if threshold is None else threshold
    returns = SpendReturn.objects.filter(allocation__grant=OuterRef("pk"), allocation__financial_year=year)
    later = SpendReturn.objects.filter(allocation=OuterRef("allocation"), quarter__gt=OuterRef("quarter"))
    grants = (
        Grant.objects.for_user(user)
        .filter(Exists(returns))
        .annotate(
            allocated=sum_subquery(Allocation.objects.filter(grant=OuterRef("pk"), financial_year=year), F("amount")),
            spent=sum_subquery(returns, F("spent")),
            forecast=sum_subquery(returns.filter(~Exists(later)), F("forecast")),
        )
        .annotate(outturn=F("spent") + F("forecast"))
        .annotate(underspend=F("allocated") - F("outturn"))
        # underspend / allocated > threshold %, without dividing (allocated may be 0).
        .filter(underspend__gt=F("allocated") * Value(Decimal(threshold) / 100, output_field=MONEY))
        .annotate(flagged=Window(Count("pk")))
        .select_related("project")
        .order_by("-underspend", "pk")
    )
    rows = list(grants[:limit])
    return Outturn(
        year, threshold,
        [ProjectedUnderspend(grant, to_penny(grant.allocated), to_penny(grant.outturn)) for grant in rows],
        rows[0].flagged if rows else 0,
    )

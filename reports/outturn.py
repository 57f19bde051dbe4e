"""Forecast outturn: the grants projected to end the financial year under- or
overspent by more than the thresholds allow, for the officer dashboard.

A grant's projected outturn for a year is what its allocations for that year
have spent to date plus, for each allocation, the forecast in its latest spend
return (the rest of the year): grants.money's spent and forecast, read from the
balances the money services keep per allocation. The projected variance is
allocated less outturn, the spending report's variance for that year; it is an
underspend past UNDERSPEND_THRESHOLD_PERCENT of the allocations and an
overspend past OVERSPEND_THRESHOLD_PERCENT. A grant with no spend return for
the year yet is left out: there is nothing to project from.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Value, Window
from django.db.models.functions import Abs
from django.urls import reverse
from django.utils.http import urlencode

from grants import money
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, SpendReturn
from reports.spending_notes import Thresholds
from reports.spending_rows import OVERSPEND, PROJECT, UNDERSPEND

LIMIT = 10
INVENTED = ("allocated", "spent", "forecast")


@dataclass(frozen=True)
class ProjectedOutturn:
    grant: Grant
    allocated: Decimal
    spent: Decimal
    forecast: Decimal
    thresholds: Thresholds
    invented: frozenset[str] = frozenset()  # of allocated, spent and forecast, those an invented row lies behind

    @property
    def marks(self) -> dict[str, bool]:
        """Whether each figure has an invented (illustrative) row behind it, or is worked out from one that has."""
        allocated, spent, forecast = (name in self.invented for name in ("allocated", "spent", "forecast"))
        return {
            "allocated": allocated,
            "outturn": spent or forecast,
            "variance": allocated or spent or forecast,
        }

    @property
    def outturn(self) -> Decimal:
        return self.spent + self.forecast

    @property
    def variance(self) -> Decimal:
        return money.Figures(allocated=self.allocated, spent=self.spent, forecast=self.forecast).variance

    @property
    def percent(self) -> Decimal:
        """The variance as a percentage of allocated, to one place: negative for an overspend."""
        return (self.variance * 100 / self.allocated).quantize(Decimal("0.1")) if self.allocated else Decimal("0.0")

    @property
    def flag(self) -> str:
        return (
            UNDERSPEND if money.is_underspend(self.allocated, self.variance, self.thresholds.underspend) else OVERSPEND
        )


@dataclass(frozen=True)
class Outturn:
    year: FinancialYear
    thresholds: Thresholds
    grants: list[ProjectedOutturn]
    total: int  # how many grants are flagged, of which ``grants`` are the furthest from their allocations

    @property
    def more(self) -> int:
        return self.total - len(self.grants)

    @property
    def report_url(self) -> str:
        query = urlencode({"financial_year": str(self.year), "group": PROJECT})
        return f"{reverse('reports:spending')}?{query}"


def forecast_outturn(user, *, year: FinancialYear, thresholds: Thresholds | None = None, limit: int = LIMIT) -> Outturn:
    """The grants (of those ``user`` may see) projected to end ``year`` under- or overspent past the
    thresholds, the furthest from their allocations first: one query."""
    thresholds = thresholds or Thresholds.from_settings()
    allocations = Allocation.objects.filter(grant=OuterRef("pk"), financial_year=year)
    balance = money.balance_annotations()

    def share(percent: int) -> Value:
        return Value(Decimal(percent) / 100, output_field=money.MONEY)

    grants = (
        Grant.objects.for_user(user)
        .filter(Exists(SpendReturn.objects.filter(allocation__grant=OuterRef("pk"), allocation__financial_year=year)))
        .annotate(
            allocated=money.sum_subquery(allocations, F("amount")),
            spent=money.sum_subquery(allocations, balance["spent"]),
            forecast=money.sum_subquery(allocations, balance["forecast"]),
            invented_allocated=Exists(allocations.filter(illustrative=True)),
            invented_spent=Exists(allocations.filter(balance__invented_spent=True)),
            invented_forecast=Exists(
                money.latest_returns(
                    SpendReturn.objects.filter(allocation__grant=OuterRef("pk"), allocation__financial_year=year)
                ).filter(illustrative=True)
            ),
        )
        .annotate(outturn=F("spent") + F("forecast"))
        .annotate(variance=F("allocated") - F("outturn"))
        # money.is_underspend and is_overspend, in SQL and without dividing (allocated may be 0).
        .filter(
            Q(variance__gt=0) & Q(variance__gt=F("allocated") * share(thresholds.underspend))
            | Q(variance__lt=0) & Q(variance__lt=-F("allocated") * share(thresholds.overspend))
        )
        .annotate(flagged=Window(Count("pk")), distance=Abs("variance"))
        .select_related("project")
        .order_by("-distance", "pk")
    )
    rows = list(grants[:limit])
    return Outturn(
        year,
        thresholds,
        [
            ProjectedOutturn(
                grant,
                *(money.to_penny(value) for value in (grant.allocated, grant.spent, grant.forecast)),
                thresholds,
                frozenset(name for name in INVENTED if getattr(grant, f"invented_{name}")),
            )
            for grant in rows
        ],
        rows[0].flagged if rows else 0,
    )

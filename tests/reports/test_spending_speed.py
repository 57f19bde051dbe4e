"""The spending report's rows cost the same few grouped queries however many there are: a grouping is one query
for its rows and one for their figures (from the allocations and their kept balances), with one more for the
payments when a year or a day cuts them off and one for the returns when a quarter or a day does. A page works
out the figures of its own rows only, and they are those of the whole grouping, to the penny and the mark."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grants import money as money_module
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant
from reports.spending import SpendingReport
from reports.spending_filters import SpendingFilters
from tests.factories import AllocationFactory, GrantFactory, PaymentFactory, SpendReturnFactory, UserFactory
from tests.reports.conftest import Filters, at_noon, backdate_history, report_for

KEYED = ["project", "organisation", "round"]
CUTS = {
    "nothing cut off": {},
    "a year": {"financial_year": FinancialYear(2016)},
    "a quarter": {"financial_year": FinancialYear(2016), "quarter": 2},
    "a day": {"as_at": dt.date(2016, 12, 31)},
}


def programme_of(count: int, *, illustrative_from: int = 0) -> None:
    """``count`` projects, each a grant with two years of allocations, a payment, a recovery and two returns,
    their history dated 2015 and each balance kept; projects from ``illustrative_from`` on have an invented
    latest return."""
    for number in range(count):
        grant = GrantFactory(amount_awarded=D("500000.00"))
        backdate_history(Grant, dt.date(2015, 3, 1), id=grant.pk)
        for year in (2015, 2016):
            allocation = AllocationFactory(grant=grant, financial_year=FinancialYear(year))
            backdate_history(Allocation, dt.date(2015, 3, 1), id=allocation.pk)
            PaymentFactory(allocation=allocation, amount=D("1000.10"), recorded_at=at_noon(dt.date(2016, 5, 1)))
            PaymentFactory(
                allocation=allocation,
                kind="recovery",
                amount=D("10.01"),
                recovery_reason="overpayment",
                recorded_at=at_noon(dt.date(2016, 5, 2)),
            )
            SpendReturnFactory(allocation=allocation, quarter=1, submitted_at=at_noon(dt.date(year, 7, 14)))
            SpendReturnFactory(
                allocation=allocation,
                quarter=2,
                submitted_at=at_noon(dt.date(year, 10, 14)),
                illustrative=number >= illustrative_from,
            )
            money_module.refresh_balance(allocation.pk)


def queries_for_rows(user, grouping: str, cut: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        rows = SpendingReport(user, SpendingFilters(**cut), grouping).rows()
    assert rows
    return len(queries)


def expected_queries(cut: dict) -> int:
    spend_cut = "quarter" in cut or "as_at" in cut
    paid_cut = spend_cut or "financial_year" in cut
    return 2 + paid_cut + spend_cut


@pytest.mark.parametrize("cut", CUTS.values(), ids=CUTS.keys())
@pytest.mark.parametrize("grouping", KEYED)
def test_every_row_of_a_grouping_takes_the_same_few_queries_for_3_and_20_projects(db, grouping, cut):
    officer = UserFactory(role="officer")
    programme_of(3)
    assert queries_for_rows(officer, grouping, cut) == expected_queries(cut)
    programme_of(17)
    assert queries_for_rows(officer, grouping, cut) == expected_queries(cut)


@pytest.mark.parametrize("cut", CUTS.values(), ids=CUTS.keys())
@pytest.mark.parametrize("grouping", KEYED)
def test_each_page_has_the_figures_and_marks_of_its_rows_in_the_whole_grouping(db, grouping, cut):
    programme_of(7, illustrative_from=4)
    report = SpendingReport(UserFactory(role="officer"), SpendingFilters(**cut), grouping)
    every = report.rows()
    assert len(every) >= 3
    shown = []
    for number in (1, 2, 3, 4):
        page, rows = report.page(number, per_page=2)
        if page.number == number:
            shown += rows
    assert [(row.labels, row.awarded, row.allocated, row.paid, row.spent, row.forecast) for row in shown] == [
        (row.labels, row.awarded, row.allocated, row.paid, row.spent, row.forecast) for row in every
    ]
    assert [row.marks for row in shown] == [row.marks for row in every]
    assert any(row.marks["forecast"] for row in every) and not all(row.marks["forecast"] for row in every)


def test_a_page_works_out_the_figures_of_its_rows_only(money):
    """Asked for one row a page, the figures come from the page's project alone: the same queries as for every
    row, each naming the one project."""
    report = report_for(money, Filters(year=2016))
    with CaptureQueriesContext(connection) as queries:
        page, rows = report.page(2, per_page=1)
    [row] = rows
    assert page.paginator.count == 3 and row.labels[0] == "A-02"  # B-02 has no money in 2016-17
    figures = [query["sql"] for query in queries.captured_queries if '_id" IN (' in query["sql"]]
    assert len(figures) == 2  # the allocations, and the payments of the year
    assert all(f"IN ({row.key})" in sql for sql in figures)


def test_the_forecast_and_its_mark_are_the_latest_returns(db):
    """An invented return that a later real one supersedes marks spent but not the forecast, which is the later
    return's."""
    programme_of(1, illustrative_from=1)
    first, second = Allocation.objects.order_by("pk")
    first.spend_returns.filter(quarter=2).update(illustrative=True)
    SpendReturnFactory(allocation=first, quarter=3, forecast=D("1234.56"), submitted_at=at_noon(dt.date(2016, 1, 14)))
    [row] = SpendingReport(UserFactory(role="officer"), grouping="project").rows()
    assert row.marks["spent"] and not row.marks["forecast"]
    assert row.forecast == D("1234.56") + second.spend_returns.get(quarter=2).forecast

"""The spending report's figures, to the penny, against the same money summed
independently in tests/reports/conftest.py: every grouping under every filter,
the quarter position worked out by hand, and the rules for awarded."""

from decimal import Decimal

import pytest

from tests.reports.conftest import Filters, check_every_grouping, expected, report_for

CASES = [
    Filters(),
    Filters(programme="p1"),
    Filters(programme="p2"),
    Filters(round=1),
    Filters(programme="p1", round=2),
    Filters(project="A-01"),
    Filters(project="B-02"),
    Filters(organisation="northshire"),
    Filters(organisation="leadco"),
    Filters(authority_type="CTY"),
    Filters(authority_type="LBO"),
    Filters(authority_type="MD"),
    Filters(authority_type="none"),
    Filters(year=2015),
    Filters(year=2016),
    Filters(year=2017),
    Filters(year=2015, quarter=2),
    Filters(year=2015, quarter=4),
    Filters(year=2016, quarter=1),
    Filters(year=2016, quarter=3),
    Filters(programme="p1", year=2016, authority_type="LBO"),
    Filters(organisation="northshire", year=2015, quarter=2),
    Filters(programme="p2", round=1, year=2017, quarter=3),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_every_grouping_and_the_totals_match_independent_sums_to_the_penny(money, case):
    check_every_grouping(money, case)


def test_the_money_is_not_all_zero(money):
    """The cases above mean something: the unfiltered totals, summed by hand from the data."""
    totals = report_for(money, Filters()).totals
    assert totals.awarded == Decimal("2600001.50")
    assert totals.allocated == Decimal("1495001.22")
    assert totals.paid == Decimal("823765.91")
    assert totals.spent == Decimal("625007.75")
    assert totals.forecast == Decimal("450000.00")


def test_the_quarter_filter_gives_the_position_at_the_end_of_that_quarter(money):
    """2015-16 at the end of Q2 (30 September 2015), worked out by hand from conftest's lists:
    allocations a1, a2 and a5; payments on or before 30 September; returns for Q1 and Q2; each
    allocation's forecast from its latest return up to Q2."""
    totals = report_for(money, Filters(year=2015, quarter=2)).totals
    assert totals.allocated == Decimal("100000.10") + Decimal("250000.20") + Decimal("120000.12")
    # a1 in May, a2 in July and a5 on 30 September count; a1's October payment and the recoveries do not.
    assert totals.paid == Decimal("40000.01") + Decimal("100000.03") + Decimal("60000.06")
    assert totals.spent == (
        Decimal("20000.11") + Decimal("25000.22") + Decimal("50000.44") + Decimal("60000.55") + Decimal("10000.99")
    )
    # a1's and a2's Q2 forecasts; a5 has only a Q1 return.
    assert totals.forecast == Decimal("40000.00") + Decimal("100000.00") + Decimal("90000.00")
    assert totals.variance == Decimal("74998.11")
    assert totals.percent_spent == Decimal("35.1")


def test_the_quarter_grouping_puts_a_payment_in_the_quarter_of_its_date(money):
    """a2 (2015-16) was paid on 20 April 2016, and a6 (2016-17) on 31 March 2016."""
    rows = {tuple(row.labels): row for row in report_for(money, Filters(organisation="northshire"), "quarter").rows()}
    assert rows[("2016-17", "Q1")].paid == Decimal("50000.04")
    assert rows[("2015-16", "Q4")].paid == Decimal("70000.07")
    assert rows[("2015-16", "Q4")].spent == Decimal("70000.66")  # a2's Q4 return
    assert all(row.allocated is None and row.forecast is None and row.variance is None for row in rows.values())


def test_awarded_counts_each_grant_once_and_only_where_grants_are_whole(money):
    report = report_for(money, Filters(project="A-01"))
    (row,) = report.rows()
    assert row.awarded == Decimal("1250000.25")  # two grants of one project
    assert report.totals.awarded == Decimal("1250000.25")
    for grouping in ("organisation", "financial_year", "quarter"):
        rows = report.rows(grouping)
        assert rows and all(row.awarded is None for row in rows)


def test_a_grant_with_nothing_allocated_shows_its_award_until_a_filter_narrows_to_allocations(money):
    rows = {row.labels[0]: row for row in report_for(money, Filters(programme="p2")).rows()}
    assert rows["B-02"].awarded == Decimal("100000.00") and rows["B-02"].allocated == Decimal("0.00")
    assert rows["B-02"].percent_spent is None and rows["B-02"].underspend is False
    narrowed = {row.labels[0] for row in report_for(money, Filters(programme="p2", year=2017)).rows()}
    assert narrowed == {"B-01"}


def test_the_underspend_flag_follows_the_threshold_setting(money, settings):
    """Midtown's 2017-18 allocation: 205,000.07, spent 30,000.70, forecast 150,000.00,
    variance 24,999.37, which is 12.19% of allocated."""
    f = Filters(organisation="midtown")
    settings.UNDERSPEND_THRESHOLD_PERCENT = 12
    (row,) = report_for(money, f).rows("organisation")
    assert row.variance == Decimal("24999.37") and row.underspend is True
    settings.UNDERSPEND_THRESHOLD_PERCENT = 13
    (row,) = report_for(money, f).rows("organisation")
    assert row.underspend is False


def test_the_figures_by_year_for_the_chart_are_the_financial_year_grouping(money):
    report = report_for(money, Filters())
    rows, _ = expected(Filters(), "financial_year")
    assert [row.labels[0] for row in report.years] == ["2015-16", "2016-17", "2017-18"]
    assert [(row.allocated, row.paid, row.spent) for row in report.years] == [
        (rows[year]["allocated"], rows[year]["paid"], rows[year]["spent"]) for year in ("2015-16", "2016-17", "2017-18")
    ]

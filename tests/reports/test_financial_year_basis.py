"""One meaning per financial year in the spending report: payments and recoveries
in the year and quarter of their date, spending in the year and quarter its return
covers, allocations and forecasts in the year they are for. The quarters add up
to the years and the years to the totals, to the penny, with payments made in a
later year than their allocation's; the basis is said on the page and in every
file; and without a date cut-off the figures are the kept balances."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db.models import F
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from grants.models import AllocationBalance
from tests.reports.conftest import Filters, expected, params_for, report_for

D = Decimal
URL = reverse("reports:spending")
BASIS = (
    "payments and recoveries count in the year and quarter of the date they were made; spending counts in "
    "the year and quarter its spend return covers; allocations and forecasts count in the year they are for"
)


@pytest.mark.parametrize(
    "case",
    [
        Filters(),
        Filters(organisation="northshire"),
        Filters(programme="p1"),
        Filters(year=2016),
        Filters(year=2015, quarter=3),
        Filters(as_at=dt.date(2016, 12, 31)),
        Filters(authority_type="CTY", as_at=dt.date(2017, 2, 3)),
    ],
    ids=repr,
)
def test_the_quarters_add_up_to_the_years_and_the_years_to_the_totals_to_the_penny(money, case):
    report = report_for(money, case)
    years = {row.labels[0]: row for row in report.rows("financial_year")}
    quarters = report.rows("quarter")
    assert {row.labels[0] for row in quarters} <= set(years)
    for label, year in years.items():
        in_year = [row for row in quarters if row.labels[0] == label]
        assert sum((row.paid for row in in_year), D("0.00")) == year.paid, label
        assert sum((row.spent for row in in_year), D("0.00")) == year.spent, label
    totals = report.totals
    for name in ("allocated", "paid", "spent", "forecast"):
        assert sum((getattr(row, name) for row in years.values()), D("0.00")) == getattr(totals, name), name
    assert totals.paid == expected(case, "project")[1]["paid"]


def test_a_payment_made_after_its_allocations_year_counts_in_the_year_it_was_made(money):
    """Northshire: a2 (2015-16) was paid £100,000.03 in July 2015 and £50,000.04 on 20 April 2016; a5 (2015-16)
    £60,000.06 less £5,000.50 recovered in 2015; a6 (2016-17) £70,000.07 on 31 March 2016, before its year."""
    report = report_for(money, Filters(organisation="northshire"))
    years = {row.labels[0]: row for row in report.rows("financial_year")}
    quarters = {tuple(row.labels): row for row in report.rows("quarter")}
    assert years["2015-16"].paid == D("100000.03") + D("60000.06") - D("5000.50") + D("70000.07") == D("224999.66")
    assert years["2016-17"].paid == D("50000.04")
    assert quarters[("2016-17", "Q1")].paid == D("50000.04")
    assert quarters[("2015-16", "Q4")].paid == D("70000.07")
    assert sum(row.paid for key, row in quarters.items() if key[0] == "2015-16") == D("224999.66")
    # Allocations, spending and forecasts stay in the years they are for.
    assert years["2015-16"].allocated == D("250000.20") + D("120000.12")
    assert years["2016-17"].allocated == D("140000.13")
    assert years["2015-16"].spent == D("50000.44") + D("60000.55") + D("70000.66") + D("10000.99")
    assert years["2016-17"].spent == D("20000.10")


def test_the_year_filter_means_the_same_as_the_year_grouping(money):
    report = report_for(money, Filters(organisation="northshire", year=2016))
    totals = report.totals
    assert totals.paid == D("50000.04")  # a2's payment of 20 April 2016; a6's of 31 March 2016 was in 2015-16
    assert totals.allocated == D("140000.13") and totals.spent == D("20000.10") and totals.forecast == D("80000.00")
    by_year = {
        row.labels[0]: row for row in report_for(money, Filters(organisation="northshire")).rows("financial_year")
    }
    assert (totals.allocated, totals.paid, totals.spent, totals.forecast) == (
        by_year["2016-17"].allocated,
        by_year["2016-17"].paid,
        by_year["2016-17"].spent,
        by_year["2016-17"].forecast,
    )


def test_the_year_filter_keeps_an_organisation_paid_in_the_year_against_an_earlier_allocation(money):
    """Filtered to 2016-17 and grouped by organisation, Northshire's row carries a2's April 2016 payment, so the
    rows add up to the total paid in the year."""
    report = report_for(money, Filters(year=2016), "organisation")
    rows = {row.labels[1]: row for row in report.rows()}
    assert rows["GB-LAE-NSH"].paid == D("50000.04")
    assert sum(row.paid for row in rows.values()) == report.totals.paid


def test_without_a_date_cut_off_the_figures_are_the_kept_balances(money):
    """A balance moved by hand moves the figures of a report with no year, quarter or day; a report cut off by
    a year adds up the payment rows by their date instead."""
    AllocationBalance.objects.filter(allocation=money.allocations["a1"]).update(
        paid=F("paid") + D("100.00"),
        spent=F("spent") + D("7.00"),
        forecast=F("forecast") + D("3.00"),
    )
    _, totals = expected(Filters(), "project")
    now = report_for(money, Filters()).totals
    assert (now.paid, now.spent, now.forecast) == (
        totals["paid"] + D("100.00"),
        totals["spent"] + D("7.00"),
        totals["forecast"] + D("3.00"),
    )
    assert report_for(money, Filters(year=2015)).totals.paid == expected(Filters(year=2015), "project")[1]["paid"]


# --- Said on the page and in each file -------------------------------------------------


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("’", "'")


def test_the_basis_is_said_on_the_page_and_in_every_file(client, money):
    client.force_login(money.users.officer)
    params = params_for(Filters(year=2016), money)
    page = squash(client.get(URL, params).content.decode().replace("&#x27;", "'"))
    assert BASIS in page[page.index('id="basis"') :]

    workbook = load_workbook(io.BytesIO(client.get(URL, {**params, "format": "xlsx"}).content))
    notes = [
        row[1] for row in workbook["Summary"].iter_rows(min_row=3, values_only=True) if str(row[0]).startswith("Note")
    ]
    assert any(BASIS in note for note in notes)

    pdf = client.get(URL, {**params, "format": "pdf"}).content
    text = squash(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    assert BASIS in text

    content = client.get(URL, {**params, "format": "csv"}).content.decode("utf-8")[1:]
    notes = [row[1] for row in csv.reader(io.StringIO(content)) if row and row[0] == "Note"]
    assert any(BASIS in note for note in notes)

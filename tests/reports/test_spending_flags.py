"""Under- and overspend in the spending report: each flagged against its own
percentage (UNDERSPEND_THRESHOLD_PERCENT, OVERSPEND_THRESHOLD_PERCENT); a negative
variance is an overspend, never an underspend; and the page, the workbook, the
PDF and the CSV all say so."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from grants import money as money_module
from grants.models import SpendReturn
from reports.spending_notes import Thresholds
from reports.spending_rows import Row
from tests.reports.conftest import Filters, at_noon, params_for, report_for

D = Decimal
URL = reverse("reports:spending")
LEADCO_2015 = Filters(organisation="leadco", year=2015)
FLAG = "Under- or overspend"


@pytest.fixture
def overspent(money):
    """Lead Co's 2015-16 allocation (a1, £100,000.10) gets a Q4 return of £50,000.00 spent and nothing more
    forecast: spent £60,000.66 + £50,000.00 = £110,000.66, variance -£10,000.56, an overspend."""
    allocation = money.allocations["a1"]
    SpendReturn.objects.create(
        allocation=allocation,
        quarter=4,
        spent=D("50000.00"),
        forecast=D("0.00"),
        submitted_at=at_noon(dt.date(2016, 4, 14)),
    )
    money_module.refresh_balance(allocation.pk)
    return money


def leadco_row(money) -> Row:
    (row,) = report_for(money, LEADCO_2015, "organisation").rows()
    return row


def test_a_negative_variance_is_an_overspend_never_an_underspend(overspent):
    row = leadco_row(overspent)
    assert (row.allocated, row.spent, row.forecast, row.variance) == (
        D("100000.10"),
        D("110000.66"),
        D("0.00"),
        D("-10000.56"),
    )
    assert row.overspend is True and row.underspend is False and row.flag == "Overspend"


def test_each_flag_has_its_own_threshold(overspent, settings):
    settings.OVERSPEND_THRESHOLD_PERCENT = 10  # 10,000.56 is 10.0005% of 100,000.10
    assert leadco_row(overspent).flag == "Overspend"
    settings.OVERSPEND_THRESHOLD_PERCENT = 11
    row = leadco_row(overspent)
    assert (row.overspend, row.underspend, row.flag) == (False, False, "Neither")
    settings.UNDERSPEND_THRESHOLD_PERCENT = 0  # an underspend threshold never flags a negative variance
    assert leadco_row(overspent).underspend is False


@pytest.mark.parametrize(
    "variance, underspend, overspend, flag",
    [
        (D("10.01"), True, False, "Underspend"),  # more than 10% of 100
        (D("10.00"), False, False, "Neither"),
        (D("0.00"), False, False, "Neither"),
        (D("-5.00"), False, False, "Neither"),  # not more than 5%
        (D("-5.01"), False, True, "Overspend"),
        (D("-25000.00"), False, True, "Overspend"),
    ],
)
def test_the_flags_of_a_row(variance, underspend, overspend, flag):
    row = Row(("x",), None, D("100.00"), D("0.00"), D("100.00") - variance, D("0.00"), Thresholds(10, 5))
    assert row.variance == variance
    assert (row.underspend, row.overspend, row.flag) == (underspend, overspend, flag)


def test_a_quarter_has_no_variance_and_no_flag():
    row = Row(("2016-17", "Q1"), None, None, D("1.00"), D("2.00"), None, Thresholds(10, 0))
    assert row.variance is None and row.underspend is None and row.overspend is None and row.flag is None


# --- Shown in the page and every file ---------------------------------------------------


def test_the_page_tags_an_overspend_and_an_underspend(client, overspent):
    client.force_login(overspent.users.officer)
    page = client.get(URL, {**params_for(Filters(year=2015), overspent), "group": "organisation"}).content.decode()
    table = page[page.index('id="spending-table"') : page.index("</table>", page.index('id="spending-table"'))]
    rows = {
        re.search(r"GB-[A-Z]+-[A-Z0-9]+", row).group(): row
        for row in table.split("<tr")[2:]
        if re.search(r"GB-[A-Z]+-[A-Z0-9]+", row)
    }
    leadco = rows["GB-COH-09000001"]
    assert "-£10,000.56" in leadco and "govuk-tag--red" in leadco and ">Overspend<" in leadco
    assert "Underspend" not in leadco
    # Northshire 2015-16: a2 and a5, 370,000.32 allocated, 190,002.64 spent, 90,000.00 forecast: 89,997.68, 24.3%.
    northshire = rows["GB-LAE-NSH"]
    assert "£89,997.68" in northshire and ">Underspend<" in northshire and "Overspend" not in northshire
    thresholds = unescape(page[page.index('id="thresholds"') :])
    assert "more than 10% of allocated" in thresholds and "by more than 0% of it" in thresholds


def test_the_workbook_the_pdf_and_the_csv_show_the_flag(client, overspent):
    client.force_login(overspent.users.officer)
    params = {**params_for(LEADCO_2015, overspent), "group": "organisation"}

    workbook = load_workbook(io.BytesIO(client.get(URL, {**params, "format": "xlsx"}).content))
    sheet = workbook["By organisation"]
    header = [cell.value for cell in sheet[1]]
    values = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert values["Org-id"] == "GB-COH-09000001"
    assert values["Variance (£)"] == pytest.approx(-10000.56) and values[FLAG] == "Overspend"
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(min_row=3, values_only=True)}
    assert summary[FLAG] == "Overspend"
    assert summary["Overspend threshold"] == "Spent and forecast more than allocated by over 0% of it"
    assert summary["Underspend threshold"] == "Variance more than 10% of allocated"
    assert "Underspend" not in summary

    pdf = client.get(URL, {**params, "format": "pdf"}).content
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    assert re.search(r"GB-COH-09000001 .*-£10,000\.56 110\.0% Overspend", text)
    assert "Under- or overspend Overspend" in text  # the summary's line

    content = client.get(URL, {**params, "format": "csv"}).content.decode("utf-8")[1:]
    header, *rows = csv.reader(io.StringIO(content))
    row = dict(zip(header, rows[0], strict=True))
    assert row["Variance (£)"] == "-10000.56" and row[FLAG] == "Overspend"

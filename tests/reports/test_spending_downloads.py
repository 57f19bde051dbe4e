"""The spending report's downloads, read back: the workbook with openpyxl, the
PDF's text with pypdf, the CSV with the csv module; each against the money
summed independently in tests/reports/conftest.py, and each recorded."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils.http import urlencode
from openpyxl import load_workbook
from pypdf import PdfReader

from audit.models import DownloadRecord
from reports.downloads import build_spending_csv, build_spending_pdf, build_spending_xlsx
from reports.forms import SpendingFilterForm
from reports.spending import SpendingReport
from tests.reports.conftest import Filters, expected, ledger_lines, params_for, year_label

URL = reverse("reports:spending")
MONEY_FORMAT = '"£"#,##0.00'
SHEETS = ["Summary", "By project", "By organisation", "By financial year", "By quarter", "By round", "Ledger"]
CASE = Filters(programme="p1", year=2016)


def download(client, money, f: Filters, file_format: str, grouping: str = "project"):
    client.force_login(money.users.finance)
    response = client.get(URL, {**params_for(f, money), "group": grouping, "format": file_format})
    assert response.status_code == 200
    return response


def pounds(value) -> Decimal:
    """A number read back from a file, as money."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def money_text(amount: Decimal) -> str:
    return f"{'-' if amount < 0 else ''}£{abs(amount):,.2f}"


# --- Excel -----------------------------------------------------------------------


@pytest.fixture
def workbook(client, money):
    response = download(client, money, CASE, "xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="spending-report-' in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def test_the_workbook_has_a_summary_a_sheet_per_grouping_and_the_ledger(workbook):
    assert workbook.sheetnames == SHEETS


def test_the_summary_names_each_filter_the_time_and_the_totals(workbook):
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(min_row=3, values_only=True)}
    assert summary["Programme"] == "Innovation Programme"
    assert summary["Round"] == "All rounds"
    assert summary["Project"] == "All projects"
    assert summary["Organisation"] == "All organisations"
    assert summary["Authority type"] == "Any"
    assert summary["Financial year"] == "2016-17"
    assert summary["Quarter"] == "Whole year"
    assert isinstance(summary["Generated"], dt.datetime)
    assert abs(summary["Generated"] - dt.datetime.now()) < dt.timedelta(hours=2)  # local time, no zone in Excel
    _, totals = expected(CASE, "project")
    for label, name in (
        ("Awarded", "awarded"),
        ("Allocated", "allocated"),
        ("Paid, less recoveries", "paid"),
        ("Spent", "spent"),
        ("Forecast", "forecast"),
    ):
        assert pounds(summary[label]) == totals[name], label
    cells = {row[0].value: row[1] for row in workbook["Summary"].iter_rows(min_row=3)}
    assert cells["Allocated"].number_format == MONEY_FORMAT
    assert cells["% spent"].number_format == "0.0%"
    assert Decimal(str(cells["% spent"].value)).quantize(Decimal("0.0001")) == (
        totals["spent"] / totals["allocated"]
    ).quantize(Decimal("0.0001"))


@pytest.mark.parametrize(
    "sheet_name, grouping, labels",
    [
        ("By project", "project", 2),
        ("By organisation", "organisation", 2),
        ("By financial year", "financial_year", 1),
        ("By quarter", "quarter", 2),
        ("By round", "round", 2),
    ],
)
def test_each_grouping_sheet_has_numbers_in_pounds_and_sum_totals(workbook, sheet_name, grouping, labels):
    sheet = workbook[sheet_name]
    header = [cell.value for cell in sheet[1]]
    rows, _ = expected(CASE, grouping)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(row=1, column=len(header)).column_letter}{len(rows) + 1}"
    assert sheet.column_dimensions["A"].width > 8
    money_columns = [number for number, title in enumerate(header) if "(£)" in title]
    names = {
        "Awarded (£)": "awarded",
        "Allocated (£)": "allocated",
        "Paid, less recoveries (£)": "paid",
        "Spent (£)": "spent",
        "Forecast (£)": "forecast",
    }
    for row in sheet.iter_rows(min_row=2, max_row=len(rows) + 1):
        key = {
            "project": lambda: row[0].value,
            "organisation": lambda: row[1].value,
            "financial_year": lambda: row[0].value,
        }.get(grouping, lambda: (row[0].value, row[1].value))()
        for number in money_columns:
            cell = row[number]
            assert isinstance(cell.value, (int, float)) and cell.number_format == MONEY_FORMAT
            if header[number] in names:
                assert pounds(cell.value) == rows[key][names[header[number]]], (key, header[number])
    total_row = len(rows) + 2
    assert sheet.cell(row=total_row, column=1).value == "Total"
    for number in money_columns:
        letter = sheet.cell(row=1, column=number + 1).column_letter
        total = sheet.cell(row=total_row, column=number + 1)
        assert total.value == f"=SUM({letter}2:{letter}{total_row - 1})"
        assert total.number_format == MONEY_FORMAT
    if "% spent" in header:
        column = header.index("% spent") + 1
        assert sheet.cell(row=2, column=column).number_format == "0.0%"
        assert sheet.cell(row=total_row, column=column).value.startswith("=IF(")
    assert labels == len(
        [
            title
            for title in header
            if "(£)" not in title and title not in ("% spent", "Under- or overspend", "Illustrative")
        ]
    )


def test_the_sums_of_each_sheet_equal_the_totals(workbook):
    """What the SUM formulas will show, added up here from the cells."""
    _, totals = expected(CASE, "project")
    for sheet_name in SHEETS[1:6]:
        sheet = workbook[sheet_name]
        header = [cell.value for cell in sheet[1]]
        paid = header.index("Paid, less recoveries (£)")
        values = [row[paid] for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row - 1, values_only=True)]
        assert pounds(sum(Decimal(str(value)) for value in values)) == totals["paid"], sheet_name


@pytest.mark.parametrize("case", [Filters(year=2016), Filters(year=2015, quarter=3)], ids=repr)
def test_the_ledger_lists_every_payment_recovery_and_spend_line_in_scope(client, money, case):
    sheet = load_workbook(io.BytesIO(download(client, money, case, "xlsx").content))["Ledger"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Date", "Quarter of the date", "Financial year allocated for", "Project reference"]
    payments, returns = ledger_lines(case)
    lines = list(sheet.iter_rows(min_row=2, max_row=sheet.max_row - 1, values_only=True))
    assert len(lines) == len(payments) + len(returns)
    kinds = [line[header.index("Kind")] for line in lines]
    assert kinds.count("Recovery") == sum(1 for p in payments if p[1] == "recovery")
    assert kinds.count("Spend return") == len(returns)
    dates = [line[0] for line in lines]
    assert dates and all(isinstance(day, dt.datetime) for day in dates) and dates == sorted(dates)
    assert sheet["A2"].number_format == "dd/mm/yyyy"
    paid = header.index("Paid, less recoveries (£)")
    spent = header.index("Spent (£)")
    assert pounds(sum(Decimal(str(line[paid] or 0)) for line in lines)) == sum(
        (-p[2] if p[1] == "recovery" else p[2]) for p in payments
    )
    assert pounds(sum(Decimal(str(line[spent] or 0)) for line in lines)) == sum(r[2] for r in returns)
    recovery = next(line for line in lines if line[header.index("Kind")] == "Recovery")
    assert recovery[paid] < 0 and recovery[header.index("Financial year allocated for")] == year_label(case.year)
    total_row = len(lines) + 2
    for column in (paid, spent):
        letter = sheet.cell(row=1, column=column + 1).column_letter
        assert sheet.cell(row=total_row, column=column + 1).value == f"=SUM({letter}2:{letter}{total_row - 1})"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")


def test_the_xlsx_download_is_recorded(client, money):
    download(client, money, CASE, "xlsx", "round")
    record = DownloadRecord.objects.get()
    assert (record.user, record.kind) == (money.users.finance, "export")
    assert record.description == (
        "Spending report (Excel, by round; programme Innovation Programme, financial year 2016-17)"
    )
    assert "format=xlsx" in record.path


def test_text_that_looks_like_a_formula_stays_text(client, money):
    project = money.projects["A-01"]
    project.title = '=HYPERLINK("http://evil.example")'
    project.save()
    sheet = load_workbook(io.BytesIO(download(client, money, Filters(), "xlsx").content))["By project"]
    assert sheet["B2"].value == project.title and sheet["B2"].data_type == "s"


# --- PDF -------------------------------------------------------------------------


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_the_pdf_has_a_cover_the_totals_the_chart_and_the_grouped_table(client, money):
    response = download(client, money, CASE, "pdf", "organisation")
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.content)
    text = "\n".join(pages)
    assert len(pages) >= 3
    assert "Spending report" in pages[0] and "Innovation Programme" in pages[0] and "2016-17" in pages[0]
    assert "Generated on" in pages[0]
    assert pages[0].count("Page 1 of") == 1 and f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    rows, totals = expected(CASE, "organisation")
    for name in ("awarded", "allocated", "paid", "spent", "forecast"):
        assert money_text(totals[name]) in text, name
    assert money_text(totals["allocated"] - totals["spent"] - totals["forecast"]) in text
    for org_id, sums in rows.items():
        assert org_id in text and money_text(sums["spent"]) in text
    assert "By organisation" in text and "£0" in text  # the table and the chart's axis
    assert "How these figures are worked out" in text
    assert DownloadRecord.objects.get().description.startswith("Spending report (PDF, by organisation;")


def test_the_pdf_tables_header_repeats_on_every_page(money, db):
    from tests.factories import AllocationFactory, GrantFactory

    for number in range(70):
        AllocationFactory(grant=GrantFactory(project__reference=f"Z-{number:03d}"))
    pages = pdf_pages(build_spending_pdf(SpendingReport(money.users.viewer)))
    table_pages = [page for page in pages if "Z-0" in page]
    assert len(table_pages) >= 2
    assert all("Reference Project Awarded Allocated" in page for page in table_pages)


# --- CSV -------------------------------------------------------------------------


@pytest.mark.parametrize("grouping", ["project", "organisation", "financial_year", "quarter", "round"])
def test_the_csv_has_a_byte_order_mark_one_header_the_rows_and_a_total(client, money, grouping):
    response = download(client, money, CASE, "csv", grouping)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(content[1:])))
    header, *rows = lines
    notes = rows[rows.index([]) + 1 :]
    rows = rows[: rows.index([])]
    assert notes and all(note[0] == "Note" for note in notes)
    assert any(
        "payments and recoveries count in the year and quarter of the date they were made" in note[1] for note in notes
    )
    expected_rows, totals = expected(CASE, grouping)
    assert len(rows) == len(expected_rows) + 1
    assert header.count("Spent (£)") == 1 and "Paid, less recoveries (£)" in header
    total = dict(zip(header, rows[-1], strict=True))
    assert rows[-1][0] == "Total"
    assert Decimal(total["Paid, less recoveries (£)"]) == totals["paid"]
    assert Decimal(total["Spent (£)"]) == totals["spent"]
    if "Allocated (£)" in header:
        assert Decimal(total["Allocated (£)"]) == totals["allocated"]
        assert Decimal(total["Forecast (£)"]) == totals["forecast"]
        assert Decimal(total["% spent"]) == (totals["spent"] * 100 / totals["allocated"]).quantize(Decimal("0.1"))
    assert ("Awarded (£)" in header) == (grouping in ("project", "round"))
    for row in rows[:-1]:
        assert re.fullmatch(r"-?\d+\.\d\d", dict(zip(header, row, strict=True))["Spent (£)"])
    assert DownloadRecord.objects.get().description.startswith("Spending report (CSV")


# --- Without a request --------------------------------------------------------------


def test_the_builders_are_plain_functions_of_a_report(money):
    form = SpendingFilterForm(QueryDict(urlencode(params_for(CASE, money))), user=money.users.officer)
    assert form.is_valid()
    report = SpendingReport(money.users.officer, form.filters(), "financial_year")
    assert load_workbook(io.BytesIO(build_spending_xlsx(report))).sheetnames == SHEETS
    assert build_spending_csv(report).decode("utf-8").startswith("\ufeffFinancial year,Allocated (£)")
    assert PdfReader(io.BytesIO(build_spending_pdf(report))).pages
    assert year_label(2016) in build_spending_csv(report).decode("utf-8")
    assert not DownloadRecord.objects.exists()  # only a download through the page is a download

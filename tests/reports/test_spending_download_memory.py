"""The spending workbook is written row by row (openpyxl's write-only mode): its memory does not grow with the
ledger, and what it writes reads back as the ordinary workbook did, formats, formulas and text that stays text.

The ledger here is made up (``report.ledger`` replaced by a generator of lines), so thousands of lines cost no
database rows; the report's other sheets are those of an empty programme."""

import datetime as dt
import io
import tracemalloc
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from grants.financial_year import FinancialQuarter, FinancialYear
from grants.ledger import LedgerLine
from reports.downloads import build_spending_xlsx
from reports.spending import SpendingReport
from reports.spending_filters import SpendingFilters
from tests.factories import OrganisationFactory, UserFactory

MONEY_FORMAT = '"£"#,##0.00'
GROUPING_SHEETS = ["By project", "By organisation", "By financial year", "By quarter", "By round"]


def made_up_ledger(count: int, *, title: str = "Made-up project"):
    """``count`` lines, a payment and a spend return by turns, a day apart from 1 April 2016."""
    for number in range(count):
        day = dt.date(2016, 4, 1) + dt.timedelta(days=number // 50)
        payment = number % 2 == 0
        yield LedgerLine(
            date=day,
            quarter=FinancialQuarter.of(day),
            kind="Payment" if payment else "Spend return",
            paid=Decimal("100.01") if payment else None,
            spent=None if payment else Decimal("50.50"),
            forecast=None,
            reference=f"PAY-{number}" if payment else "",
            illustrative=False,
            financial_year=FinancialYear(2016),
            project_reference=f"M-{number % 100:03d}",
            project_title=title,
            grant_title="A grant",
            recipient_name="A recipient",
            recipient_org_id="GB-COH-00000001",
        )


def report_with_ledger(user, lines: int, filters: SpendingFilters | None = None, **ledger) -> SpendingReport:
    report = SpendingReport(user, filters or SpendingFilters())
    report.ledger = lambda: made_up_ledger(lines, **ledger)
    return report


def peak_bytes(report: SpendingReport) -> int:
    """The most memory Python held at once while the workbook was built."""
    tracemalloc.start()
    try:
        build_spending_xlsx(report)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def officer(db):
    return UserFactory(role="officer")


def test_the_workbooks_memory_does_not_grow_with_the_ledger(officer):
    """Four thousand more lines (fifty thousand more cells) add about the finished file's bytes (0.2 MB): an
    ordinary openpyxl workbook holds a cell object for each, 17 MB more when this was written."""
    build_spending_xlsx(report_with_ledger(officer, 10))  # what is done once per process, done before measuring
    small = peak_bytes(report_with_ledger(officer, 1_000))
    large = peak_bytes(report_with_ledger(officer, 5_000))
    assert large - small < 3_000_000, (small, large)


def test_the_ledger_of_a_long_workbook_reads_back_with_its_formats_and_totals(officer):
    lines = 1_000
    workbook = load_workbook(io.BytesIO(build_spending_xlsx(report_with_ledger(officer, lines))))
    sheet = workbook["Ledger"]
    header = [cell.value for cell in sheet[1]]
    paid, spent, reference = (
        header.index(title) for title in ("Paid, less recoveries (£)", "Spent (£)", "Payment reference")
    )
    assert sheet.max_row == lines + 2
    assert all(cell.font.bold for cell in sheet[1]) and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:M{lines + 1}"
    assert sheet.column_dimensions["E"].width == 40
    first, second = sheet[2], sheet[3]
    assert first[0].value == dt.datetime(2016, 4, 1) and first[0].number_format == "dd/mm/yyyy"
    assert first[1].value == "2016-17 Q1" and first[2].value == "2016-17"
    assert first[paid].value == pytest.approx(100.01) and first[paid].number_format == MONEY_FORMAT
    assert first[spent].value is None and first[reference].value == "PAY-0"
    assert second[spent].value == pytest.approx(50.5) and second[spent].number_format == MONEY_FORMAT
    assert second[reference].value is None  # a spend return has no payment reference: no cell at all
    total = sheet[lines + 2]
    assert total[0].value == "Total" and total[0].font.bold
    for column in (paid, spent):
        letter = total[column].column_letter
        assert total[column].value == f"=SUM({letter}2:{letter}{lines + 1})"
        assert total[column].number_format == MONEY_FORMAT and total[column].font.bold
    values = list(sheet.iter_rows(min_row=2, max_row=lines + 1, values_only=True))
    assert sum(Decimal(str(row[paid] or 0)) for row in values) == Decimal("100.01") * (lines // 2)


def test_text_that_would_be_a_formula_or_cannot_be_held_stays_text_on_every_sheet(officer):
    """A project title typed as a formula stays the text typed, in the ledger too; a control character a
    worksheet cannot hold is dropped; the summary's filters are text, however the organisation is named."""
    organisation = OrganisationFactory(name='=HYPERLINK("http://evil.example","x")')
    filters = SpendingFilters(organisation=organisation)
    report = report_with_ledger(officer, 4, filters, title="=1+2\x07")
    workbook = load_workbook(io.BytesIO(build_spending_xlsx(report)))
    ledger = workbook["Ledger"]
    project = [cell.value for cell in ledger[1]].index("Project") + 1
    for row in range(2, 6):
        assert ledger.cell(row=row, column=project).value == "=1+2"
        assert ledger.cell(row=row, column=project).data_type == "s"
    summary = {row[0].value: row[1] for row in workbook["Summary"].iter_rows(min_row=3)}
    assert summary["Organisation"].value == f"{organisation.name} ({organisation.org_id})"
    assert summary["Organisation"].data_type == "s"


def test_a_workbook_with_no_money_has_every_sheet_with_its_header_and_zero_totals(officer):
    workbook = load_workbook(io.BytesIO(build_spending_xlsx(report_with_ledger(officer, 0))))
    assert workbook.sheetnames == ["Summary", *GROUPING_SHEETS, "Ledger"]
    assert workbook["Summary"]["A1"].value == "Spending report" and workbook["Summary"]["A1"].font.size == 14
    for name in [*GROUPING_SHEETS, "Ledger"]:
        sheet = workbook[name]
        header = [cell.value for cell in sheet[1]]
        last = sheet.cell(row=1, column=len(header)).column_letter
        assert sheet.auto_filter.ref == f"A1:{last}1", name
        assert sheet.max_row == 2 and sheet["A2"].value == "Total", name
        sums = [cell.value for title, cell in zip(header, sheet[2], strict=True) if "(£)" in title]
        assert sums and all(value == 0 for value in sums), name
        if "% spent" in header:
            share = sheet.cell(row=2, column=header.index("% spent") + 1)
            assert share.value.startswith("=IF(") and share.number_format == "0.0%"

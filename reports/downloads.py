"""The spending report as Excel, PDF and CSV: exactly the figures of the page,
for the same filters. Each builder is a plain function of a SpendingReport, so
a benchmark or a command can call it without a request."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from decimal import Decimal
from functools import partial

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.exports import (
    ILLUSTRATIVE_COLUMN,
    ILLUSTRATIVE_COLUMN_NOTE,
    csv_response,
    illustrative_cell,
    xlsx_write_only_value,
)
from core.pdf import render_pdf
from core.workbook import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    Column,
    safe_sheet_title,
)
from reports.spending import SpendingReport
from reports.spending_rows import GROUPINGS, Row

PDF_TEMPLATE = "pdf/spending_report.html"
LABEL_WIDTHS = {"Project": 44, "Organisation": 40, "Programme": 40, "Reference": 12}


FLAG = "Under- or overspend"
# The column of each figure, and the figure's name in Row.marks: the Illustrative column names the columns marked.
FIGURE_OF_COLUMN = {
    "Awarded (£)": "awarded",
    "Allocated (£)": "allocated",
    "Paid, less recoveries (£)": "paid",
    "Spent (£)": "spent",
    "Forecast (£)": "forecast",
    "Variance (£)": "variance",
    "% spent": "percent_spent",
}


def _flag(row: Row) -> str:
    """ "Underspend", "Overspend" or "Neither"; empty where there is no variance (a quarter)."""
    return row.flag or ""


def columns(grouping_key: str) -> list[Column]:
    """The columns of a grouping: its labels, then the figures that apply to it."""
    grouping = GROUPINGS[grouping_key]
    result = [Column(title, width=LABEL_WIDTHS.get(title, 16)) for title in grouping.label_headers]
    if grouping.has_awarded:
        result.append(Column("Awarded (£)", "money", 18, total=True))
    if not grouping.per_quarter:
        result.append(Column("Allocated (£)", "money", 18, total=True))
    result += [
        Column("Paid, less recoveries (£)", "money", 18, total=True),
        Column("Spent (£)", "money", 18, total=True),
    ]
    if not grouping.per_quarter:
        result += [
            Column("Forecast (£)", "money", 18, total=True),
            Column("Variance (£)", "money", 18, total=True),
            Column("% spent", "percent", 10),
            Column(FLAG, width=14),
        ]
    return [*result, Column(ILLUSTRATIVE_COLUMN, width=28)]


def illustrative_figures(titles, row: Row) -> str:
    """The Illustrative column of a row: the names of its figures, of those with a column among ``titles``, that
    an invented row lies behind ("Paid, less recoveries; Variance"); blank when every one is from the record."""
    return "; ".join(title.removesuffix(" (£)") for title in titles if row.marks.get(FIGURE_OF_COLUMN.get(title)))


def _values(grouping_key: str, row: Row, *, percent_as_share: bool, titles: list[str] | None = None) -> list:
    grouping = GROUPINGS[grouping_key]
    values = list(row.labels)
    if grouping.has_awarded:
        values.append(row.awarded)
    if not grouping.per_quarter:
        values.append(row.allocated)
    values += [row.paid, row.spent]
    if not grouping.per_quarter:
        percent = row.share_spent if percent_as_share else row.percent_spent
        values += [row.forecast, row.variance, percent, _flag(row)]
    titles = titles or [column.title for column in columns(grouping_key)]
    return [*values, illustrative_figures(titles, row)]


def _total_values(grouping_key: str, report: SpendingReport) -> list:
    """The totals row as values (for CSV), in the grouping's columns."""
    blanks = ("",) * (len(GROUPINGS[grouping_key].label_headers) - 1)
    return _values(grouping_key, replace(report.totals, labels=("Total", *blanks)), percent_as_share=False)


# --- Excel ---------------------------------------------------------------------

LEDGER_COLUMNS = [
    # A payment's date; for a spend return, the last day of the quarter it covers.
    Column("Date", "date", 12),
    Column("Quarter of the date", width=14),  # the year and quarter the line counts in
    Column("Financial year allocated for", width=14),
    Column("Project reference", width=12),
    Column("Project", width=40),
    Column("Grant", width=40),
    Column("Recipient", width=36),
    Column("Recipient org-id", width=18),
    Column("Kind", width=14),
    Column("Paid, less recoveries (£)", "money", 18, total=True),
    Column("Spent (£)", "money", 18, total=True),
    Column("Payment reference", width=18),
    Column(ILLUSTRATIVE_COLUMN, width=12),
]


def _ledger_rows(report: SpendingReport):
    for line in report.ledger():
        yield [
            line.date,
            str(line.quarter),
            str(line.financial_year),
            line.project_reference,
            line.project_title,
            line.grant_title,
            line.recipient_name,
            line.recipient_org_id,
            line.kind,
            line.paid,
            line.spent,
            line.reference,
            illustrative_cell(line.illustrative),
        ]


SUMMARY_FIGURES = [*FIGURE_OF_COLUMN]


def _summary(report: SpendingReport) -> list[tuple[str, object]]:
    totals = report.totals
    return [
        ("Generated", report.generated_at),
        *report.filters.described(),
        ("Grouping on the page", report.grouping.label),
        ("Underspend threshold", report.thresholds.underspend_text),
        ("Overspend threshold", report.thresholds.overspend_text),
        ("Awarded", totals.awarded),
        ("Originally awarded, before variations", totals.original_awarded),
        ("Allocated", totals.allocated),
        ("Paid, less recoveries", totals.paid),
        ("Spent", totals.spent),
        ("Forecast", totals.forecast),
        ("Variance", totals.variance),
        ("% spent", totals.share_spent),
        (FLAG, _flag(totals)),
        (ILLUSTRATIVE_COLUMN, illustrative_figures(SUMMARY_FIGURES, totals) or "None"),
        *((f"Note {number}", note) for number, note in enumerate(report.explanation, start=1)),
        ("Illustrative figures", ILLUSTRATIVE_COLUMN_NOTE),
        (
            "Ledger",
            "Every payment, recovery and spend-return line in scope, by date; a spend return is dated by "
            "the last day of the quarter it covers",
        ),
    ]


def build_spending_xlsx(report: SpendingReport) -> bytes:
    """A workbook: Summary (filters, time, totals), one sheet per grouping with SUM totals, and the Ledger.

    Written row by row (openpyxl's write-only mode), so the ledger's lines go from the database cursor to the
    file without the workbook holding a cell object for each: memory stays flat however long the ledger is.
    """
    workbook = Workbook(write_only=True)
    _write_summary(workbook, report)
    totals = report.totals
    for key, grouping in GROUPINGS.items():
        table_columns = columns(key)
        titles = [column.title for column in table_columns]
        rows = (_values(key, row, percent_as_share=True, titles=titles) for row in report.rows(key))
        _write_table(
            workbook, grouping.sheet_title, table_columns, rows, partial(_totals, titles=titles, totals=totals)
        )
    _write_table(workbook, "Ledger", LEDGER_COLUMNS, _ledger_rows(report))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _bold(sheet, value, number_format: str | None = None, **font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True, **font)
    if number_format:
        cell.number_format = number_format
    return cell


def _write_summary(workbook, report: SpendingReport) -> None:
    """The Summary sheet, laid out as core.workbook.write_key_values lays one out: a title, then labels in bold
    beside their values, money in pounds, % spent as a percentage and times as local times."""
    sheet = workbook.create_sheet("Summary")
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 60
    sheet.append([_bold(sheet, "Spending report", size=14)])
    sheet.append([])
    for label, value in _summary(report):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:  # Excel has no time zones
            value = timezone.localtime(value).replace(tzinfo=None)
        number_format = PERCENT_FORMAT if label == "% spent" else _summary_format(value)
        sheet.append([_bold(sheet, label), xlsx_write_only_value(sheet, value, number_format)])


def _summary_format(value) -> str | None:
    if isinstance(value, Decimal):
        return MONEY_FORMAT
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    return DATE_FORMAT if isinstance(value, dt.date) else None


def _write_table(workbook, title: str, table_columns: list[Column], rows, totals=None) -> None:
    """A sheet laid out as core.workbook.write_table lays one out (a bold header, frozen, with filters; each
    value in its column's format, text never a formula; a row "Total" of SUM formulas under the rows), written
    row by row. ``totals(sheet, total_row)`` gives the total row's other cells, by column title."""
    sheet = workbook.create_sheet(safe_sheet_title(title))
    for number, column in enumerate(table_columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    sheet.freeze_panes = "A2"  # before the first row: write-only sheets write their views first
    sheet.append([_bold(sheet, column.title) for column in table_columns])
    formats = [column.number_format for column in table_columns]
    last = 1
    for last, row in enumerate(rows, start=2):
        sheet.append([xlsx_write_only_value(sheet, value, form) for form, value in zip(formats, row, strict=True)])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table_columns))}{last}"
    others = totals(sheet, last + 1) if totals else {}
    total_row = []
    for number, column in enumerate(table_columns, start=1):
        letter = get_column_letter(number)
        if number == 1:
            total_row.append(_bold(sheet, "Total"))
        elif column.total:
            # An empty range sums to 0, so a filter that matches nothing still gives a total.
            total = f"=SUM({letter}2:{letter}{last})" if last >= 2 else 0
            total_row.append(_bold(sheet, total, column.number_format or "General"))
        else:
            total_row.append(others.get(column.title))
    sheet.append(total_row)


def _totals(sheet, total_row: int, *, titles: list[str], totals: Row) -> dict:
    """The total row's cells besides the SUMs: % spent is spent over allocated (a SUM of percentages means
    nothing); the flag and the figures marked illustrative are the totals'."""
    cells = {ILLUSTRATIVE_COLUMN: xlsx_write_only_value(sheet, illustrative_figures(titles, totals))}
    if "% spent" in titles:
        letter = {title: get_column_letter(number) for number, title in enumerate(titles, start=1)}
        allocated, spent = f"{letter['Allocated (£)']}{total_row}", f"{letter['Spent (£)']}{total_row}"
        share = WriteOnlyCell(sheet, value=f'=IF({allocated}=0,"",{spent}/{allocated})')
        share.number_format = PERCENT_FORMAT
        cells["% spent"] = share
        cells[FLAG] = xlsx_write_only_value(sheet, _flag(totals))
    return cells


# --- CSV -----------------------------------------------------------------------


def spending_csv_table(report: SpendingReport) -> tuple[list[str], list[list]]:
    """The header and rows of the chosen grouping, a last row "Total" for the whole report, then, after an
    empty row, one row "Note" per line of how the figures are worked out (the basis of a financial year, and
    the day the figures are as at).

    Figures that do not apply to a grouping (awarded for an organisation, say) are left
    out as columns; % spent is a number of percent to one place (45.3).
    """
    key = report.grouping.key
    header = [column.title for column in columns(key)]
    rows = [_values(key, row, percent_as_share=False) for row in report.rows(key)]
    rows.append(_total_values(key, report))
    rows.append([])
    rows += [["Note", note] for note in [*report.explanation, ILLUSTRATIVE_COLUMN_NOTE]]
    return header, rows


def spending_csv_response(report: SpendingReport, filename: str):
    return csv_response(filename, *spending_csv_table(report))


def build_spending_csv(report: SpendingReport) -> bytes:
    """The CSV's bytes: UTF-8 with a byte order mark, one header row, the rows and the total."""
    return spending_csv_response(report, "spending-report.csv").content


# --- PDF -----------------------------------------------------------------------


def spending_pdf_context(report: SpendingReport) -> dict:
    return {
        "report": report,
        "rows": report.rows(),
        "totals": report.totals,
        "years": report.years,
        "chart": report.chart,
        "generated_at": report.generated_at,
    }


def build_spending_pdf(report: SpendingReport) -> bytes:
    """An A4 PDF: a cover (title, filters, date), the totals, the chart, the grouped table, the notes."""
    return render_pdf(PDF_TEMPLATE, spending_pdf_context(report))

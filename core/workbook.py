"""Excel workbooks with the same conventions everywhere: a bold, frozen header
row with filters, money stored as numbers in a £ format, dates as dates,
sensible column widths, and totals as SUM formulas that a reader can check.

Text goes through ``ui.exports.xlsx_text`` so that nothing a user typed becomes
a formula.
"""

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.exports import XLSX_CONTENT_TYPE, xlsx_text

MONEY_FORMAT = '"£"#,##0.00'
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
BOLD = Font(bold=True)


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text, money, number, percent, date, datetime
    width: int = 16
    total: bool = False  # add a SUM formula under this column

    @property
    def number_format(self) -> str | None:
        return {
            "money": MONEY_FORMAT,
            "percent": PERCENT_FORMAT,
            "date": DATE_FORMAT,
            "datetime": DATETIME_FORMAT,
            "number": "#,##0.##",
        }.get(self.kind)


def _excel_value(value):
    # Excel has no time zones: a datetime is written as local wall-clock time.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    return value


def write_table(sheet, columns: list[Column], rows: Iterable[Iterable], totals_label: str | None = "Total") -> int:
    """Write a header row, the rows, and (if any column asks) a totals row of SUM
    formulas. Returns the number of data rows written."""
    sheet.append([column.title for column in columns])
    for cell in sheet[1]:
        cell.font = BOLD
    row_number = 1
    for row_number, row in enumerate(rows, start=2):
        for column_number, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = sheet.cell(row=row_number, column=column_number)
            xlsx_text(cell, _excel_value(value))
            if column.number_format and value is not None:
                cell.number_format = column.number_format
    last = row_number
    for column_number, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(column_number)].width = column.width
    sheet.freeze_panes = "A2"
    if last >= 1:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(last, 1)}"
    if totals_label is not None and any(column.total for column in columns):
        total_row = last + 1
        sheet.cell(row=total_row, column=1, value=totals_label).font = BOLD
        for column_number, column in enumerate(columns, start=1):
            if column.total:
                letter = get_column_letter(column_number)
                cell = sheet.cell(row=total_row, column=column_number)
                # An empty range sums to 0, so a filter that matches nothing still gives a total.
                cell.value = f"=SUM({letter}2:{letter}{last})" if last >= 2 else 0
                cell.number_format = column.number_format or "General"
                cell.font = BOLD
    return last - 1


def write_key_values(sheet, pairs: Iterable[tuple[str, object]], title: str | None = None) -> None:
    """A two-column sheet of labels and values, such as a summary of the filters used."""
    if title:
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([])
    for label, value in pairs:
        sheet.append([None, None])
        row = sheet.max_row
        xlsx_text(sheet.cell(row=row, column=1), label)
        sheet.cell(row=row, column=1).font = BOLD
        cell = sheet.cell(row=row, column=2)
        xlsx_text(cell, _excel_value(value))
        if isinstance(value, Decimal):
            cell.number_format = MONEY_FORMAT
        elif isinstance(value, dt.datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, dt.date):
            cell.number_format = DATE_FORMAT
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 60


def new_workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def safe_sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\ ."""
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title.strip()[:31] or "Sheet"


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_response(workbook: Workbook, filename: str) -> HttpResponse:
    response = HttpResponse(workbook_bytes(workbook), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

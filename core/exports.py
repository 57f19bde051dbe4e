"""Exports that are safe to open in a spreadsheet.

Text a user typed (a project title, an organisation's name) can start with
``=``, ``+``, ``-`` or ``@``; a spreadsheet opening the file would run it as a
formula, which can fetch a web address or, through DDE, start a program
(OWASP "CSV Injection"). Every cell of an export goes through these helpers:

- in CSV, such text is prefixed with a single quote, which spreadsheets take as
  "this is text" and do not display;
- in Excel, the cell is written as a string cell (openpyxl would otherwise store
  any text starting with ``=`` as a formula), so it shows exactly what was typed.

Numbers (Decimal, int) and dates stay numbers and dates, so sums still work.
"""

import csv
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# OWASP's list: formula starts, and tab and carriage return, which some
# spreadsheets skip before looking for one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Figures invented for the demonstration say so wherever they go: on a page a mark and its legend
# (core.templatetags.govuk), in a file this column, explained in the file's notes.
ILLUSTRATIVE_NOTE = "Illustrative: invented for the demonstration, not from the programme’s record."
ILLUSTRATIVE_COLUMN = "Illustrative"
ILLUSTRATIVE_COLUMN_NOTE = (
    "The Illustrative column says which figures of a row have a figure invented for the demonstration behind "
    "them, not one from the programme’s record: Yes where a row has one figure, else the figures' names. A sum "
    "is named when any invented row adds to it. Blank where every figure is from the record."
)


def illustrative_cell(marked) -> str:
    """The Illustrative column of a row of one figure: Yes, or blank."""
    return "Yes" if marked else ""


def safe_cell(value):
    """A CSV cell: numbers and dates unchanged, text that could start a formula prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, (Decimal, int, float, dt.date)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(values: Iterable) -> list:
    return [safe_cell(value) for value in values]


def xlsx_text(cell, value) -> None:
    """Put ``value`` in an openpyxl cell: numbers and dates as such, anything else as text, never a formula."""
    if value is None or (isinstance(value, (Decimal, int, float, dt.date)) and not isinstance(value, bool)):
        cell.value = value
        return
    # openpyxl refuses control characters a worksheet cannot hold; they carry nothing a reader needs.
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell.data_type = "s"


def xlsx_write_only_value(sheet, value, number_format: str | None = None):
    """What to append for ``value`` to a row of a write-only sheet (``Workbook(write_only=True)``), kept as
    ``xlsx_text`` keeps it: numbers and dates as such, in ``number_format`` if one is given, anything else as
    text, never a formula. A value needing neither a format nor a guard goes as it is, for a cell costs time
    and memory on a sheet of a hundred thousand rows."""
    if value is None or value == "":
        return None  # no cell at all: an empty one reads back the same and costs a row of writing
    if isinstance(value, str):
        if value[0] != "=" and not ILLEGAL_CHARACTERS_RE.search(value):
            return value
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
        return cell
    if not isinstance(value, (Decimal, int, float, dt.date)) or isinstance(value, bool):
        return xlsx_write_only_value(sheet, str(value))
    if number_format is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    """A CSV download: UTF-8 with a byte order mark, so Excel reads £ and accents, and one header row."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(csv_row(row))
    return response

"""The ledger download: every payment, recovery and spend-return line the user may see
(grants.ledger, in its one order), as rows for a CSV or an Excel file.

Rows come from the database through a server-side cursor (``iterator``) and are
written one by one, so memory stays flat however long the ledger is: CSV through
Python's ``csv`` writer, Excel through openpyxl's write-only mode. A recovery's
amount is negative, signed in the database by ``grants.money.NET_AMOUNT`` so that
the column adds up to the net paid every page shows.
"""

import csv
from collections.abc import Callable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from core.exports import FORMULA_STARTS, ILLUSTRATIVE_COLUMN, ILLUSTRATIVE_COLUMN_NOTE, illustrative_cell, safe_cell
from core.workbook import DATE_FORMAT, MONEY_FORMAT
from grants import money
from grants.ledger import ledger_lines
from grants.models import Payment, SpendReturn

HEADER = [
    "Date",
    "Kind",
    "Project reference",
    "Project",
    "Grant",
    "Recipient",
    "Recipient org-id",
    "Financial year",
    "Quarter",
    "Amount (£)",
    "Forecast for rest of year (£)",
    "Reference",
    ILLUSTRATIVE_COLUMN,
]
QUARTER_LABELS = {1: "Q1", 2: "Q2", 3: "Q3", 4: "Q4"}
MONEY_COLUMNS = {9, 10}  # zero-based: amount and forecast
# Columns whose text came from a user and could start a formula: the rest are dates,
# numbers, or words this module wrote.
TYPED_TEXT_COLUMNS = (2, 3, 4, 5, 6, 11)
DATE_COLUMNS = {0}
WIDTHS = [12, 14, 14, 40, 40, 36, 18, 12, 8, 16, 16, 18, 10]


def _payments(user):
    return Payment.objects.for_user(user)


def _returns(user):
    return SpendReturn.objects.for_user(user)


def ledger_size(user) -> int:
    return _payments(user).count() + _returns(user).count()


def ledger_rows(user) -> Iterator[list]:
    """The user's ledger lines (grants.ledger: in date order) as rows of the file."""
    years = {}  # FinancialYear -> its label, worked out once per year, not once per row
    for line in ledger_lines(_payments(user), _returns(user)):
        year = line.financial_year
        if year not in years:
            years[year] = str(year)
        payment = line.spent is None
        yield [
            line.date,
            line.kind,
            line.project_reference,
            line.project_title,
            line.grant_title,
            line.recipient_name,
            line.recipient_org_id,
            years[year],
            None if payment else QUARTER_LABELS[line.quarter.number],
            # SQLite hands back amounts with more places: the ledger is to the penny.
            money.to_penny(line.paid) if payment else line.spent,
            line.forecast,
            line.reference,
            illustrative_cell(line.illustrative),
        ]


Progress = Callable[[int], None]


def _counted(rows, progress: Progress | None, every: int = 5_000):
    written = 0
    for row in rows:
        yield row
        written += 1
        if progress and written % every == 0:
            progress(written)
    if progress:
        progress(written)


def write_csv(out, rows, progress: Progress | None = None) -> None:
    """CSV with a byte order mark and one header row; text that could start a formula is made safe."""
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in _counted(rows, progress):
        writer.writerow(_safe(row))


def _safe(row: list) -> list:
    """The row with any user-typed text that could start a formula made safe (in place)."""
    for index in TYPED_TEXT_COLUMNS:
        value = row[index]
        if value and value[0] in FORMULA_STARTS:
            row[index] = safe_cell(value)
    return row


class _Echo:
    """A file-like object whose write returns what it was given, for streaming."""

    def write(self, value):
        return value


def stream_csv(rows) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow(HEADER)
    for row in rows:
        yield writer.writerow(_safe(row))


def write_xlsx(path, rows, progress: Progress | None = None) -> None:
    """An Excel ledger written row by row (openpyxl write-only): money as numbers in a
    £ format, dates as dates, a bold frozen header with filters."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Ledger")
    sheet.freeze_panes = "A2"
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)
    header = []
    for title in HEADER:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in _counted(rows, progress):
        sheet.append(_xlsx_row(sheet, row))
        count += 1
    sheet.auto_filter.ref = f"A1:M{count + 1}"
    notes = workbook.create_sheet("Notes")
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 100
    for label, note in NOTES:
        cell = WriteOnlyCell(notes, value=label)
        cell.font = bold
        notes.append([cell, note])
    workbook.save(path)


NOTES = [
    ("Amount (£)", "A payment's amount, or a spend return's spending in its quarter; a recovery's is negative."),
    (ILLUSTRATIVE_COLUMN, ILLUSTRATIVE_COLUMN_NOTE),
]


def _xlsx_row(sheet, row: list) -> list:
    """Cells only where they are needed: money and dates carry a number format, and
    text that would read as a formula is stored as text. Plain values go as they are."""
    date = row[0]
    if date is not None:
        cell = WriteOnlyCell(sheet, value=date)
        cell.number_format = DATE_FORMAT
        row[0] = cell
    for index in MONEY_COLUMNS:
        value = row[index]
        if value is not None:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = MONEY_FORMAT
            row[index] = cell
    for index in TYPED_TEXT_COLUMNS:
        value = row[index]
        if value and (value[0] == "=" or ILLEGAL_CHARACTERS_RE.search(value)):
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
            row[index] = cell
    return row

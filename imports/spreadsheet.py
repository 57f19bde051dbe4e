"""Reading and writing the import templates.

A template has three sheets: "Instructions" (plain English), the data sheet
(one header row, then a row per record) and a hidden "Lists" sheet that feeds
the drop-down lists. An uploaded file must keep exactly that shape, and every
cell must hold what its column asks for: a number or an amount for money, a
date for a date, never a formula. Converting each cell to what its column asks
for is imports/spreadsheet_cells.py.

The file comes from outside, so nothing in it is trusted: its size (packed and
unpacked) is checked before it is opened, the size the sheet claims before a
cell is read, and no more rows than the limit are read whatever the sheet
claims.
"""

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

import openpyxl
from django.core.exceptions import ValidationError
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.exports import xlsx_text
from core.uploads import check_upload
from core.workbook import DATE_FORMAT, MONEY_FORMAT, new_workbook

INSTRUCTIONS = "Instructions"
LISTS = "Lists"
MAX_DATA_ROWS = 20_000
MAX_COLUMNS = 40
# A workbook is a zip: a small upload can unpack to gigabytes (a "zip bomb").
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# Empty rows offered for new records below the filled-in ones.
SPARE_ROWS = 200

_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?ref="([A-Z]+\d+)(?::([A-Z]+\d+))?"')
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Column:
    """One column of a data sheet. ``kind`` says what its cells must hold:
    text, money, number, date, year (a financial year like 2016-17) or quarter."""

    key: str
    title: str
    kind: str = "text"
    required: bool = True
    width: int = 22
    list_name: str = ""  # the Lists column feeding its drop-down
    max_length: int = 0
    places: int = 4  # decimal places a number column may have
    hint: str = ""


@dataclass(frozen=True)
class Layout:
    data_sheet: str
    columns: tuple[Column, ...]

    @property
    def sheet_names(self) -> tuple[str, ...]:
        return (INSTRUCTIONS, self.data_sheet, LISTS)

    def letter(self, key: str) -> str:
        return get_column_letter(self.index(key) + 1)

    def index(self, key: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.key == key)

    def column(self, key: str) -> Column:
        return self.columns[self.index(key)]


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file, located as precisely as possible."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""  # the letter, e.g. "D"
    heading: str = ""

    @property
    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"sheet “{self.sheet}”")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}" + (f" ({self.heading})" if self.heading else ""))
        return ", ".join(parts) if parts else "the whole file"

    def __str__(self):
        return f"{self.where[:1].upper()}{self.where[1:]}: {self.message}"


class Refused(Exception):
    """The file cannot be imported; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass
class Row:
    number: int
    values: dict[str, object] = field(default_factory=dict)


def problem_at(layout: Layout, row: int | None, key: str, message: str) -> Problem:
    column = layout.column(key)
    return Problem(message, layout.data_sheet, row, layout.letter(key), column.title)


# Reading


def _plain(text) -> str:
    return _SPACES.sub(" ", str(text)).strip().casefold()


def check_workbook_upload(upload) -> None:
    """The upload must be an .xlsx workbook that opens as one; raise ValidationError otherwise."""
    name = PurePath((upload.name or "").replace("\\", "/")).name
    if PurePath(name).suffix.lower() != ".xlsx":
        raise ValidationError(
            "The selected file must be an Excel workbook (.xlsx): download the template, fill it in and upload it"
        )
    try:
        check_upload(upload)
    except ValidationError as error:
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0)
        if upload.size == 0 or upload.size > _upload_limit():
            raise
        if head.startswith(b"PK\x03\x04"):
            raise ValidationError(
                f"The selected file {name} is damaged or is not an Excel workbook: open it in Excel, "
                "save it again as an Excel Workbook (.xlsx) and upload the new copy"
            ) from None
        raise ValidationError(
            f"The selected file {name} is not an Excel workbook, although its name ends in .xlsx "
            "(it may be a text or CSV file that was renamed): upload the template saved as an Excel Workbook (.xlsx)"
        ) from error


def _upload_limit() -> int:
    from django.conf import settings

    return settings.UPLOAD_MAX_BYTES


def _check_archive(upload) -> None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Refused(
            [
                Problem(
                    "The file is damaged: it cannot be opened as an Excel workbook. "
                    "Save it again from Excel as an Excel Workbook (.xlsx)"
                )
            ]
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise Refused(
            [
                Problem(
                    f"The workbook unpacks to {unpacked / 1024 / 1024:,.0f}MB, more than an import can take "
                    f"({MAX_UNPACKED_BYTES // 1024 // 1024}MB). Split it into smaller files"
                )
            ]
        )
    upload.seek(0)


def _open(upload):
    _check_archive(upload)
    try:
        # A hostile or damaged file can fail inside openpyxl in many ways (bad XML,
        # missing parts, wrong types); each means the same to the user.
        return openpyxl.load_workbook(upload, read_only=True, data_only=False, keep_links=False)
    except Exception:  # noqa: BLE001
        raise Refused(
            [
                Problem(
                    "The file is damaged or is not an Excel workbook: it cannot be read. "
                    "Save it again from Excel as an Excel Workbook (.xlsx)"
                )
            ]
        ) from None


def _check_sheets(workbook, layout: Layout) -> list[Problem]:
    problems = []
    names = list(workbook.sheetnames)
    for expected in layout.sheet_names:
        if expected not in names:
            problems.append(
                Problem(
                    f"The workbook has no sheet called “{expected}”. Keep the template's sheets as they are: "
                    f"{', '.join(layout.sheet_names)}"
                )
            )
    for name in names:
        if name not in layout.sheet_names:
            problems.append(
                Problem(
                    f"The workbook has a sheet called “{name}” that the template does not have: delete it, "
                    "and put every row on the sheet “{}”".format(layout.data_sheet)
                )
            )
    if not problems and not hasattr(workbook[layout.data_sheet], "iter_rows"):
        problems.append(Problem(f"“{layout.data_sheet}” must be a worksheet of rows, not a chart"))
    return problems


def _check_claimed_size(sheet, layout: Layout) -> list[Problem]:
    # The sheet's <dimension> says how big it is; refuse a huge claim before reading a cell.
    rows, columns = sheet.max_row, sheet.max_column
    problems = []
    if rows is not None and rows > MAX_DATA_ROWS + 1:
        problems.append(
            Problem(
                f"The sheet says it has {rows:,} rows; an import can take at most {MAX_DATA_ROWS:,} rows of data. "
                "Delete the empty rows below your data (or split the file) and save it again",
                layout.data_sheet,
            )
        )
    if columns is not None and columns > MAX_COLUMNS:
        problems.append(
            Problem(
                f"The sheet says it has {columns:,} columns; the template has {len(layout.columns)}. "
                "Delete the columns to the right of the template's and save it again",
                layout.data_sheet,
            )
        )
    return problems


def _merged_ranges(workbook, sheet) -> list[str]:
    # openpyxl's read-only sheets do not report merged cells; they are listed in the
    # sheet's XML after its rows, so the XML is scanned for them.
    path = getattr(sheet, "_worksheet_path", None)
    archive = getattr(workbook, "_archive", None)
    if path is None or archive is None:
        return []
    found, tail = [], b""
    with archive.open(path) as source:
        while chunk := source.read(1 << 20):
            text = tail + chunk
            found.extend(
                m.group(1).decode() + (":" + m.group(2).decode() if m.group(2) else "") for m in _MERGE.finditer(text)
            )
            tail = text[-200:]
    return list(dict.fromkeys(found))


def _check_header(cells, layout: Layout) -> list[Problem]:
    problems = []
    sheet = layout.data_sheet
    titles = [cell.value for cell in cells]
    for position, column in enumerate(layout.columns):
        letter = get_column_letter(position + 1)
        found = titles[position] if position < len(titles) else None
        if found is None or _plain(found) != _plain(column.title):
            shown = f"“{found}”" if found not in (None, "") else "empty"
            problems.append(
                Problem(
                    f"Column {letter} should be headed “{column.title}” but is {shown}: a column is missing, "
                    "renamed or out of order. Keep the template's columns as they are",
                    sheet,
                    1,
                    letter,
                    column.title,
                )
            )
    for position in range(len(layout.columns), len(titles)):
        if titles[position] not in (None, ""):
            letter = get_column_letter(position + 1)
            problems.append(
                Problem(
                    f"Column {letter} (“{titles[position]}”) is not in the template: delete the column",
                    sheet,
                    1,
                    letter,
                )
            )
    return problems


def read_rows(upload, layout: Layout) -> list[Row]:
    """The data rows of an uploaded template, each cell a plain value (text,
    number, date or None). Raise Refused listing every problem found."""
    workbook = _open(upload)
    try:
        return _read(workbook, layout)
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, SyntaxError, ValueError, TypeError):
        # A part that is listed but damaged (bad checksum, truncated XML) fails only when read.
        raise Refused(
            [
                Problem(
                    "The file is damaged: part of it cannot be read. "
                    "Save it again from Excel as an Excel Workbook (.xlsx)"
                )
            ]
        ) from None
    finally:
        workbook.close()


def _read(workbook, layout: Layout) -> list[Row]:
    problems = _check_sheets(workbook, layout)
    if problems:
        raise Refused(problems)
    sheet = workbook[layout.data_sheet]
    problems = _check_claimed_size(sheet, layout)
    if problems:
        raise Refused(problems)
    width = len(layout.columns)
    rows: list[Row] = []
    extra_columns: dict[int, int] = {}
    # Whatever the sheet claims, read no further than one row past the limit.
    cells_by_row = sheet.iter_rows(min_row=1, max_row=MAX_DATA_ROWS + 2, max_col=MAX_COLUMNS)
    header = next(cells_by_row, ())
    problems = _check_header(header, layout)
    if problems:
        raise Refused(problems)
    for number, cells in enumerate(cells_by_row, start=2):
        if all(cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()) for cell in cells):
            continue
        if number > MAX_DATA_ROWS + 1:
            problems.append(
                Problem(
                    f"The sheet has more than {MAX_DATA_ROWS:,} rows of data, the most one import can take: "
                    "split it into smaller files",
                    layout.data_sheet,
                    number,
                )
            )
            break
        row = Row(number)
        for position, cell in enumerate(cells):
            value = cell.value
            if position >= width:
                if value is not None and not (isinstance(value, str) and not value.strip()):
                    extra_columns.setdefault(position, number)
                continue
            column = layout.columns[position]
            letter = get_column_letter(position + 1)
            if cell.data_type == "f":
                problems.append(
                    Problem(
                        f"The cell holds a formula ({str(value)[:40]}): type the value itself. "
                        "To keep the figures, copy the column and use Paste Special > Values",
                        layout.data_sheet,
                        number,
                        letter,
                        column.title,
                    )
                )
                continue
            if cell.data_type == "e":
                problems.append(
                    Problem(
                        f"The cell holds the error {value}: type the value itself",
                        layout.data_sheet,
                        number,
                        letter,
                        column.title,
                    )
                )
                continue
            if isinstance(value, str):
                value = value.strip() or None
            row.values[column.key] = value
        rows.append(row)
    for position, number in sorted(extra_columns.items()):
        letter = get_column_letter(position + 1)
        problems.append(
            Problem(
                f"Column {letter} has data but is not one of the template's columns: delete it",
                layout.data_sheet,
                number,
                letter,
            )
        )
    merged = _merged_ranges(workbook, sheet)
    if merged:
        shown = ", ".join(merged[:5]) + (f" and {len(merged) - 5} more" if len(merged) > 5 else "")
        problems.append(
            Problem(
                f"The sheet has merged cells ({shown}): unmerge them so that every value sits in its own cell",
                layout.data_sheet,
            )
        )
    if problems:
        raise Refused(problems)
    return rows


# Writing the template


def build_template(
    layout: Layout,
    *,
    title: str,
    instructions: list[str],
    rows: list[list],
    lists: dict[str, list[str]],
    reference: list[tuple[str, ...]] | None = None,
) -> openpyxl.Workbook:
    """The workbook a user downloads: instructions, the data sheet filled in with
    ``rows`` and room for more, and the hidden lists behind its drop-downs."""
    workbook = new_workbook()
    guide = workbook.create_sheet(INSTRUCTIONS)
    xlsx_text(guide.cell(row=1, column=1), title)
    guide["A1"].font = Font(bold=True, size=14)
    line = 3
    wrap = Alignment(wrap_text=True, vertical="top")
    for paragraph in instructions:
        cell = guide.cell(row=line, column=1)
        xlsx_text(cell, paragraph)
        cell.alignment = wrap
        line += 1
    line += 1
    guide.cell(row=line, column=1, value="The columns").font = Font(bold=True, size=12)
    line += 1
    for letter_number, column in enumerate(layout.columns, start=1):
        cell = guide.cell(row=line, column=1)
        need = "" if column.required else " (optional)"
        xlsx_text(cell, f"{get_column_letter(letter_number)}. {column.title}{need}: {column.hint}")
        cell.alignment = wrap
        line += 1
    if reference:
        line += 1
        for values in reference:
            for position, value in enumerate(values, start=1):
                xlsx_text(guide.cell(row=line, column=position), value)
            if values is reference[0]:
                for position in range(1, len(values) + 1):
                    guide.cell(row=line, column=position).font = Font(bold=True)
            line += 1
    guide.column_dimensions["A"].width = 110
    guide.column_dimensions["B"].width = 50
    guide.column_dimensions["C"].width = 40

    data = workbook.create_sheet(layout.data_sheet)
    for position, column in enumerate(layout.columns, start=1):
        cell = data.cell(row=1, column=position, value=column.title)
        cell.font = Font(bold=True)
        data.column_dimensions[get_column_letter(position)].width = column.width
    for number, values in enumerate(rows, start=2):
        for position, (column, value) in enumerate(zip(layout.columns, values, strict=True), start=1):
            cell = data.cell(row=number, column=position)
            xlsx_text(cell, value)
            if column.kind == "money" and value is not None:
                cell.number_format = MONEY_FORMAT
            elif column.kind == "date" and value is not None:
                cell.number_format = DATE_FORMAT
    data.freeze_panes = "A2"
    last = min(len(rows) + 1 + SPARE_ROWS, MAX_DATA_ROWS + 1)

    choices = workbook.create_sheet(LISTS)
    choices.sheet_state = "hidden"
    ranges = {}
    for position, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(position)
        xlsx_text(choices.cell(row=1, column=position), name)
        for number, value in enumerate(values, start=2):
            xlsx_text(choices.cell(row=number, column=position), value)
        if values:
            ranges[name] = f"{LISTS}!${letter}$2:${letter}${len(values) + 1}"
    for position, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(position)
        area = f"{letter}2:{letter}{last}"
        if column.list_name and column.list_name in ranges:
            check = DataValidation(
                type="list",
                formula1=ranges[column.list_name],
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.title,
                error=f"Choose the {column.title.lower()} from the list",
            )
        elif column.kind == "money":
            check = DataValidation(
                type="decimal",
                operator="greaterThanOrEqual",
                formula1="0",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.title,
                error="Enter an amount in pounds of £0 or more, as a number",
            )
        elif column.kind == "date":
            check = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="1",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.title,
                error="Enter a date, such as 31/03/2017",
            )
        else:
            continue
        data.add_data_validation(check)
        check.add(area)
    workbook.active = workbook.sheetnames.index(INSTRUCTIONS)
    return workbook

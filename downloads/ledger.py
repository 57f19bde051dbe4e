"""The ledger download: every payment, recovery and spend-return line the user may see
(grants.ledger's one order: by date, a spend return dated by its quarter's last day and
listed before a payment of the same day), as rows for a CSV or an Excel file.

A national ledger is a few hundred thousand lines, so the rows are not built as
``grants.ledger.LedgerLine`` objects: two queries (payments, and spend returns) are
read as plain tuples from server-side cursors, a chunk at a time, and merged in date
order; the text that repeats on every line of an allocation (its project, grant,
recipient and year) is read once per grant and organisation and looked up, so a line
costs the database a narrow sort and Python a few dictionary lookups, and memory
stays flat however long the ledger is. For a CSV the database writes the money out
as text and each day is written out once. CSV goes through Python's ``csv`` writer,
Excel through openpyxl's write-only mode. A recovery's amount is negative
(``grants.money.NET_AMOUNT``), so the column adds up to the net paid every page shows.
"""

import csv
import operator
from collections.abc import Callable, Iterator
from itertools import chain

from django.db import connections
from django.db.models import BigIntegerField, ExpressionWrapper, F, Func, TextField
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.exports import (
    FORMULA_STARTS,
    ILLUSTRATIVE_COLUMN,
    ILLUSTRATIVE_COLUMN_NOTE,
    illustrative_cell,
    safe_cell,
    xlsx_write_only_value,
)
from core.workbook import DATE_FORMAT, MONEY_FORMAT
from grants import money
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Organisation, Payment, SpendReturn

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
KIND_LABELS = {Payment.Kind.PAYMENT: "Payment", Payment.Kind.RECOVERY: "Recovery"}
SPEND_RETURN = "Spend return"
ILLUSTRATIVE_CELLS = {False: illustrative_cell(False), True: illustrative_cell(True)}
MONEY_COLUMNS = {9, 10}  # zero-based: amount and forecast
# Columns whose text came from a user and could start a formula: the rest are dates,
# numbers, or words this module wrote.
TYPED_TEXT_COLUMNS = (2, 3, 4, 5, 6, 11)
DATE_COLUMNS = {0}
WIDTHS = [12, 14, 14, 40, 40, 36, 18, 12, 8, 16, 16, 18, 10]
CHUNK = 5_000  # lines fetched at a time from a server-side cursor
# Spend returns in year, quarter and id order, sorted on one integer (ids stay below a trillion):
# PostgreSQL sorts a national ledger's returns in half the time it takes over the three columns,
# most of whose values tie.
_QUARTER_THEN_PK = ExpressionWrapper(
    (F("allocation__financial_year") * 10 + F("quarter")) * 10**12 + F("pk"), output_field=BigIntegerField()
)


def _scoped(user):
    """The user's allocations, payments and spend returns, all through the user's allocations
    (``Allocation.objects.for_user``, which the payments' and returns' own ``for_user`` use).

    For the whole programme every row is the user's: the rows are read with no filter, not
    through a semi-join that hashes every allocation's id to drop none. Anyone else's
    allocations (a council's few hundred) are read once, by id, so the scope's joins run in
    one query rather than in each of the ledger's."""
    allocations = Allocation.objects.for_user(user)
    if not allocations.query.has_filters():
        return allocations, Payment.objects.all(), SpendReturn.objects.all()
    ids = list(allocations.order_by().values_list("pk", flat=True))
    if not ids:
        return Allocation.objects.none(), Payment.objects.none(), SpendReturn.objects.none()
    return (
        Allocation.objects.filter(pk__in=ids),
        Payment.objects.filter(allocation__in=ids),
        SpendReturn.objects.filter(allocation__in=ids),
    )


def ledger_size(user, at_most: int | None = None) -> int:
    """The number of lines in the user's ledger: both counts in one query. Given ``at_most``, counting stops
    past it and the answer is then ``at_most + 1``, "more than that": for a page that only needs to know which
    side of a limit the ledger is, without counting a national ledger's million lines on every visit."""
    _, payments, returns = _scoped(user)
    if payments.query.is_empty():
        return 0
    payments, returns = payments.order_by().values("pk"), returns.order_by().values("pk")
    if at_most is not None:
        payments, returns = payments[: at_most + 1], returns[: at_most + 1]
    payments_sql, payments_params = payments.query.sql_with_params()
    returns_sql, returns_params = returns.query.sql_with_params()
    with connections[payments.db].cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM ({payments_sql}) p) + (SELECT COUNT(*) FROM ({returns_sql}) r)",
            (*payments_params, *returns_params),
        )
        size = cursor.fetchone()[0]
    return size if at_most is None else min(size, at_most + 1)


def _cursor_chunks(queryset, money_columns: tuple[int, ...]) -> Iterator[list[tuple]]:
    """The rows of a ``values_list`` queryset as the database driver gives them, a chunk at a
    time: no model instances and no per-row converters. On PostgreSQL they come through a
    server-side cursor. SQLite has no decimal type and gives money back as a float or an
    integer, so there (only) its ``money_columns`` are made pennies again."""
    connection = connections[queryset.db]
    sql, params = queryset.query.sql_with_params()
    pennies = connection.vendor == "sqlite"
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield [_to_pennies(row, money_columns) for row in rows] if pennies else rows


def _to_pennies(row: tuple, columns: tuple[int, ...]) -> tuple:
    row = list(row)
    for index in columns:
        if row[index] is not None:
            row[index] = money.to_penny(row[index])
    return tuple(row)


def ledger_rows(user) -> "LedgerRows":
    """The user's ledger lines, in grants.ledger's order, as rows of the file."""
    return LedgerRows(user)


class LedgerRows:
    """The user's ledger lines as tuples of dates, text, Decimal money and None for an
    empty cell, read afresh each time they are iterated.

    ``for_csv()`` gives the same rows with the text a user typed that could start a
    formula made safe for a spreadsheet (core.exports.safe_cell). Most of that text is a
    project's, grant's or recipient's, so it is made safe once for each of them, not once
    per line; the Excel file keeps the text as typed and stores it as text instead."""

    def __init__(self, user):
        self.allocations, self.payments, self.spend_returns = _scoped(user)

    def __iter__(self) -> Iterator[tuple]:
        return self._lines(for_csv=False)

    def for_csv(self) -> Iterator[tuple]:
        return self._lines(for_csv=True)

    def _lines(self, *, for_csv: bool) -> Iterator[tuple]:
        if self.payments.query.is_empty():
            return
        text = safe_cell if for_csv else None
        grants, recipients = self._names(text)
        years = _Labels(lambda start_year: str(FinancialYear(start_year)))
        # A CSV's cells are text: its money is written out by the database, as cheaply as it reads
        # it, and each day once; anyone else gets dates and Decimal money.
        days = _Labels(str if for_csv else lambda day: day)
        amount = _MoneyText if for_csv else (lambda expression: expression)
        pennies = () if for_csv else (2,)
        illustrative, kinds = ILLUSTRATIVE_CELLS, KIND_LABELS
        formula_first = _FORMULA_FIRST if for_csv else ()

        def payment_line(paid_on, kind, paid, reference, marked, grant, recipient, start_year):
            project_reference, project_title, grant_title = grants[grant]
            name, org_id = recipients[recipient]
            if reference[:1] in formula_first:
                reference = text(reference)
            return (
                days[paid_on],
                kinds[kind],
                project_reference,
                project_title,
                grant_title,
                name,
                org_id,
                years[start_year],
                None,
                paid,
                None,
                reference,
                illustrative[marked],
            )

        paid = chain.from_iterable(
            _cursor_chunks(
                self.payments.order_by("paid_on", "pk").values_list(
                    "paid_on",
                    "kind",
                    amount(money.NET_AMOUNT),
                    "reference",
                    "illustrative",
                    "allocation__grant",
                    "allocation__recipient",
                    "allocation__financial_year",
                ),
                money_columns=pennies,
            )
        )
        returned = _cursor_chunks(
            self.spend_returns.order_by(_QUARTER_THEN_PK).values_list(
                "allocation__financial_year",
                "quarter",
                amount(F("spent")),
                amount(F("forecast")),
                "illustrative",
                "allocation__grant",
                "allocation__recipient",
            ),
            money_columns=() if for_csv else (2, 3),
        )
        # Two streams in date order merged into one: the payments dated before a spend return's
        # quarter end go out before it, those of the same day after it. Returns come in year and
        # quarter order, so a quarter's date and labels change only between quarters.
        payment = next(paid, None)
        current = day = shown_day = quarter = year = None
        for chunk in returned:
            for start_year, number, spent, forecast, marked, grant, recipient in chunk:
                if (start_year, number) != current:
                    current = (start_year, number)
                    day = FinancialYear(start_year).quarter(number).end
                    shown_day, quarter, year = days[day], QUARTER_LABELS[number], years[start_year]
                while payment is not None and payment[0] < day:
                    yield payment_line(*payment)
                    payment = next(paid, None)
                project_reference, project_title, grant_title = grants[grant]
                name, org_id = recipients[recipient]
                yield (
                    shown_day,
                    SPEND_RETURN,
                    project_reference,
                    project_title,
                    grant_title,
                    name,
                    org_id,
                    year,
                    quarter,
                    spent,
                    forecast,
                    "",
                    illustrative[marked],
                )
        while payment is not None:
            yield payment_line(*payment)
            payment = next(paid, None)

    def _names(self, text):
        """Each grant's (project reference, project title, grant title) and each recipient's
        (name, org-id), through ``text`` if given: a few thousand for a national programme,
        however many lines it has."""
        text = text or (lambda value: value)
        grants = {
            pk: (text(reference), text(title), text(grant_title))
            for pk, reference, title, grant_title in Grant.objects.filter(
                pk__in=self.allocations.values("grant")
            ).values_list("pk", "project__reference", "project__title", "title")
        }
        recipients = {
            pk: (text(name), text(org_id))
            for pk, name, org_id in Organisation.objects.filter(
                pk__in=self.allocations.values("recipient")
            ).values_list("pk", "name", "org_id")
        }
        return grants, recipients


class _MoneyText(Func):
    """An amount of money as text with its two places (12345.67, -345.67), as a CSV shows it,
    made by the database: reading it is cheaper than reading a Decimal, and writing it than
    writing one out. PostgreSQL's numeric(14,2) keeps its places as text; SQLite keeps money
    as a float or an integer, so it is printed to two places there."""

    output_field = TextField()
    template = "CAST(%(expressions)s AS TEXT)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # Doubled twice: once for this template, once for the database driver's parameters.
        return self.as_sql(compiler, connection, template="printf('%%%%.2f', %(expressions)s)", **extra_context)


class _Labels(dict):
    """A label worked out once per key (a financial year, a day), not once per line."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        self[key] = label = self.make(key)
        return label


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
    writer.writerows(_counted(_csv_safe(rows), progress))


_typed_text = operator.itemgetter(*TYPED_TEXT_COLUMNS)
_FORMULA_FIRST = frozenset(FORMULA_STARTS)  # single characters, so a text's first is looked up in one step


def _csv_safe(rows) -> Iterator:
    """The rows with any user-typed text that could start a formula made safe: the ledger's
    own rows made so once per grant and recipient, any other rows checked one by one."""
    return rows.for_csv() if isinstance(rows, LedgerRows) else _checked(rows)


def _checked(rows) -> Iterator:
    """Each row checked for such text, and copied only when it has some, which almost none has."""
    typed_text, formula_first = _typed_text, _FORMULA_FIRST
    for row in rows:
        for value in typed_text(row):
            if value[:1] in formula_first:
                row = list(row)
                for index in TYPED_TEXT_COLUMNS:
                    row[index] = safe_cell(row[index])
                break
        yield row


class _Echo:
    """A file-like object whose write returns what it was given, for streaming."""

    def write(self, value):
        return value


def stream_csv(rows) -> Iterator[str]:
    """The CSV a line at a time: the byte order mark, the header, then one string per row."""
    writerow = csv.writer(_Echo()).writerow
    yield "\ufeff"
    yield writerow(HEADER)
    for row in _csv_safe(rows):
        yield writerow(row)


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


def _xlsx_row(sheet, row) -> list:
    """Cells only where they are needed (core.exports.xlsx_write_only_value): money and dates carry a number
    format, and text that would read as a formula is stored as text. Plain values go as they are."""
    row = list(row)
    row[0] = xlsx_write_only_value(sheet, row[0], DATE_FORMAT)
    for index in MONEY_COLUMNS:
        row[index] = xlsx_write_only_value(sheet, row[index], MONEY_FORMAT)
    for index in TYPED_TEXT_COLUMNS:
        row[index] = xlsx_write_only_value(sheet, row[index])
    return row

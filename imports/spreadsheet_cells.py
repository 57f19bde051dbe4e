"""Converting one cell of an uploaded template to what its column asks for: a number or
an amount for money, a date for a date, a financial year, a quarter, or text. Text in a
money, number or date cell is read by the same rules as a form's field (core.fields), so
"£1,234.50" typed as text is £1,234.50, and "1e3" is refused in both. Reading the rows
out of the workbook is imports/spreadsheet.py."""

import datetime as dt
import re
from decimal import Decimal

from core.fields import Unreadable, check_date, check_money, check_number, parse_date, parse_money, parse_number
from grants.financial_year import FinancialYear
from imports.spreadsheet import Layout, Problem, Row, problem_at

# What a cell's message calls its value; the problem names the column.
MONEY_NOUN, NUMBER_NOUN, DATE_NOUN = "the amount", "the value", "the date"

_QUARTER = re.compile(r"^q?([1-4])$", re.IGNORECASE)


# Converting one cell's value to what its column asks for. Each returns the
# value or raises ValueError with a message for the user.


def _cell_decimal(value) -> Decimal:
    """A numeric cell's value, exactly. str() of a float is its shortest exact decimal
    form (1234.5, not 1234.49999...); inf and nan become Decimal's, refused as not finite."""
    return Decimal(value) if isinstance(value, int) else Decimal(str(value))


def _refused(error: Unreadable) -> ValueError:
    return ValueError(error.message)


def to_money(value) -> Decimal | None:
    """Pounds and pence, £0 or more: a number, or text as a form takes it ("£25,000")."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("Enter an amount in pounds, as a number")
    if isinstance(value, dt.date):
        raise ValueError("The cell holds a date: enter an amount in pounds, as a number")
    try:
        if isinstance(value, str):
            return parse_money(value, noun=MONEY_NOUN, min_value=Decimal(0))
        if isinstance(value, (int, float)):
            return check_money(_cell_decimal(value), noun=MONEY_NOUN, min_value=Decimal(0))
    except Unreadable as error:
        raise _refused(error) from None
    raise ValueError("Enter an amount in pounds, as a number")


def to_number(value, places: int = 4) -> Decimal | None:
    """A figure with at most ``places`` decimal places: a number, or text as a form takes it."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, dt.date):
        raise ValueError("Enter a number")
    try:
        if isinstance(value, str):
            return parse_number(value, noun=NUMBER_NOUN, places=places)
        if isinstance(value, (int, float)):
            return check_number(_cell_decimal(value), noun=NUMBER_NOUN, places=places)
    except Unreadable as error:
        raise _refused(error) from None
    raise ValueError("Enter a number")


def to_date(value) -> dt.date | None:
    """A date cell, or text as a form takes it (2017-03-31 or 31/3/2017), within the
    plausible span the forms' dates have."""
    if value is None:
        return None
    try:
        if isinstance(value, dt.datetime):
            if value.time() != dt.time(0):
                raise ValueError("Enter a date without a time")
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        elif isinstance(value, str):
            day = parse_date(value, noun=DATE_NOUN)
        else:
            raise ValueError("The cell holds a number, not a date: enter a date such as 31/03/2017 in a date cell")
        return check_date(day, noun=DATE_NOUN) if day is not None else None
    except Unreadable as error:
        raise _refused(error) from None


def to_year(value) -> FinancialYear | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return FinancialYear.parse(value)
        except ValueError:
            pass
    shown = value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else value
    raise ValueError(f"“{shown}” is not a financial year: choose one from the list, like 2016-17")


def to_quarter(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (1, 2, 3, 4):
        return int(value)
    if isinstance(value, str) and (match := _QUARTER.match(value.strip())):
        return int(match.group(1))
    raise ValueError(f"“{value}” is not a quarter: choose Q1, Q2, Q3 or Q4 from the list")


def to_text(value, max_length: int = 0) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        text = value.strftime("%d/%m/%Y")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    if max_length and len(text) > max_length:
        raise ValueError(f"The text is {len(text):,} characters long; it must be {max_length:,} or fewer")
    return text


CONVERTERS = {"money": to_money, "number": to_number, "date": to_date, "year": to_year, "quarter": to_quarter}


def convert(layout: Layout, row: Row, problems: list[Problem]) -> dict:
    """The row's cells converted to what their columns ask for. A cell that is
    wrong adds a problem and is left out, so the caller can still check the rest."""
    values = {}
    for column in layout.columns:
        raw = row.values.get(column.key)
        try:
            if column.kind == "text":
                value = to_text(raw, column.max_length)
            elif column.kind == "number":
                value = to_number(raw, column.places)
            else:
                value = CONVERTERS[column.kind](raw)
        except ValueError as error:
            problems.append(problem_at(layout, row.number, column.key, str(error)))
            continue
        if column.required and value in (None, ""):
            problems.append(problem_at(layout, row.number, column.key, f"Enter the {column.title.lower()}"))
            continue
        values[column.key] = value
    return values

"""Reading the demo's data files (demo/data/): JSON, or CSV for a flat, long table.

A file holds only what JSON (or CSV) can say; a schema, written next to the table in the
code that uses it, says how each value is read back to the one the code works with:

- a day is "YYYY-MM-DD" (DATE), read to a datetime.date;
- money is a string of pounds and pence, "1234.50" (MONEY), read to a Decimal; a whole
  number of pounds that the code passes to gbp() when it uses it is a JSON integer (INT),
  read to an int. A JSON number with a decimal point is refused, so no float holds money;
- a choice is its stored value ("closing"), read to the member of its choices class
  (the class itself is the schema: Project.Status);
- a pair, or any tuple, is an object of named fields (Fields), read to a tuple in the
  order the schema names them;
- an object keyed by numbers (financial years, quarters) has them as strings in JSON
  (Map(INT, ...)).

A record's schema is a dict: a field the schema does not name is an error (a typo is not
silently dropped); a field the record leaves out stays out. A key starting with "_" is a
note for the reader ("_note", "_source": where a figure comes from, or that it is
illustrative) and is dropped on reading.
"""

import csv
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def read(name: str, schema):
    """The data file demo/data/<name>, read by ``schema``."""
    path = DATA / name
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as file:
            raw = list(csv.DictReader(file))
    else:
        raw = json.loads(path.read_text(encoding="utf-8"), parse_float=_no_float)
    try:
        return decode(raw, schema)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"demo/data/{name}: {error}") from error


def decode(raw, schema):
    if isinstance(schema, dict):
        _check_keys(raw, schema)
        return {key: decode(value, schema[key]) for key, value in raw.items() if not key.startswith("_")}
    if isinstance(schema, list):
        (item,) = schema
        if not isinstance(raw, list):
            raise TypeError(f"expected a list, not {raw!r}")
        return [decode(value, item) for value in raw]
    return schema(raw)


def _check_keys(raw, names) -> None:
    if not isinstance(raw, dict):
        raise TypeError(f"expected an object, not {raw!r}")
    unknown = [key for key in raw if not key.startswith("_") and key not in names]
    if unknown:
        raise KeyError(f"unknown field {', '.join(unknown)} in {raw!r}")


def _no_float(text: str):
    raise ValueError(f'{text}: write a decimal as a string (money as "1234.50"), not as a JSON number')


def _matching(pattern: str, what: str):
    regex = re.compile(pattern)

    def check(raw) -> str:
        if not isinstance(raw, str) or not regex.fullmatch(raw):
            raise ValueError(f"expected {what}, not {raw!r}")
        return raw

    return check


_day = _matching(r"\d{4}-\d{2}-\d{2}", 'a day "YYYY-MM-DD"')
_pounds_and_pence = _matching(r"-?\d+\.\d{2}", 'money "1234.50"')
_decimal = _matching(r"-?\d+\.\d+", 'a decimal "0.25"')
_digits = _matching(r"-?\d+", "a whole number")


def DATE(raw) -> dt.date:
    return dt.date.fromisoformat(_day(raw))


def MONEY(raw) -> Decimal:
    return Decimal(_pounds_and_pence(raw))


def DECIMAL(raw) -> Decimal:
    """A decimal other than money (a share), written as a string: "0.25"."""
    return Decimal(_decimal(raw))


def INT(raw) -> int:
    # A CSV cell, or a JSON key, is a string of digits.
    if isinstance(raw, str):
        return int(_digits(raw))
    if type(raw) is not int:
        raise TypeError(f"expected a whole number, not {raw!r}")
    return raw


def STR(raw) -> str:
    if not isinstance(raw, str):
        raise TypeError(f"expected a string, not {raw!r}")
    return raw


def BOOL(raw) -> bool:
    if not isinstance(raw, bool):
        raise TypeError(f"expected true or false, not {raw!r}")
    return raw


def Nullable(schema):
    """A value that may be null (None)."""
    return lambda raw: None if raw is None else decode(raw, schema)


def Fields(*fields: tuple[str, object]):
    """A tuple written as an object of named fields: Fields(("day", DATE), ("rating", Project.Rag))."""
    names = [name for name, _ in fields]

    def read_tuple(raw) -> tuple:
        _check_keys(raw, names)
        missing = [name for name in names if name not in raw]
        if missing:
            raise KeyError(f"missing field {', '.join(missing)} in {raw!r}")
        return tuple(decode(raw[name], schema) for name, schema in fields)

    return read_tuple


def Map(key_schema, value_schema):
    """An object whose keys are read too: Map(INT, MONEY) reads {"2014": "1.00"} to {2014: Decimal("1.00")}."""

    def read_map(raw) -> dict:
        if not isinstance(raw, dict):
            raise TypeError(f"expected an object, not {raw!r}")
        return {
            decode(key, key_schema): decode(value, value_schema)
            for key, value in raw.items()
            if not key.startswith("_")
        }

    return read_map

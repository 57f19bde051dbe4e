"""The 360Giving publication as a flat spreadsheet: one row per grant, with the
standard's column titles.

Titles are made from the ``title`` of each field in the grant schema, joined
with colons, as 360Giving's spreadsheet template and its converter
(flatten-tool) name them: "Recipient Org:Identifier", "Planned Dates:Start Date".
A list holding more than one item anywhere in the file is numbered from 0
("Beneficiary Location:0:Geographic Code", "Beneficiary Location:1:...", as
GrantNav writes them); a list the schema lets "roll up" that never holds more
than one item has no number ("Recipient Org:Location:0:Name"). A list of plain values (Related Activity) is one cell,
separated by semicolons. Columns follow the schema's order of fields.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from functools import cache

from core.workbook import Column, new_workbook, write_table
from publish.schema import GRANT_SCHEMA, schema_json

SHEET_TITLE = "grants"
WIDE = {"Title": 40, "Description": 60, "Recipient Org:Name": 36, "Funding Org:Name": 30}


@cache
def _grant_schema() -> dict:
    return schema_json(GRANT_SCHEMA)


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = _grant_schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _leaves(value, path=()):
    """(path, value) for every cell-sized value of a record; a path mixes keys and list indexes."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, path + (key,))
    elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
        for index, item in enumerate(value):
            yield from _leaves(item, path + (index,))
    elif isinstance(value, list):
        yield path, ";".join(str(item) for item in value)
    else:
        yield path, value


def _list_paths(path) -> list[tuple]:
    """The unnumbered path of each list along ``path``: ('beneficiaryLocation',) for its items."""
    return [
        tuple(part for part in path[:position] if isinstance(part, str))
        for position, part in enumerate(path)
        if isinstance(part, int)
    ]


def _column(path, longest: dict) -> tuple[tuple, str]:
    """(sort key, title) of a leaf's column, from the schema."""
    node, key, titles = _resolve(_grant_schema()), [], []
    for position, part in enumerate(path):
        if isinstance(part, int):
            unnumbered = tuple(item for item in path[:position] if isinstance(item, str))
            rolled_up = part == 0 and longest[unnumbered] <= 1 and "rollUp" in node
            if not rolled_up:
                titles.append(str(part))
            key.append(part)
            node = _resolve(node["items"])
        else:
            properties = node["properties"]
            key.append(list(properties).index(part))
            node = _resolve(properties[part])
            titles.append(properties[part].get("title") or node["title"])
    return tuple(key), ":".join(titles)


def _kind(value) -> str:
    if isinstance(value, Decimal):
        return "money"
    if isinstance(value, bool):
        return "text"
    if isinstance(value, int):
        return "number"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "text"


def grants_sheet(workbook, records: list[dict]) -> int:
    """Write the ``grants`` sheet; return the number of grant rows."""
    flat = [dict(_leaves(record)) for record in records]
    longest = defaultdict(int)
    for row in flat:
        for path in row:
            for list_path, index in zip(
                _list_paths(path), (part for part in path if isinstance(part, int)), strict=True
            ):
                longest[list_path] = max(longest[list_path], index + 1)
    columns = {}
    for row in flat:
        for path, value in row.items():
            if path not in columns:
                columns[path] = (*_column(path, longest), _kind(value))
    ordered = sorted(columns.items(), key=lambda item: item[1][0])
    sheet = workbook.create_sheet(SHEET_TITLE)
    # No totals row: every row of a 360Giving sheet is read as a grant.
    return write_table(
        sheet,
        [Column(title, kind, width=WIDE.get(title, 22 if kind == "text" else 16)) for _, (_, title, kind) in ordered],
        ([row.get(path) for path, _ in ordered] for row in flat),
        totals_label=None,
    )


def workbook_for(records: list[dict]):
    workbook = new_workbook()
    grants_sheet(workbook, records)
    return workbook

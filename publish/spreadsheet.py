"""The 360Giving publication as a flat spreadsheet: one row per grant, with the
standard's column titles.

Titles are made from the ``title`` of each field in the grant schema, joined
with colons, as 360Giving's spreadsheet template and its converter
(flatten-tool) name them: "Recipient Org:Identifier", "Planned Dates:Start Date".
A list holding more than one item anywhere in the file is numbered from 0
("Beneficiary Location:0:Geographic Code", "Beneficiary Location:1:...", as
GrantNav writes them); a list the schema lets "roll up" that never holds more
than one item has no number ("Recipient Org:Location:0:Name"). A list of plain values (Related Activity) is one cell,
separated by semicolons. Columns follow the schema's order of fields; an
additional field (Illustrative values) comes after them, under its own title.

Date-times are text in UTC with their offset ("2016-07-01T09:00:00+00:00"):
a spreadsheet cell has no time zone, and 360Giving's converter reads a
date-time cell as UTC, so a London wall-clock time would be an hour off in
summer. Plain dates (Award Date, Planned Dates) stay real dates.

The workbook is written with every stamp in it (document properties, each
file in the zip) set to the publication's last change, not to the moment it
was written, so the same data always gives the same bytes.
"""

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from functools import cache
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl.writer.excel import ExcelWriter

from core.workbook import Column, new_workbook, write_table
from publish.schema import GRANT_SCHEMA, schema_json
from publish.threesixtygiving import utc_text

SHEET_TITLE = "grants"
WIDE = {"Title": 40, "Description": 60, "Recipient Org:Name": 36, "Funding Org:Name": 30, "Data Source": 40}
# Fields the standard does not define, which it allows: their titles, in the order of their columns.
ADDITIONAL_TITLES = {"illustrativeValues": "Illustrative values"}


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
    elif isinstance(value, dt.datetime):
        yield path, utc_text(value)
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
    """(sort key, title) of a leaf's column, from the schema; an additional field's after every field of the
    schema, with its own title."""
    node, key, titles = _resolve(_grant_schema()), [], []
    if path[0] not in node["properties"]:
        return (len(node["properties"]) + list(ADDITIONAL_TITLES).index(path[0]),), ADDITIONAL_TITLES[path[0]]
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
    if isinstance(value, dt.date):  # a date-time is text by now (_leaves)
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


class _StampedZip(ZipFile):
    """A zip whose every file carries one time: given a name, ``ZipFile.writestr`` stamps the file with the
    moment it is written, so two writes of the same workbook would differ."""

    def __init__(self, file, moment: dt.datetime):
        super().__init__(file, "w", ZIP_DEFLATED, allowZip64=True)
        self.stamp = moment.astimezone(dt.UTC).timetuple()[:6]

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = ZipInfo(zinfo_or_arcname, date_time=self.stamp)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16  # as ZipFile gives a file written by name
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl writes each worksheet to a temporary file and adds it by name, which stamps it with the
        # file's own time: read it and add it with the one time instead.
        with open(filename, "rb") as file:
            self.writestr(arcname or filename, file.read(), compress_type, compresslevel)


def workbook_bytes(records: list[dict], modified: dt.datetime) -> bytes:
    """The spreadsheet of ``records`` as an .xlsx file, stamped ``modified`` throughout: the same bytes each time."""
    workbook = workbook_for(records)
    # openpyxl's save_workbook would stamp the document as modified now; its writer keeps what is set here.
    workbook.properties.created = workbook.properties.modified = modified.astimezone(dt.UTC).replace(tzinfo=None)
    buffer = io.BytesIO()
    ExcelWriter(workbook, _StampedZip(buffer, modified)).save()
    return buffer.getvalue()

"""Load English children's services authorities from mySociety's file
(data/english-childrens-services-authorities.csv) into Organisation.

Loading is idempotent and matched by org-id, so a newer edition of the file
updates the authorities already held. Nothing is ever deleted: grants and
payments point at these rows.
"""

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from grants.models import GSS_CODE, Organisation

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "english-childrens-services-authorities.csv"

COLUMNS = [
    "gb_lae_code",
    "official_name",
    "short_name",
    "gss_code",
    "authority_type",
    "dfe_la_number",
    "start_date",
    "end_date",
    "replaced_by",
]
ORG_ID_PREFIX = "GB-LAE-"
LAE_CODE = re.compile(r"^[A-Z0-9]+$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Where a model field's validation error belongs in the file.
COLUMN_OF_FIELD = {
    "org_id": "gb_lae_code",
    "name": "official_name",
    "valid_from": "start_date",
    "valid_to": "end_date",
}


class AuthorityFileError(ValueError):
    """The file cannot be loaded; nothing has been written.

    Rows are numbered as in a spreadsheet: the header is row 1.
    """

    def __init__(self, message, *, row=None, column=None):
        self.row = row
        self.column = column
        where = [f"Row {row}"] if row else []
        if column:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


@dataclass
class LoadSummary:
    current: int = 0
    ended: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_file: int = 0
    changes: list[str] = field(default_factory=list)

    def __str__(self):
        text = (
            f"{self.current} current authorities, {self.ended} ended: "
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        )
        if self.not_in_file:
            text += f", {self.not_in_file} not in the file"
        return text


@dataclass
class _Row:
    number: int
    values: dict
    successors: list[str]

    @property
    def org_id(self):
        return self.values["org_id"]


def load_authorities(path=DEFAULT_PATH) -> LoadSummary:
    """Create or update one Organisation per row of the file.

    Raises AuthorityFileError, and writes nothing, if any row is bad.
    """
    rows = _read(Path(path))
    with transaction.atomic():
        return _write(rows)


def _read(path):
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            _check_columns(reader.fieldnames)
            rows = [_parse(number, record) for number, record in enumerate(reader, start=2)]
    except UnicodeDecodeError as error:
        raise AuthorityFileError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start}).") from None
    except csv.Error as error:
        raise AuthorityFileError(f"{path} is not a readable CSV file: {error}") from None
    if not rows:
        raise AuthorityFileError(f"{path} has a header but no authorities.")
    _check_across_rows(rows)
    return rows


def _check_columns(fieldnames):
    if not fieldnames:
        raise AuthorityFileError("The file is empty; expected a header row.", row=1)
    problems = []
    missing = [name for name in COLUMNS if name not in fieldnames]
    extra = [name for name in fieldnames if name not in COLUMNS]
    repeated = sorted({name for name in fieldnames if fieldnames.count(name) > 1})
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected column(s) {', '.join(extra)}")
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        raise AuthorityFileError(f"The header has {'; '.join(problems)}. Expected: {', '.join(COLUMNS)}.", row=1)


def _parse(number, record):
    # DictReader files surplus cells under the key None and fills missing ones with None.
    if None in record or None in record.values():
        raise AuthorityFileError(f"has the wrong number of cells; expected {len(COLUMNS)}.", row=number)
    cell = {name: value.strip() for name, value in record.items()}

    def error(column, message):
        return AuthorityFileError(message, row=number, column=column)

    code = cell["gb_lae_code"]
    if not LAE_CODE.match(code):
        raise error("gb_lae_code", f"{code!r} is not a GB-LAE code such as DBY.")
    if not cell["official_name"]:
        raise error("official_name", "is blank.")
    try:
        GSS_CODE(cell["gss_code"])
    except ValidationError:
        raise error("gss_code", f"{cell['gss_code']!r} is not a GSS code such as E10000007.") from None
    if cell["authority_type"] not in Organisation.AuthorityType.values:
        raise error(
            "authority_type",
            f"{cell['authority_type']!r} is not an authority type; "
            f"expected one of {', '.join(Organisation.AuthorityType.values)}.",
        )
    dfe_la_number = cell["dfe_la_number"]
    if dfe_la_number and not dfe_la_number.isdigit():
        raise error("dfe_la_number", f"{dfe_la_number!r} is not a whole number.")

    dates = {}
    for column in ("start_date", "end_date"):
        text = cell[column]
        if not text:
            dates[column] = None
            continue
        try:
            # fromisoformat alone would also take 20210401 and 2021-W13-4.
            if not ISO_DATE.match(text):
                raise ValueError
            dates[column] = dt.date.fromisoformat(text)
        except ValueError:
            raise error(column, f"{text!r} is not a date written YYYY-MM-DD.") from None
    if dates["start_date"] and dates["end_date"] and dates["end_date"] < dates["start_date"]:
        raise error("end_date", f"{dates['end_date']} is before the start date {dates['start_date']}.")

    successors = [part.strip() for part in cell["replaced_by"].split(",") if part.strip()]
    for successor in successors:
        if not LAE_CODE.match(successor):
            raise error("replaced_by", f"{successor!r} is not a GB-LAE code such as DBY.")
        if successor == code:
            raise error("replaced_by", f"{code} cannot replace itself.")

    return _Row(
        number=number,
        values={
            "org_id": ORG_ID_PREFIX + code,
            "kind": Organisation.Kind.LOCAL_AUTHORITY,
            "name": cell["official_name"],
            "short_name": cell["short_name"],
            "gss_code": cell["gss_code"],
            "authority_type": cell["authority_type"],
            "dfe_la_number": int(dfe_la_number) if dfe_la_number else None,
            "valid_from": dates["start_date"],
            "valid_to": dates["end_date"],
        },
        successors=[ORG_ID_PREFIX + successor for successor in successors],
    )


def _check_across_rows(rows):
    for column, key in (("gb_lae_code", "org_id"), ("gss_code", "gss_code")):
        first_seen = {}
        for row in rows:
            value = row.values[key]
            if value in first_seen:
                raise AuthorityFileError(
                    f"{value} is already on row {first_seen[value]}.", row=row.number, column=column
                )
            first_seen[value] = row.number

    in_file = {row.org_id for row in rows}
    # The GSS code is unique, so one held by an organisation outside the file would stop the load halfway.
    holders = Organisation.objects.filter(gss_code__in=[row.values["gss_code"] for row in rows]).exclude(
        org_id__in=in_file
    )
    held_elsewhere = {holder.gss_code: holder for holder in holders}
    for row in rows:
        holder = held_elsewhere.get(row.values["gss_code"])
        if holder:
            raise AuthorityFileError(
                f"{holder.gss_code} is already the GSS code of {holder.org_id} {holder.name}, which is not in the file.",
                row=row.number,
                column="gss_code",
            )

    named = {successor for row in rows for successor in row.successors} - in_file
    in_database = set(Organisation.objects.filter(org_id__in=named).values_list("org_id", flat=True))
    for row in rows:
        for successor in row.successors:
            if successor not in in_file and successor not in in_database:
                raise AuthorityFileError(
                    f"successor {successor.removeprefix(ORG_ID_PREFIX)} is neither in the file nor a known organisation.",
                    row=row.number,
                    column="replaced_by",
                )


def _write(rows):
    in_file = [row.org_id for row in rows]
    existing = {
        organisation.org_id: organisation
        for organisation in Organisation.objects.filter(org_id__in=in_file).prefetch_related("replaced_by")
    }
    organisations = {}
    differences = {}
    for row in rows:
        organisation = existing.get(row.org_id)
        if organisation is None:
            organisation = Organisation(**row.values)
            _save(organisation, row)
        else:
            differences[row.org_id] = [
                _describe(name, getattr(organisation, name), value)
                for name, value in row.values.items()
                if getattr(organisation, name) != value
            ]
            if differences[row.org_id]:
                for name, value in row.values.items():
                    setattr(organisation, name, value)
                _save(organisation, row)
        organisations[row.org_id] = organisation

    # A successor can come later in the file than the authority it replaces, so
    # successors are linked only once every row is saved.
    elsewhere = {successor for row in rows for successor in row.successors} - organisations.keys()
    organisations.update({o.org_id: o for o in Organisation.objects.filter(org_id__in=elsewhere)})
    for row in rows:
        organisation = organisations[row.org_id]
        wanted = set(row.successors)
        held = {o.org_id for o in organisation.replaced_by.all()} if row.org_id in existing else set()
        if held != wanted:
            organisation.replaced_by.set([organisations[org_id] for org_id in wanted])
            if row.org_id in existing:
                differences[row.org_id].append(f"replaced by {_codes(held)} -> {_codes(wanted)}")

    summary = LoadSummary()
    for row in rows:
        if row.values["valid_to"] is None:
            summary.current += 1
        else:
            summary.ended += 1
        name = organisations[row.org_id].name
        if row.org_id not in existing:
            summary.created += 1
            summary.changes.append(f"Created {row.org_id} {name}")
        elif differences[row.org_id]:
            summary.updated += 1
            summary.changes.append(f"Updated {row.org_id} {name}: {'; '.join(differences[row.org_id])}")
        else:
            summary.unchanged += 1

    absent = (
        Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY, org_id__startswith=ORG_ID_PREFIX)
        .exclude(org_id__in=in_file)
        .order_by("org_id")
    )
    for organisation in absent:
        summary.not_in_file += 1
        summary.changes.append(f"Not in the file, left as it is: {organisation.org_id} {organisation.name}")
    return summary


def _save(organisation, row):
    try:
        organisation.full_clean()
    except ValidationError as error:
        problems = "; ".join(
            " ".join(messages)
            if name == NON_FIELD_ERRORS
            else f"{COLUMN_OF_FIELD.get(name, name)}: {' '.join(messages)}"
            for name, messages in error.message_dict.items()
        )
        raise AuthorityFileError(f"{row.org_id} cannot be saved: {problems}", row=row.number) from None
    organisation.save()


def _codes(org_ids):
    return ", ".join(sorted(org_id.removeprefix(ORG_ID_PREFIX) for org_id in org_ids)) or "(none)"


def _describe(name, old, new):
    return f"{Organisation._meta.get_field(name).verbose_name} {_show(old)} -> {_show(new)}"


def _show(value):
    if value is None or value == "":
        return "(none)"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)

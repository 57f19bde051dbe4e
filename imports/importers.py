"""What each kind of import reads, how it matches rows to what is recorded, and
which service writes each row.

An importer turns the rows of a file into a plan: for every row, the record it
creates or changes and the values before and after. The services in
``grants.services`` (and ``evaluations.services``) write each planned change,
so every rule they keep holds for an import as for a form.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from grants.models import Organisation
from imports.spreadsheet import Layout, Problem, Row, problem_at

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


def pounds(amount) -> str:
    return "" if amount is None else f"£{Decimal(amount):,.2f}"


@dataclass
class Change:
    """One row of the file and what it does: create a record, change one, or nothing."""

    row: int
    label: str
    action: str
    # (what, before, after) for every value the row sets, shown as people read them.
    fields: list[tuple[str, str, str]]
    current: object = None
    data: dict = field(default_factory=dict)

    @property
    def differences(self):
        return [item for item in self.fields if item[1] != item[2]]


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0


class Importer:
    kind: str
    layout: Layout
    noun: str  # what one row is, for messages: "allocation"
    heading: str
    # Columns that carry the figures: a row with all of them blank is left out.
    value_keys: tuple[str, ...] = ()
    # Which column a service's refusal belongs to, by the field it names.
    field_columns: dict[str, str] = {}
    default_column: str = ""
    # What a batch of this import is for, kept on the batch.
    grant = None
    evaluation = None

    def __init__(self, user):
        self.user = user

    def plan(self, rows: list[Row]) -> Plan:
        raise NotImplementedError

    def write(self, change: Change) -> None:
        raise NotImplementedError

    def write_all(self, changes: list[Change]) -> list[Problem]:
        """Write the changes (none unchanged), each through its service; the refusals, as problems. The other
        rows go on after a refusal, so that every refusal is listed (the caller then undoes them all)."""
        problems = []
        for change in changes:
            try:
                self.write(change)
            except (ValidationError, PermissionDenied) as error:
                # The service rolled back its own savepoint.
                problems.extend(self.refusal(change, error))
        return problems

    def ordered(self, changes: list[Change]) -> list[Change]:
        return changes

    def workbook(self):
        raise NotImplementedError

    def blank(self, row: Row) -> bool:
        return all(row.values.get(key) is None for key in self.value_keys)

    def refusal(self, change: Change, error: Exception) -> list[Problem]:
        """A service's refusal, as problems on the row's cells."""
        if isinstance(error, PermissionDenied):
            return [problem_at(self.layout, change.row, self.default_column, str(error) or "You cannot change this")]
        if hasattr(error, "error_dict"):
            return [
                problem_at(self.layout, change.row, self.field_columns.get(name, self.default_column), message)
                for name, errors in error.error_dict.items()
                for message in ValidationError(errors).messages
            ]
        return [problem_at(self.layout, change.row, self.default_column, message) for message in error.messages]


def organisation_index(organisations) -> dict[str, list]:
    index: dict[str, list] = {}
    for organisation in organisations:
        for name in {organisation.name, organisation.org_id}:
            index.setdefault(name, []).append(organisation)
    return index


def unknown_organisation(name: str) -> str | None:
    if Organisation.objects.filter(Q(name=name) | Q(org_id=name)).exists():
        return None
    return f"“{name}” is not an organisation this service knows: choose one from the list"

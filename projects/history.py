"""The audit trail of money and status: who changed what, when, from what to what.

django-simple-history keeps a full copy of a programme, round, grant,
allocation, payment, spend return, project or milestone each time one is saved
(status moves included: ``Stateful.set_status`` saves through the model). This
module turns those copies into a readable list of changes for a project page:
one query per kind of record, the differences worked out here between each
copy and the one before it.

A busy project has hundreds of copies and its page shows a few dozen changes, so
the copies are read as plain rows (not model instances), compared column by column,
and the before and after of a change are written out in words only when a page
shows it.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property

from django.contrib.auth import get_user_model

from core.history import with_previous
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Payment, SpendReturn
from projects.models import Milestone, Project

# Bookkeeping that changes on every save and tells a reader nothing.
SKIPPED = {"id", "modified_at", "recorded_at", "submitted_at"}
# The columns of a copy that say who made it, when and why; the rest are the record's own.
COPY_COLUMNS = ("id", "history_date", "history_type", "history_change_reason", "history_user_id")
# What ``User.__str__`` reads of the person who made a copy.
WHO_COLUMNS = ("history_user__first_name", "history_user__last_name", "history_user__username")


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    """One change: ``differences`` are (model field, value before, value after), with the
    value before None for a new record; ``changes`` says them in words."""

    when: dt.datetime
    who: str
    subject: str
    action: str  # "Created", "Changed", or "First recorded" for a row loaded in bulk
    differences: list[tuple] = field(default_factory=list)
    reason: str = ""
    names: dict = field(default_factory=dict, repr=False)  # a foreign key's attname -> {key: label}

    @cached_property
    def changes(self) -> list[Change]:
        def shown(model_field, raw):
            return _shown(model_field, self.names.get(model_field.attname, {}).get(raw, raw))

        return [
            Change(
                model_field.verbose_name.capitalize(),
                "" if self.action != "Changed" else shown(model_field, old),
                shown(model_field, new),
            )
            for model_field, old, new in self.differences
        ]


def _shown(model_field, value) -> str:
    if value is None or value == "":
        return "none"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"£{value:,.2f}"
    if isinstance(value, dt.date):
        return f"{value:%-d %B %Y}"
    if isinstance(value, FinancialYear):
        return str(value)
    return str(value)


@cache
def _copies_of(model):
    """The manager of ``model``'s audit copies (its historical model's): reading ``model.history``
    builds a new manager class each time."""
    return model.history.model._default_manager


def _tracked_fields(model):
    return [f for f in model._meta.concrete_fields if f.name not in SKIPPED and not getattr(f, "generated", False)]


def _entries(model, ids, subject_for, names, on_create):
    """History entries for the rows of ``model`` whose keys are in ``ids``.

    ``names`` maps a foreign key's attname to {key: label}; ``on_create`` names the
    fields a new row shows (its foreign keys with a label are shown too). Each copy is a
    named tuple of the copy's columns and the record's tracked ones, which is all
    ``subject_for`` may read."""
    fields = _tracked_fields(model)
    created_fields = [f for f in fields if f.name in on_create or f.attname in names]
    own = [f.attname for f in fields if f.attname not in COPY_COLUMNS]
    records = (
        _copies_of(model)
        .filter(id__in=ids)
        .order_by("id", "history_date", "history_id")
        .values_list(*COPY_COLUMNS, *own, *WHO_COLUMNS, named=True)
    )
    people = {None: "The service"}  # the name of each person who made a copy, worked out once
    User = get_user_model()
    entries = []
    for previous, record in with_previous(records):
        reason = record.history_change_reason or ""
        if previous is None:
            shown = [(f, None, getattr(record, f.attname)) for f in created_fields]
            # A row loaded in bulk has no copy from its creation: its first copy is a later change.
            action = "Created" if record.history_type == "+" else "First recorded"
        else:
            shown = [
                (f, getattr(previous, f.attname), getattr(record, f.attname))
                for f in fields
                if getattr(previous, f.attname) != getattr(record, f.attname)
            ]
            if not shown:
                continue
            action = "Changed"
        if record.history_user_id not in people:
            person = User(
                first_name=record.history_user__first_name,
                last_name=record.history_user__last_name,
                username=record.history_user__username,
            )
            people[record.history_user_id] = str(person)
        who = people[record.history_user_id]
        entries.append(HistoryEntry(record.history_date, who, subject_for(record), action, shown, reason, names))
    return entries


def project_history(project, *, grants, allocations, payments, milestones) -> list[HistoryEntry]:
    """Every change to the project and the money and milestones the user may see on its
    page, newest first, each saying who made it.

    ``allocations``, ``payments`` and ``milestones`` are querysets already scoped to the
    user (the payments' and milestones' copies are chosen in a subquery of them);
    ``grants`` is the list the page shows.
    """
    allocation_list = list(allocations.select_related("recipient"))
    recipient_names = {a.recipient_id: a.recipient.display_name for a in allocation_list}
    allocation_label = {a.pk: f"{a.recipient.display_name}, {a.financial_year}" for a in allocation_list}
    grant_title = {g.pk: g.title for g in grants}
    names = {"recipient_id": recipient_names, "allocation_id": allocation_label, "grant_id": grant_title}

    # What a new record shows: the figures that matter, not every column.
    on_create = {
        Project: {"status", "rag"},
        Grant: {"amount_awarded", "status"},
        Allocation: {"resource", "capital"},
        Payment: {"kind", "amount", "paid_on", "advance_reason"},
        SpendReturn: {"spent", "forecast", "status"},
        Milestone: {"status", "payment_amount", "due_date"},
    }
    sources = [
        (Project, [project.pk], lambda r: "Project"),
        (Grant, list(grant_title), lambda r: f"Grant ‘{r.title}’"),
        (
            Allocation,
            list(allocation_label),
            lambda r: f"Allocation to {recipient_names.get(r.recipient_id, 'a recipient')} for {r.financial_year}",
        ),
        (
            Payment,
            payments.order_by().values("pk"),
            lambda r: (
                f"{'Recovery from' if r.kind == Payment.Kind.RECOVERY else 'Payment to'} "
                f"{allocation_label.get(r.allocation_id, 'an allocation')}"
            ),
        ),
        (
            SpendReturn,
            SpendReturn.objects.filter(allocation__in=list(allocation_label)).values("pk"),
            lambda r: f"Spend return, {allocation_label.get(r.allocation_id, 'an allocation')}, quarter {r.quarter}",
        ),
        (Milestone, milestones.order_by().values("pk"), lambda r: f"Milestone ‘{r.title}’"),
    ]
    entries = []
    for model, ids, subject_for in sources:
        entries += _entries(model, ids, subject_for, names, on_create[model])
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries

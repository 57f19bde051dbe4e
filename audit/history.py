"""The audit trail of money and status: who changed what, when, from what to what.

django-simple-history keeps a full copy of a programme, round, grant,
allocation, payment, spend return, project or milestone each time one is saved
(status moves included: ``Stateful.set_status`` saves through the model). This
module turns those copies into a readable list of changes for a project page:
one query per kind of record, the differences worked out here between each
copy and the one before it.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models

from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Payment, SpendReturn
from projects.models import Milestone, Project

# Bookkeeping that changes on every save and tells a reader nothing.
SKIPPED = {"id", "modified_at", "recorded_at", "submitted_at"}
CHANGE_LIMIT = 50


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: dt.datetime
    who: str
    subject: str
    action: str  # "Created", "Changed", or "First recorded" for a row loaded in bulk
    changes: list[Change] = field(default_factory=list)
    reason: str = ""


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


def _tracked_fields(model):
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in SKIPPED and not getattr(f, "generated", False)
    ]


def _entries(model, ids, subject_for, related_names):
    """History entries for the rows of ``model`` whose keys are in ``ids``."""
    fields = _tracked_fields(model)
    records = (
        model.history.filter(id__in=ids)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    entries = []
    previous = None
    for record in records:
        if previous is None or previous.id != record.id:
            previous = None
        who = str(record.history_user) if record.history_user else "The service"
        subject = subject_for(record)
        if previous is None:
            shown = [
                Change(f.verbose_name.capitalize(), "", _shown(f, _value(record, f, related_names)))
                for f in fields
                if f.attname in related_names or f.name in related_names
            ]
            # A row loaded in bulk has no copy from its creation: its first copy is a later change.
            action = "Created" if record.history_type == "+" else "First recorded"
            entries.append(HistoryEntry(record.history_date, who, subject, action, shown, record.history_change_reason or ""))
        else:
            changes = [
                Change(f.verbose_name.capitalize(), _shown(f, _value(previous, f, related_names)),
                       _shown(f, _value(record, f, related_names)))
                for f in fields
                if getattr(previous, f.attname) != getattr(record, f.attname)
            ]
            if changes:
                entries.append(
                    HistoryEntry(record.history_date, who, subject, "Changed", changes, record.history_change_reason or "")
                )
        previous = record
    return entries


def _value(record, model_field, names):
    value = getattr(record, model_field.attname)
    lookup = names.get(model_field.attname) if isinstance(names, dict) else None
    if lookup is not None and value is not None:
        return lookup.get(value, value)
    return value


def project_history(project, *, grants, allocations, payments, milestones, limit=CHANGE_LIMIT):
    """The newest ``limit`` changes to the project and the money and milestones the
    user may see on its page, and how many there are in all.

    ``allocations`` is a queryset already scoped to the user; ``grants``,
    ``payments`` and ``milestones`` are the lists the page shows.
    """
    allocation_list = list(allocations.select_related("recipient"))
    recipient_names = {a.recipient_id: a.recipient.display_name for a in allocation_list}
    allocation_label = {a.pk: f"{a.recipient.display_name}, {a.financial_year}" for a in allocation_list}
    grant_title = {g.pk: g.title for g in grants}
    names = {"recipient_id": recipient_names, "allocation_id": allocation_label, "grant_id": grant_title}

    # What a new record shows: the figures that matter, not every column.
    created_fields = {
        Project: {"status": None, "rag": None},
        Grant: {"amount_awarded": None, "status": None},
        Allocation: {"resource": None, "capital": None},
        Payment: {"kind": None, "amount": None, "paid_on": None, "advance_reason": None},
        SpendReturn: {"spent": None, "forecast": None, "status": None},
        Milestone: {"status": None, "payment_amount": None, "due_date": None},
    }

    def with_names(model):
        return {**names, **created_fields[model]}

    entries = []
    entries += _entries(Project, [project.pk], lambda r: "Project", with_names(Project))
    entries += _entries(Grant, list(grant_title), lambda r: f"Grant ‘{r.title}’", with_names(Grant))
    entries += _entries(
        Allocation, list(allocation_label),
        lambda r: f"Allocation to {recipient_names.get(r.recipient_id, 'a recipient')} for {r.financial_year}",
        with_names(Allocation),
    )
    entries += _entries(
        Payment, [p.pk for p in payments],
        lambda r: f"{'Recovery from' if r.kind == Payment.Kind.RECOVERY else 'Payment to'} "
        f"{allocation_label.get(r.allocation_id, 'an allocation')}",
        with_names(Payment),
    )
    entries += _entries(
        SpendReturn, SpendReturn.objects.filter(allocation__in=[a.pk for a in allocation_list]).values("pk"),
        lambda r: f"Spend return, {allocation_label.get(r.allocation_id, 'an allocation')}, quarter {r.quarter}",
        with_names(SpendReturn),
    )
    entries += _entries(Milestone, [m.pk for m in milestones], lambda r: f"Milestone ‘{r.title}’", with_names(Milestone))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit], len(entries)


def changed_fields(model: type[models.Model]) -> list[str]:
    """The fields whose changes the history lists (for the admin and tests)."""
    return [f.name for f in _tracked_fields(model)]

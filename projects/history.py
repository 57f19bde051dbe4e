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

from core.history import with_previous
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
    return [f for f in model._meta.concrete_fields if f.name not in SKIPPED and not getattr(f, "generated", False)]


def _entries(model, ids, subject_for, names, on_create):
    """History entries for the rows of ``model`` whose keys are in ``ids``.

    ``names`` maps a foreign key's attname to {key: label}; ``on_create`` names the
    fields a new row shows (its foreign keys with a label are shown too)."""
    fields = _tracked_fields(model)
    created_fields = [f for f in fields if f.name in on_create or f.attname in names]
    records = (
        model.history.filter(id__in=ids).select_related("history_user").order_by("id", "history_date", "history_id")
    )

    def value(record, model_field):
        raw = getattr(record, model_field.attname)
        return _shown(model_field, names.get(model_field.attname, {}).get(raw, raw))

    entries = []
    for previous, record in with_previous(records):
        who = str(record.history_user) if record.history_user else "The service"
        reason = record.history_change_reason or ""
        if previous is None:
            shown = [Change(f.verbose_name.capitalize(), "", value(record, f)) for f in created_fields]
            # A row loaded in bulk has no copy from its creation: its first copy is a later change.
            action = "Created" if record.history_type == "+" else "First recorded"
            entries.append(HistoryEntry(record.history_date, who, subject_for(record), action, shown, reason))
        else:
            changes = [
                Change(f.verbose_name.capitalize(), value(previous, f), value(record, f))
                for f in fields
                if getattr(previous, f.attname) != getattr(record, f.attname)
            ]
            if changes:
                entries.append(HistoryEntry(record.history_date, who, subject_for(record), "Changed", changes, reason))
    return entries


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
            [p.pk for p in payments],
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
        (Milestone, [m.pk for m in milestones], lambda r: f"Milestone ‘{r.title}’"),
    ]
    entries = []
    for model, ids, subject_for in sources:
        entries += _entries(model, ids, subject_for, names, on_create[model])
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit], len(entries)

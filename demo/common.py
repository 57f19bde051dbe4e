"""What every step of the demo's story shares: the clock that stamps each step with its
day, upserting on natural keys and moving rows along their status paths."""

import contextlib
import datetime as dt
from collections import defaultdict

from django.db.models.signals import post_save
from django.utils import timezone

from evaluations.models import EvidenceRating, OutcomeResult
from grants.models import (
    Allocation,
    AllocationBalance,
    Grant,
    GrantStatusChange,
    Payment,
    Programme,
    Round,
    SpendReturn,
    Variation,
)
from projects.models import (
    Milestone,
    MilestoneReview,
    MilestoneStatusChange,
    MilestoneSubmission,
    Project,
    ProjectStatusChange,
)

# --- Loading -------------------------------------------------------------------
#
# The services, set_status and the audit history stamp the moment they run. The demo's
# story happened years ago, so each step of it runs inside clock.on(day): when the step
# ends, every stamp it wrote (a history row's date, a status change, a payment's
# recorded_at, a submission's submitted_at ...) moves to that day; otherwise every
# payment of 2015 would read "recorded today" and figures as at a past date would count
# it. Each row's steps run in the order they happened, so each of its history rows holds
# the row as it stood on that day.


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _stamps() -> list[tuple]:
    """(model, field) of every stamp a step of the story may write with the clock."""
    stamps = [
        (GrantStatusChange, "changed_at"),
        (ProjectStatusChange, "changed_at"),
        (MilestoneStatusChange, "changed_at"),
        (MilestoneSubmission, "submitted_at"),
        (MilestoneReview, "reviewed_at"),
        (Payment, "recorded_at"),
        (SpendReturn, "submitted_at"),
        (SpendReturn, "reviewed_at"),
        (Grant, "modified_at"),
        (AllocationBalance, "updated_at"),
        (Variation, "requested_at"),
        (Variation, "decided_at"),
        (EvidenceRating, "rated_at"),
        (OutcomeResult, "updated_at"),
    ]
    for model in (Programme, Round, Grant, Allocation, Payment, SpendReturn, Project, Milestone):
        stamps.append((model.history.model, "history_date"))
    return stamps


class _Clock:
    """Moves what each step of the story writes to the day the step happened."""

    def __init__(self):
        self.started = timezone.now()
        self.stamps = _stamps()

    @contextlib.contextmanager
    def on(self, when: dt.datetime):
        saved = defaultdict(set)

        def note(sender, instance, **kwargs):
            saved[sender].add(instance.pk)

        post_save.connect(note, weak=False)
        try:
            yield
        finally:
            post_save.disconnect(note)
        for model, field in self.stamps:
            if saved[model]:
                # Of the rows the step saved, only the stamps it wrote: a return reviewed
                # today keeps the day it was submitted.
                model._default_manager.filter(pk__in=saved[model], **{f"{field}__gte": self.started}).update(
                    **{field: when}
                )


def _differs(obj, name, value) -> bool:
    field = obj._meta.get_field(name)
    if field.many_to_one:
        # Compare keys, not objects: reading obj.<name> would fetch the related row.
        return getattr(obj, field.attname) != (value.pk if value is not None else None)
    return getattr(obj, name) != value


def _set_changed(obj, values: dict) -> bool:
    """Set the values that differ; say whether there were any."""
    changed = [name for name, value in values.items() if _differs(obj, name, value)]
    for name in changed:
        setattr(obj, name, values[name])
    return bool(changed)


def _upsert(model, keys: dict, values: dict | None = None, *, by=None):
    """update_or_create on a natural key, with full_clean before every save; ``by`` names
    the user in the audit history."""
    values = values or {}
    obj = model.objects.filter(**keys).order_by("pk").first()
    created = obj is None
    if created:
        obj = model(**keys, **values)
    if created or _set_changed(obj, values):
        obj.full_clean()
        obj._history_user = by
        obj.save()
    return obj, created


def _advance(obj, path: list[tuple[str, dt.datetime]], *, by, clock) -> None:
    """Move obj along path [(status, when), ...] from where it stands, through set_status.

    A second run finds it at the end of the path and writes nothing. An object someone
    has moved off the path is left as it is.
    """
    statuses = [status for status, _ in path]
    if obj.status not in statuses:
        return
    for status, when in path[statuses.index(obj.status) + 1 :]:
        with clock.on(when):
            obj.set_status(status, by=by)


def _path_to(path, status):
    statuses = [s for s, _ in path]
    return path[: statuses.index(status) + 1]


def _closed_on(data) -> dt.datetime:
    # A project closes, and its grant with it, once the final returns are in and reviewed.
    return _at(data["end"] + dt.timedelta(days=92))


def _project_path(data):
    """[(status, when)] from proposed to where the project stands."""
    path = [
        (Project.Status.PROPOSED, _at(data["award_date"])),
        (Project.Status.ACTIVE, _at(data["start"])),
        (Project.Status.CLOSING, _at(data["end"])),
        (Project.Status.CLOSED, _closed_on(data)),
    ]
    return _path_to(path, data["status"])


def _grant_path(data):
    path = [
        (Grant.Status.AWARDED, _at(data["award_date"])),
        (Grant.Status.ACTIVE, _at(data["start"])),
        (Grant.Status.CLOSED, _closed_on(data)),
    ]
    return _path_to(path, data["grant_status"])


def _project_events(data) -> list[tuple]:
    """The project's moves and ratings, in the order they happened: (when, status, rating).
    The move to closed is not among them: close_project makes it once the money is settled."""
    events = [(when, status, None) for status, when in _project_path(data) if status != Project.Status.CLOSED]
    events += [(_at(day, 12), None, (rag, reason)) for day, rag, reason in data["ratings"]]
    return sorted(events, key=lambda event: event[0])


def _live_project(project, data, events, *, by, clock) -> None:
    """Take the project through ``events`` from where it stands; a second run finds them done."""
    statuses = [status for status, _ in _project_path(data)]
    for when, status, rating in events:
        if status is not None:
            if project.status in statuses and statuses.index(status) > statuses.index(project.status):
                with clock.on(when):
                    project.set_status(status, by=by)
        elif project.rag_updated_at is None or project.rag_updated_at < when:
            with clock.on(when):
                project.rag, project.rag_reason = rating
                project.rag_updated_at = when
                project.full_clean()
                project._history_user = by
                project.save()

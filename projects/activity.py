"""A project's activity feed: who did what and when, newest first, from the status
changes of the project, its grants and milestones, the milestones' submissions and
reviews, and the payments. Each source is cut to ACTIVITY_LIMIT before merging, so
the page's queries stay the same however long a project runs."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse

from grants.models import Grant, GrantStatusChange, Payment
from projects.models import (
    Milestone,
    MilestoneReview,
    MilestoneStatusChange,
    MilestoneSubmission,
    Project,
    ProjectStatusChange,
)

ACTIVITY_LIMIT = 50


@dataclass(frozen=True)
class Event:
    when: dt.datetime
    who: str
    what: str
    url: str | None = None


def _person(user):
    return str(user) if user is not None else "The service"


def activity(project, *, grants, milestones, payments):
    """Who did what and when, newest first: one bounded query per kind of event,
    merged here. Only grants, milestones and payments the user may see are passed in."""
    milestone_ids = [m.pk for m in milestones]
    milestone_url = {m.pk: reverse("projects:milestone", kwargs={"milestone_pk": m.pk}) for m in milestones}
    labels = {
        "project": dict(Project.Status.choices),
        "grant": dict(Grant.Status.choices),
        "milestone": dict(Milestone.Status.choices),
    }
    events = []

    def moved(kind, change, name):
        new = labels[kind][change.new_status]
        if not change.old_status:
            return f"{name} created as {new}"
        text = f"{name} moved from {labels[kind][change.old_status]} to {new}"
        return f"{text}: {change.reason}" if change.reason else text

    for change in (
        ProjectStatusChange.objects.filter(project=project)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")[:ACTIVITY_LIMIT]
    ):
        events.append(Event(change.changed_at, _person(change.changed_by), moved("project", change, "Project")))
    for change in (
        GrantStatusChange.objects.filter(grant__in=[g.pk for g in grants])
        .select_related("changed_by", "grant")
        .order_by("-changed_at", "-pk")[:ACTIVITY_LIMIT]
    ):
        events.append(
            Event(change.changed_at, _person(change.changed_by), moved("grant", change, f"Grant ‘{change.grant}’"))
        )
    # A milestone's later moves are made by a submission or a review, which appear
    # below with their evidence and reasons; only its creation is listed from here.
    for change in (
        MilestoneStatusChange.objects.filter(milestone__in=milestone_ids, old_status="")
        .select_related("changed_by", "milestone")
        .order_by("-changed_at", "-pk")[:ACTIVITY_LIMIT]
    ):
        events.append(
            Event(
                change.changed_at,
                _person(change.changed_by),
                f"Milestone ‘{change.milestone}’ added",
                milestone_url[change.milestone_id],
            )
        )
    for submission in (
        MilestoneSubmission.objects.filter(milestone__in=milestone_ids)
        .select_related("submitted_by", "milestone")
        .annotate(file_count=Count("evidence_files"))
        .order_by("-submitted_at", "-pk")[:ACTIVITY_LIMIT]
    ):
        files = f" ({submission.file_count} file{'' if submission.file_count == 1 else 's'})"
        events.append(
            Event(
                submission.submitted_at,
                _person(submission.submitted_by),
                f"Submitted evidence for ‘{submission.milestone}’{files if submission.file_count else ''}",
                milestone_url[submission.milestone_id],
            )
        )
    for review in (
        MilestoneReview.objects.filter(submission__milestone__in=milestone_ids)
        .select_related("reviewed_by", "submission__milestone")
        .order_by("-reviewed_at", "-pk")[:ACTIVITY_LIMIT]
    ):
        milestone = review.submission.milestone
        if review.decision == MilestoneReview.Decision.ACCEPTED:
            what = f"Accepted ‘{milestone}’"
        else:
            what = f"Returned ‘{milestone}’: {review.reason}"
        events.append(Event(review.reviewed_at, _person(review.reviewed_by), what, milestone_url[milestone.pk]))
    for payment in payments:
        recipient = payment.allocation.recipient.display_name
        if payment.kind == Payment.Kind.RECOVERY:
            what = f"Recovered £{payment.amount:,.2f} from {recipient}"
            what = f"{what}: {payment.note}" if payment.note else what
        else:
            what = f"Paid £{payment.amount:,.2f} to {recipient}"
            if payment.milestone_id:
                what = f"{what} for ‘{payment.milestone}’"
        events.append(Event(payment.recorded_at, _person(payment.recorded_by), what))
    events.sort(key=lambda event: event.when, reverse=True)
    return events[:ACTIVITY_LIMIT]

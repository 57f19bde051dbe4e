"""A project's activity feed: who did what and when, newest first, from the status
changes of the project, its grants and milestones, the milestones' submissions and
reviews, and the payments. The feed is read a page at a time: for page N each source
gives only its newest N pages' worth before merging, so the page's queries stay the
same however long a project runs (a count and a fetch for each source)."""

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Paginator
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

ACTIVITY_PER_PAGE = 20


@dataclass(frozen=True)
class Event:
    when: dt.datetime
    who: str
    what: str
    url: str | None = None


def _person(user):
    return str(user) if user is not None else "The service"


def page_number(value) -> int:
    """The page of the feed asked for in ``?activity_page=``: a number below 1 or not a number is the
    first page (one past the end becomes the last when the feed is paged)."""
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


def activity_page(project, *, grants, milestones, payments, number: int):
    """Page ``number`` (or the nearest there is) of who did what and when, newest first. Only grants,
    milestones and payments the user may see are passed in."""
    feed = Feed(project, grants=grants, milestones=milestones, payments=payments)
    return Paginator(feed, ACTIVITY_PER_PAGE).get_page(number)


class Feed:
    """The merged feed as the paginator reads it: ``count()`` counts each source in the database, and a
    slice fetches from each source only as many of its newest events as the slice reaches, then merges.
    The newest ``stop`` events of the whole feed are among the newest ``stop`` of each source, and the
    merge breaks ties in one fixed order, so consecutive pages neither skip nor repeat an event."""

    def __init__(self, project, *, grants, milestones, payments):
        milestone_ids = [m.pk for m in milestones]
        self.milestone_url = {m.pk: reverse("projects:milestone", kwargs={"milestone_pk": m.pk}) for m in milestones}
        self.labels = {
            "project": dict(Project.Status.choices),
            "grant": dict(Grant.Status.choices),
            "milestone": dict(Milestone.Status.choices),
        }
        # A milestone's later moves are made by a submission or a review, which appear
        # with their evidence and reasons; only its creation is listed from its status changes.
        self.sources = (
            (
                ProjectStatusChange.objects.filter(project=project),
                lambda rows: rows.select_related("changed_by").order_by("-changed_at", "-pk"),
                self._project_event,
            ),
            (
                GrantStatusChange.objects.filter(grant__in=[g.pk for g in grants]),
                lambda rows: rows.select_related("changed_by", "grant").order_by("-changed_at", "-pk"),
                self._grant_event,
            ),
            (
                MilestoneStatusChange.objects.filter(milestone__in=milestone_ids, old_status=""),
                lambda rows: rows.select_related("changed_by", "milestone").order_by("-changed_at", "-pk"),
                self._milestone_event,
            ),
            (
                MilestoneSubmission.objects.filter(milestone__in=milestone_ids),
                lambda rows: (
                    rows.select_related("submitted_by", "milestone")
                    .annotate(file_count=Count("evidence_files"))
                    .order_by("-submitted_at", "-pk")
                ),
                self._submission_event,
            ),
            (
                MilestoneReview.objects.filter(submission__milestone__in=milestone_ids),
                lambda rows: rows.select_related("reviewed_by", "submission__milestone").order_by(
                    "-reviewed_at", "-pk"
                ),
                self._review_event,
            ),
        )
        # The payments are on the page already, so they cost no query here.
        self.payment_events = sorted(
            (self._payment_event(payment) for payment in payments), key=lambda event: event.when, reverse=True
        )

    def count(self):
        return sum(rows.count() for rows, _, _ in self.sources) + len(self.payment_events)

    def __getitem__(self, cut):
        events = [event for rows, ordered, event in self.sources for event in map(event, ordered(rows)[: cut.stop])]
        events.extend(self.payment_events[: cut.stop])
        events.sort(key=lambda event: event.when, reverse=True)
        return events[cut]

    def _moved(self, kind, change, name):
        new = self.labels[kind][change.new_status]
        if not change.old_status:
            return f"{name} created as {new}"
        text = f"{name} moved from {self.labels[kind][change.old_status]} to {new}"
        return f"{text}: {change.reason}" if change.reason else text

    def _project_event(self, change):
        return Event(change.changed_at, _person(change.changed_by), self._moved("project", change, "Project"))

    def _grant_event(self, change):
        what = self._moved("grant", change, f"Grant ‘{change.grant}’")
        return Event(change.changed_at, _person(change.changed_by), what)

    def _milestone_event(self, change):
        url = self.milestone_url[change.milestone_id]
        return Event(change.changed_at, _person(change.changed_by), f"Milestone ‘{change.milestone}’ added", url)

    def _submission_event(self, submission):
        files = f" ({submission.file_count} file{'' if submission.file_count == 1 else 's'})"
        return Event(
            submission.submitted_at,
            _person(submission.submitted_by),
            f"Submitted evidence for ‘{submission.milestone}’{files if submission.file_count else ''}",
            self.milestone_url[submission.milestone_id],
        )

    def _review_event(self, review):
        milestone = review.submission.milestone
        if review.decision == MilestoneReview.Decision.ACCEPTED:
            what = f"Accepted ‘{milestone}’"
        else:
            what = f"Returned ‘{milestone}’: {review.reason}"
        return Event(review.reviewed_at, _person(review.reviewed_by), what, self.milestone_url[milestone.pk])

    def _payment_event(self, payment):
        recipient = payment.allocation.recipient.display_name
        if payment.kind == Payment.Kind.RECOVERY:
            what = f"Recovered £{payment.amount:,.2f} from {recipient}"
            what = f"{what}: {payment.note}" if payment.note else what
        else:
            what = f"Paid £{payment.amount:,.2f} to {recipient}"
            if payment.milestone_id:
                what = f"{what} for ‘{payment.milestone}’"
        return Event(payment.recorded_at, _person(payment.recorded_by), what)

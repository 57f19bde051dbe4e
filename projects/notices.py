"""Whom a milestone's progress is told to, and what they are told. Called inside the service's
transaction: the messages are recorded with the event and sent once it commits."""

from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core.templatetags.govuk import money as pounds
from notifications.catalogue import Kind
from notifications.services import absolute_url, long_date, name_of, notify, people
from projects.models import Milestone, MilestoneReview, MilestoneSubmission


def _milestone_details(milestone: Milestone) -> dict[str, str]:
    return {
        "milestone": milestone.title,
        "project": milestone.project.title,
        "organisation": milestone.organisation.name,
        "due_date": long_date(milestone.due_date),
        "link": absolute_url(reverse("projects:milestone", kwargs={"milestone_pk": milestone.pk})),
    }


def milestone_line(milestone: Milestone, *, submitted_at, by=None) -> str:
    """One milestone in an officer's list: what, whose, when (and by whom), and where to review it.
    Its project and organisation are loaded with it."""
    review = absolute_url(reverse("projects:milestone-review", kwargs={"milestone_pk": milestone.pk}))
    when = long_date(timezone.localdate(submitted_at)) if submitted_at else "without a date"
    who = f" by {name_of(by)}" if by else ""
    return (
        f"{milestone.title}, {milestone.organisation.name} ({milestone.project.title}), submitted {when}{who}: {review}"
    )


def milestone_submitted(submission: MilestoneSubmission) -> None:
    """Programme officers: evidence waits for their review (the same text as the daily list, of one)."""
    milestone = Milestone.objects.select_related("project", "organisation").get(pk=submission.milestone_id)
    details = {
        "date": long_date(timezone.localdate(submission.submitted_at)),
        "count": "1",
        "milestone_count": "1 milestone submission",
        "return_count": "no spend returns",
        "milestones": milestone_line(milestone, submitted_at=submission.submitted_at, by=submission.submitted_by),
        "returns": "",
        "link": absolute_url(reverse("projects:milestone-review", kwargs={"milestone_pk": milestone.pk})),
    }
    for user in people(roles=[Role.OFFICER]):
        notify(
            user=user,
            kind=Kind.SUBMISSION_WAITING,
            key=f"milestone:{milestone.pk}:submitted:{submission.pk}",
            personalisation={"name": name_of(user), **details},
        )


def milestone_reviewed(review: MilestoneReview) -> None:
    """The milestone's organisation hears the decision (with the reason for a return); finance officers
    hear of a payment an acceptance releases."""
    milestone = Milestone.objects.select_related("project", "organisation", "allocation__recipient").get(
        pk=review.submission.milestone_id
    )
    accepted = review.decision == MilestoneReview.Decision.ACCEPTED
    details = {
        **_milestone_details(milestone),
        "reviewer": name_of(review.reviewed_by),
        "reviewed_on": long_date(timezone.localdate(review.reviewed_at)),
        "reason": review.reason,
        "payment": pounds(milestone.payment_amount) if milestone.payment_amount is not None else "",
    }
    kind, event = (Kind.MILESTONE_ACCEPTED, "accepted") if accepted else (Kind.MILESTONE_RETURNED, "returned")
    for user in people(roles=[Role.RECIPIENT], organisation_id=milestone.organisation_id):
        notify(
            user=user,
            kind=kind,
            key=f"milestone:{milestone.pk}:{event}:{review.pk}",
            personalisation={"name": name_of(user), **details},
        )
    if accepted and milestone.payment_amount is not None and milestone.allocation is not None:
        waiting = {
            "milestone": milestone.title,
            "project": milestone.project.title,
            "organisation": milestone.allocation.recipient.name,
            "amount": pounds(milestone.payment_amount),
            "financial_year": str(milestone.allocation.financial_year),
            "accepted_on": details["reviewed_on"],
            "link": absolute_url(reverse("grants:milestone-pay", kwargs={"milestone_pk": milestone.pk})),
        }
        # The same key as the daily reminder of payments waiting, so a finance officer hears once.
        for user in people(roles=[Role.FINANCE]):
            notify(
                user=user,
                kind=Kind.PAYMENT_WAITING,
                key=f"milestone:{milestone.pk}:payment_waiting",
                personalisation={"name": name_of(user), **waiting},
            )

"""Whom a payment or a spend return is told to, and what they are told. Called inside the service's
transaction: the messages are recorded with the event and sent once it commits."""

from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core.templatetags.govuk import money as pounds
from grants.models import Payment, SpendReturn
from notifications.catalogue import Kind
from notifications.services import absolute_url, long_date, name_of, notify, people


def payment_made(payment: Payment) -> None:
    """The paid organisation's staff: how much, when, the remittance reference, and for what."""
    payment = Payment.objects.select_related("allocation__recipient", "allocation__grant__project", "milestone").get(
        pk=payment.pk
    )
    allocation = payment.allocation
    details = {
        "amount": pounds(payment.amount),
        "organisation": allocation.recipient.name,
        "project": allocation.grant.project.title,
        "grant": allocation.grant.title,
        "financial_year": str(allocation.financial_year),
        "paid_on": long_date(payment.paid_on),
        "reference": payment.reference,
        "milestone": payment.milestone.title if payment.milestone_id else "",
        "link": absolute_url(reverse("grants:allocation", kwargs={"allocation_pk": allocation.pk})),
    }
    for user in people(roles=[Role.RECIPIENT], organisation_id=allocation.recipient_id):
        notify(
            user=user,
            kind=Kind.PAYMENT_MADE,
            key=f"payment:{payment.pk}",
            personalisation={"name": name_of(user), **details},
        )


def spend_return_line(spend_return: SpendReturn) -> str:
    """One return in an officer's list: whose, which quarter, its figures, when, and where to review it.
    Its allocation's recipient and grant's project are loaded with it."""
    allocation = spend_return.allocation
    review = absolute_url(reverse("grants:spend-return-review", kwargs={"spend_return_pk": spend_return.pk}))
    return (
        f"{allocation.recipient.name}, {allocation.financial_year} Q{spend_return.quarter} "
        f"({allocation.grant.project.title}): spent {pounds(spend_return.spent)}, forecast "
        f"{pounds(spend_return.forecast)}, submitted {long_date(timezone.localdate(spend_return.submitted_at))}: "
        f"{review}"
    )


# The most items one list message names (here and in the daily lists of reminders); the rest are counted.
LIST_LIMIT = 30


def spend_returns_submitted(returns: list[SpendReturn], *, by) -> None:
    """Programme officers: returns wait for their review, one message for what one person sent at once
    (a form's return, or a spreadsheet's many), in the same text as the daily list."""
    if not returns:
        return
    rows = list(
        SpendReturn.objects.filter(pk__in=[spend_return.pk for spend_return in returns])
        .select_related("allocation__recipient", "allocation__grant__project")
        .order_by("allocation__recipient__name", "allocation__financial_year", "quarter", "pk")
    )
    submitted_on = long_date(timezone.localdate(rows[0].submitted_at))
    lines = [spend_return_line(spend_return) for spend_return in rows[:LIST_LIMIT]]
    if len(rows) > LIST_LIMIT:
        lines.append(f"and {len(rows) - LIST_LIMIT:,} more")
    details = {
        "date": submitted_on,
        "count": str(len(rows)),
        "milestone_count": "no milestone submissions",
        "return_count": f"{len(rows):,} spend return{'' if len(rows) == 1 else 's'}",
        "milestones": "",
        "returns": "\n".join(lines),
        "link": absolute_url(reverse("grants:spend-return-review", kwargs={"spend_return_pk": rows[0].pk}))
        if len(rows) == 1
        else absolute_url(reverse("spend-returns-to-review")),
    }
    # One return is named by itself; many sent at once by the moment and the sender.
    key = (
        f"spend_return:{rows[0].pk}:submitted"
        if len(rows) == 1
        else f"spend_returns:{by.pk}:{rows[0].submitted_at.isoformat()}:submitted"
    )
    for user in people(roles=[Role.OFFICER]):
        notify(user=user, kind=Kind.SUBMISSION_WAITING, key=key, personalisation={"name": name_of(user), **details})

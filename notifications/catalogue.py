"""Every kind of message the service sends, and which ones a person may switch off.

Each kind's text is a pair of Django templates, templates/notifications/<value>.subject.txt and
<value>.body.txt, rendered with the personalisation the sender gives (plus ``service_name``)."""

from django.db import models

from accounts.models import Role


class Kind(models.TextChoices):
    MILESTONE_DUE_14 = "milestone_due_14", "A milestone is due in 14 days"
    MILESTONE_DUE_3 = "milestone_due_3", "A milestone is due in 3 days"
    MILESTONE_OVERDUE = "milestone_overdue", "A milestone is overdue"
    SPEND_RETURN_DUE_14 = "spend_return_due_14", "A spend return is due in 14 days"
    SPEND_RETURN_DUE_3 = "spend_return_due_3", "A spend return is due in 3 days"
    SPEND_RETURN_OVERDUE = "spend_return_overdue", "A spend return is overdue"
    MILESTONE_RETURNED = "milestone_returned", "Milestone evidence was returned"
    MILESTONE_ACCEPTED = "milestone_accepted", "Milestone evidence was accepted"
    PAYMENT_MADE = "payment_made", "A payment was made"
    SUBMISSION_WAITING = "submission_waiting", "Milestone evidence or a spend return waits for review"
    GRANT_VARIANCE = "grant_variance", "A grant is projected to under- or overspend"
    RECONCILIATION_DIFFERENCES = "reconciliation_differences", "Reconciliation found differences"
    PAYMENT_WAITING = "payment_waiting", "An accepted milestone waits for payment"
    EVALUATION_REPORT_ADDED = "evaluation_report_added", "A new evaluation report"
    RESULTS_DUE = "results_due", "Outcome results are due"
    INVITATION = "invitation", "An invitation to use the service"
    # The weekly message that carries the messages a person chose to get once a week.
    DIGEST = "digest", "Your weekly summary"


# Kinds a person cannot switch off: what they must act on, money they were paid, and the
# messages that make the service work at all. The digest carries the others, so it is fixed too.
REQUIRED = frozenset(
    {
        Kind.MILESTONE_OVERDUE,
        Kind.SPEND_RETURN_OVERDUE,
        Kind.MILESTONE_RETURNED,
        Kind.PAYMENT_MADE,
        Kind.INVITATION,
        Kind.DIGEST,
    }
)

# Kinds whose link is a credential (an invitation's link sets a password): the link is kept only until
# the message is sent, so that nobody who reads the message log, or a backup, can use it.
SECRET_LINK = frozenset({Kind.INVITATION})
LINK_WITHHELD = "(the link is not kept once the message is sent)"

# The kinds a person chooses about on their preferences page, in the catalogue's order.
OPTIONAL = tuple(kind for kind in Kind if kind not in REQUIRED)

# The kinds each role is sent, for their preferences page (people of other roles never get them).
FOR_ROLE = {
    Role.RECIPIENT: (
        Kind.MILESTONE_DUE_14,
        Kind.MILESTONE_DUE_3,
        Kind.MILESTONE_OVERDUE,
        Kind.SPEND_RETURN_DUE_14,
        Kind.SPEND_RETURN_DUE_3,
        Kind.SPEND_RETURN_OVERDUE,
        Kind.MILESTONE_RETURNED,
        Kind.MILESTONE_ACCEPTED,
        Kind.PAYMENT_MADE,
    ),
    Role.OFFICER: (
        Kind.SUBMISSION_WAITING,
        Kind.GRANT_VARIANCE,
        Kind.RECONCILIATION_DIFFERENCES,
        Kind.EVALUATION_REPORT_ADDED,
    ),
    Role.ADMIN: (
        Kind.SUBMISSION_WAITING,
        Kind.GRANT_VARIANCE,
        Kind.RECONCILIATION_DIFFERENCES,
        Kind.EVALUATION_REPORT_ADDED,
    ),
    Role.FINANCE: (Kind.PAYMENT_WAITING,),
    Role.EVALUATOR: (Kind.EVALUATION_REPORT_ADDED, Kind.RESULTS_DUE),
    Role.VIEWER: (),
}

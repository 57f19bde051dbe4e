"""The home page, "/": the start page for visitors, and for a signed-in user the task list of what
waits for them (reports/tasks.py); and the lists that task list links to which have no other home:
the officers' spend returns to review, and the spend returns due. The home lives here, above the domain apps whose rows it counts; the start page
itself stays in accounts."""

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.permissions import OFFICERS, PROGRAMME_READERS, RECIPIENTS, role_required
from accounts.views import start_page
from core.paging import page_of
from grants.models import SpendReturn
from reports.tasks import spend_returns_due as returns_due
from reports.tasks import tasks_for


@require_GET
def home(request):
    if not request.user.is_authenticated:
        return start_page(request)
    tasks = tasks_for(request.user, timezone.localdate())
    return render(request, "home.html", {"tasks": tasks, "waiting": sum(task.count for task in tasks)})


@role_required(*OFFICERS)
def spend_returns_to_review(request):
    """Submitted spend returns, the longest waiting first; each is reviewed on its allocation's page."""
    returns = (
        SpendReturn.objects.for_user(request.user)
        .filter(status=SpendReturn.Status.SUBMITTED)
        .select_related("allocation__grant__project", "allocation__recipient", "submitted_by")
        .order_by("submitted_at", "pk")
    )
    page = page_of(request, returns)
    return render(request, "reports/spend_returns_to_review.html", {"page": page, "returns": page.object_list})


@role_required(*PROGRAMME_READERS, *RECIPIENTS)
def spend_returns_due(request):
    """The quarterly spend returns due in the next 14 days or overdue, the earliest first: for a council or
    lead organisation, those it owes itself; for funder staff, every one the programme is owed."""
    today = timezone.localdate()
    owed = returns_due(request.user, today)
    page = page_of(request, owed)
    return render(
        request,
        "reports/spend_returns_due.html",
        {
            "page": page,
            "owed": page.object_list,
            "today": today,
            "overdue": sum(owed_return.due < today for owed_return in owed),
            "may_submit": request.user.is_recipient or request.user.is_officer,
            "due_days": settings.SPEND_RETURN_DUE_DAYS,
        },
    )

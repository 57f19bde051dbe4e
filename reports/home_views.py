"""The home page, "/": the start page for visitors, and for a signed-in user the task list of what
waits for them (reports/tasks.py); and the officers' list of spend returns to review, which that
task list links to. The home lives here, above the domain apps whose rows it counts; the start page
itself stays in accounts."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.permissions import OFFICERS, role_required
from accounts.views import start_page
from core.paging import page_of
from grants.models import SpendReturn
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

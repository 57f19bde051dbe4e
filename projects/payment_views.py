"""The money pages that read milestones and projects: adding a grant to a project, an allocation with
its milestones, the accepted milestones waiting for payment, paying one, and a payment that may be in
advance of a milestone. They sit here because projects stand above the money (tests/test_layers.py);
their URLs stay in the grants namespace (config/urls.py).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from accounts.models import User
from accounts.permissions import FINANCE, OFFICERS, PROGRAMME_READERS, RECIPIENTS, role_required
from core import data_version
from core.forms import show_refusal
from core.paging import page_of
from grants import money, services
from grants.forms import GrantForm, MilestonePaymentForm, PaymentForm
from grants.models import Allocation, Grant, Payment
from grants.tables import VariationTable
from grants.views import finance_allocation, flag, form_data
from projects.models import Milestone, MilestoneReview, MilestoneSubmission, Project
from projects.tables import PaymentsWaitingTable


@role_required(*OFFICERS)
def grant_create(request, project_pk):
    project = get_object_or_404(Project.objects.for_user(request.user).select_related("programme"), pk=project_pk)
    form = GrantForm(form_data(request), project=project, instance=Grant(project=project))
    if form.is_valid():
        try:
            grant = services.save_grant(grant=form.save(commit=False), by=request.user)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Grant “{grant.title}” created")
            return redirect("grants:detail", grant_pk=grant.pk)
    return render(request, "grants/grant_form.html", {"form": form, "project": project, "grant": None})


@role_required(*PROGRAMME_READERS, *RECIPIENTS)
def allocation_detail(request, allocation_pk):
    user = request.user
    allocation = get_object_or_404(
        Allocation.objects.for_user(user).with_money().select_related("grant__project", "recipient", "balance"),
        pk=allocation_pk,
    )
    paid_at_all = Payment.objects.filter(milestone=OuterRef("pk"), kind=Payment.Kind.PAYMENT)
    milestones = (
        Milestone.objects.for_user(user)
        .filter(allocation=allocation)
        .select_related("organisation")
        .annotate(is_paid=Exists(paid_at_all))
    )
    variations = allocation.variations.select_related("requested_by", "decided_by")
    context = {
        "allocation": allocation,
        "flag": flag(allocation),
        "variations": variations,
        "variations_table": VariationTable(variations, orderable=False),
        "grant": allocation.grant,
        "project": allocation.grant.project,
        "payments": allocation.payments.select_related("milestone", "recorded_by"),
        "spend_returns": allocation.spend_returns.select_related("allocation", "submitted_by", "reviewed_by"),
        "milestones": milestones,
        "is_officer": user.is_officer,
        "is_finance": user.is_finance,
        "submits_returns": user.is_recipient and user.organisation_id == allocation.recipient_id,
    }
    return render(request, "grants/allocation_detail.html", context)


def _accepted_reviews():
    return Prefetch(
        "submissions",
        queryset=MilestoneSubmission.objects.filter(review__decision=MilestoneReview.Decision.ACCEPTED)
        .select_related("review__reviewed_by")
        .order_by("-review__reviewed_at", "-pk"),
        to_attr="accepted_submissions",
    )


def _latest_acceptance():
    """A milestone's accepted reviews, the latest first (as ``_accepted_reviews`` orders them), to read one
    value of the latest in a subquery."""
    return MilestoneReview.objects.filter(
        submission__milestone=OuterRef("pk"), decision=MilestoneReview.Decision.ACCEPTED
    ).order_by("-reviewed_at", "-submission_id")


@role_required(*PROGRAMME_READERS)
def payments_waiting(request):
    """Accepted milestones whose payment has not been made yet, the longest waiting first.

    The list is the same for everyone who sees the whole programme but for the Pay links, which only
    finance officers get: it is rendered once for each change of the data (a payment, an acceptance, a
    change of balance all move core.data_version's stamp) and each page, and shared."""
    can_pay = request.user.is_finance
    body = data_version.for_everyone_who_sees(
        request.user,
        "payments waiting",
        can_pay,
        request.GET.get("page", "")[:20],
        build=lambda: render_to_string(
            "grants/_payments_waiting_body.html", _payments_waiting(request, can_pay=can_pay), request=request
        ),
    )
    return render(request, "grants/payments_waiting.html", {"body_html": mark_safe(body)})


def _payments_waiting(request, *, can_pay):
    """The page of waiting payments ``request`` asks for, with their count and total.

    Which milestones wait is the costly part (every accepted milestone read against its payments
    and its allocation's kept balance), so it is worked out once: the waiting milestones' ids, in
    order, with their amounts, give the count, the total and the page. The page's rows are then read
    by id as the values the table shows, with when and by whom each was accepted annotated, rather than
    as milestones with their projects, allocations, recipients, submissions, reviews and reviewers built
    as objects; the few reviewers are read once, for their names."""
    latest_acceptance = _latest_acceptance()
    waiting = (
        Milestone.objects.for_user(request.user)
        .waiting_for_payment()
        .annotate(accepted_at=Subquery(latest_acceptance.values("reviewed_at")[:1]))
    )
    found = list(waiting.order_by("accepted_at", "pk").values_list("pk", "payment_amount"))
    ids = [pk for pk, _ in found]
    total = money.milestone_payments_total(amount for _, amount in found)
    page = page_of(request, ids)
    rows = {
        row["pk"]: row
        for row in Milestone.objects.filter(pk__in=page.object_list)
        .annotate(
            accepted_at=Subquery(latest_acceptance.values("reviewed_at")[:1]),
            accepted_by=Subquery(latest_acceptance.values("reviewed_by")[:1]),
        )
        .order_by()
        .values(
            "pk",
            "title",
            "payment_amount",
            "illustrative",
            "project_id",
            "project__title",
            "allocation_id",
            "allocation__financial_year",
            "allocation__recipient__name",
            "accepted_at",
            "accepted_by",
        )
    }
    reviewers = User.objects.only("first_name", "last_name", "username").in_bulk(
        {row["accepted_by"] for row in rows.values()} - {None}
    )
    for row in rows.values():
        row["accepted_by"] = reviewers.get(row["accepted_by"])
    page.object_list = [rows[pk] for pk in page.object_list]
    table = PaymentsWaitingTable(page.object_list, can_pay=can_pay)
    return {
        "page": page,
        "page_url": f"{reverse('grants:payments-waiting')}?page=",
        "table": table,
        "total": total,
    }


@role_required(*FINANCE)
def milestone_pay(request, milestone_pk):
    milestone = get_object_or_404(
        Milestone.objects.for_user(request.user)
        .select_related("project", "organisation", "allocation__recipient", "allocation__grant")
        .prefetch_related(_accepted_reviews()),
        pk=milestone_pk,
    )
    accepted = milestone.accepted_submissions[0].review if milestone.accepted_submissions else None
    existing = milestone.payments.filter(kind=Payment.Kind.PAYMENT).first()
    form = MilestonePaymentForm(form_data(request))
    if form.is_valid():
        try:
            payment = services.pay_milestone(
                milestone=milestone,
                paid_on=form.cleaned_data["paid_on"],
                by=request.user,
                reference=form.cleaned_data["reference"].strip(),
                late_reason=form.cleaned_data["late_reason"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Payment of £{payment.amount:,.2f} to {milestone.allocation.recipient} recorded")
            return redirect("grants:allocation", allocation_pk=payment.allocation_id)
    context = {
        "form": form,
        "milestone": milestone,
        "accepted": accepted,
        "existing": existing,
        "accepted_by_you": accepted is not None and accepted.reviewed_by_id == request.user.pk,
        "payable": (
            existing is None and milestone.payment_amount is not None and milestone.status == Milestone.Status.ACCEPTED
        ),
    }
    return render(request, "grants/milestone_pay.html", context)


@role_required(*FINANCE)
def payment_create(request, allocation_pk):
    allocation = finance_allocation(request, allocation_pk)
    paid = Payment.objects.filter(milestone=OuterRef("pk"), kind=Payment.Kind.PAYMENT)
    # An accepted milestone is paid from its own page, which checks who accepted it.
    ahead_of = allocation.milestones.filter(~Exists(paid)).exclude(status=Milestone.Status.ACCEPTED)
    form = PaymentForm(form_data(request), milestones=ahead_of)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.record_payment(
                allocation=allocation,
                amount=data["amount"],
                paid_on=data["paid_on"],
                by=request.user,
                milestone=data["milestone"],
                in_advance=data["in_advance"],
                advance_reason=data["advance_reason"],
                reference=data["reference"].strip(),
                note=data["note"].strip(),
                late_reason=data["late_reason"],
            )
        except ValidationError as error:
            show_refusal(form, error, field="amount")
        else:
            messages.success(request, f"Payment of £{payment.amount:,.2f} to {allocation.recipient} recorded")
            return redirect("grants:allocation", allocation_pk=allocation.pk)
    return render(request, "grants/payment_form.html", {"form": form, "allocation": allocation})

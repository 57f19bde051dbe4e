"""Pages for the money: grants, allocations, payments, recoveries and spend returns.

Every object is fetched through its ``for_user`` queryset (or a narrower one for
changes), and every write goes through grants.services, whose refusals are shown
on the form and change nothing.
"""

from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import FINANCE, OFFICERS, PROGRAMME_READERS, RECIPIENTS, role_required
from core import data_version
from core.forms import show_refusal
from core.lifecycle import IllegalStatusChange
from core.paging import sort_and_page
from grants import money, services
from grants.forms import (
    AllocationForm,
    GrantForm,
    GrantStatusForm,
    RecoveryForm,
    SpendReturnForm,
    VariationDecisionForm,
)
from grants.models import Allocation, Grant, SpendReturn, Variation
from grants.reconciliation import find_discrepancies
from grants.spend_returns import amend_spend_return, review_spend_return, submit_spend_return
from grants.tables import DiscrepancyTable, VariationTable

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)
RECONCILIATION_CHECKED_EVERY = 60  # seconds


def form_data(request):
    return request.POST if request.method == "POST" else None


def flag(allocation) -> str:
    """ "underspend", "overspend" or "" for an allocation annotated by ``with_money``."""
    if not allocation.has_returns:
        return ""
    if money.is_underspend(allocation.amount, allocation.variance):
        return "underspend"
    if money.is_overspend(allocation.amount, allocation.variance):
        return "overspend"
    return ""


def _waiting(variation) -> str:
    """The end of a success message when the change of amount waits for a second officer."""
    if variation is None:
        return ""
    return (
        f". The change of its amount to £{variation.amount_after:,.2f} waits for another programme "
        "officer's approval at Variations"
    )


# Grants


@role_required(*OFFICERS)
def grant_edit(request, grant_pk):
    grant = get_object_or_404(Grant.objects.for_user(request.user).select_related("project__programme"), pk=grant_pk)
    project = grant.project
    form = GrantForm(form_data(request), project=project, instance=grant)
    if form.is_valid():
        try:
            grant = services.save_grant(
                grant=form.save(commit=False), by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            show_refusal(form, error, field="amount_awarded")
        else:
            messages.success(request, f"Grant “{grant.title}” updated" + _waiting(grant.pending_variation))
            return redirect("grants:detail", grant_pk=grant.pk)
    return render(request, "grants/grant_form.html", {"form": form, "project": project, "grant": grant})


def _year_rows(allocations, allocation_scope):
    """Allocations grouped by financial year, each year with its totals summed in the database."""
    sums = {
        row["financial_year"]: {
            "figures": money.figures_from(row),
            "resource": row["resource"],
            "capital": row["capital"],
        }
        for row in allocation_scope.order_by()
        .values("financial_year")
        .annotate(resource=Sum("resource"), capital=Sum("capital"), **money.balance_sums())
    }
    years = []
    for year, rows in groupby(allocations, key=lambda allocation: allocation.financial_year):
        years.append({"year": year, "allocations": list(rows), "totals": sums[year]})
    return years


@role_required(*PROGRAMME_READERS, *RECIPIENTS)
def grant_detail(request, grant_pk):
    user = request.user
    grant = get_object_or_404(
        Grant.objects.for_user(user).select_related("project", "round__programme", "recipient"), pk=grant_pk
    )
    # A partner sees the grant but only its own allocations; the grant-wide
    # figures would reveal the other partners' money.
    sees_all_money = user.sees_whole_programme or grant.project.is_led_by(user)
    scope = Allocation.objects.for_user(user).filter(grant=grant)
    # The balance comes too: its flags mark each figure that an invented demo row lies behind.
    allocations = list(
        scope.with_money().select_related("recipient", "balance").order_by("financial_year", "recipient__name")
    )
    for allocation in allocations:
        allocation.flag = flag(allocation)
    totals = money.totals(scope)
    split = scope.aggregate(resource=Coalesce(Sum("resource"), ZERO), capital=Coalesce(Sum("capital"), ZERO))
    variations = grant.variations.select_related("allocation__recipient", "requested_by", "decided_by")
    context = {
        "grant": grant,
        "project": grant.project,
        "sees_all_money": sees_all_money,
        "years": _year_rows(allocations, scope),
        "totals": totals,
        "split": split,
        "unallocated": grant.amount_awarded - totals.allocated,
        "variations": variations,
        "variations_table": VariationTable(variations, orderable=False),
        "status_changes": grant.status_changes.select_related("changed_by"),
        "can_change": user.is_officer,
    }
    return render(request, "grants/grant_detail.html", context)


@role_required(*OFFICERS)
def grant_status(request, grant_pk):
    grant = get_object_or_404(Grant.objects.for_user(request.user).select_related("project"), pk=grant_pk)
    form = GrantStatusForm(form_data(request), grant=grant)
    if form.is_valid():
        old_label = grant.get_status_display()
        try:
            grant.set_status(form.cleaned_data["status"], by=request.user, reason=form.cleaned_data["reason"].strip())
        except IllegalStatusChange as error:
            form.add_error("status", str(error))
        else:
            messages.success(request, f"Grant status changed from {old_label} to {grant.get_status_display()}")
            return redirect("grants:detail", grant_pk=grant.pk)
    return render(request, "grants/grant_status.html", {"form": form, "grant": grant})


# Allocations


def _save_allocation(request, form, *, grant, allocation=None):
    data = form.cleaned_data
    try:
        return services.save_allocation(
            grant=grant,
            recipient=data["recipient"],
            financial_year=data["financial_year"],
            resource=data["resource"],
            capital=data["capital"],
            purpose=data["purpose"].strip(),
            allocation=allocation,
            illustrative=allocation.illustrative if allocation else False,
            by=request.user,
            reason=data.get("reason", ""),
        )
    except ValidationError as error:
        show_refusal(form, error)
        return None


def _allocatable(grant, allocation=None):
    """How much of the award this allocation may take: the award less the grant's other allocations."""
    others = Allocation.objects.filter(grant=grant)
    if allocation is not None:
        others = others.exclude(pk=allocation.pk)
    return grant.amount_awarded - money.totals(others).allocated


@role_required(*OFFICERS)
def allocation_create(request, grant_pk):
    grant = get_object_or_404(Grant.objects.for_user(request.user).select_related("project"), pk=grant_pk)
    form = AllocationForm(form_data(request), grant=grant)
    if form.is_valid():
        allocation = _save_allocation(request, form, grant=grant)
        if allocation is not None:
            messages.success(
                request,
                f"Allocation of £{allocation.resource + allocation.capital:,.2f} to {allocation.recipient} "
                f"for {allocation.financial_year} added",
            )
            return redirect("grants:detail", grant_pk=grant.pk)
    context = {"form": form, "grant": grant, "allocation": None, "allocatable": _allocatable(grant)}
    return render(request, "grants/allocation_form.html", context)


@role_required(*OFFICERS)
def allocation_edit(request, allocation_pk):
    allocation = get_object_or_404(
        Allocation.objects.for_user(request.user).select_related("grant__project", "recipient"), pk=allocation_pk
    )
    grant = allocation.grant
    has_history = allocation.payments.exists() or allocation.spend_returns.exists() or allocation.milestones.exists()
    form = AllocationForm(form_data(request), grant=grant, allocation=allocation)
    if has_history:
        for name in ("recipient", "financial_year"):
            form.fields[name].disabled = True
        form.fields[
            "recipient"
        ].help_text = (
            "The recipient and year cannot change: the allocation already has payments, spend returns or milestones."
        )
    if form.is_valid():
        saved = _save_allocation(request, form, grant=grant, allocation=allocation)
        if saved is not None:
            if saved.pending_variation is None:
                messages.success(request, f"Allocation to {saved.recipient} for {saved.financial_year} updated")
            else:
                messages.success(
                    request,
                    f"Nothing has changed yet: the allocation to {saved.recipient} for {saved.financial_year}"
                    + _waiting(saved.pending_variation)[1:],
                )
            return redirect("grants:allocation", allocation_pk=saved.pk)
    context = {"form": form, "grant": grant, "allocation": allocation, "allocatable": _allocatable(grant, allocation)}
    return render(request, "grants/allocation_form.html", context)


# Payments and recoveries


def reconciliation_differences(user) -> list:
    """The differences the reconciliation page lists for ``user``, and the officers' home page counts."""
    # Worked out once for each change of the data and shared; checked afresh at least every minute
    # whatever happens, as it is the check that finds rows changed around the service.
    return data_version.for_everyone_who_sees(
        user,
        "reconciliation",
        build=lambda: find_discrepancies(Grant.objects.for_user(user)),
        at_most=RECONCILIATION_CHECKED_EVERY,
    )


@role_required(*PROGRAMME_READERS)
def reconciliation(request):
    """Grants whose award, allocations, payments and spend do not add up."""
    discrepancies = reconciliation_differences(request.user)
    expected = sum(1 for discrepancy in discrepancies if not discrepancy.needs_action)
    table = sort_and_page(request, DiscrepancyTable(discrepancies))
    context = {"discrepancies": discrepancies, "expected": expected, "table": table}
    return render(request, "grants/reconciliation.html", context)


def finance_allocation(request, allocation_pk):
    return get_object_or_404(
        Allocation.objects.for_user(request.user).with_money().select_related("grant__project", "recipient", "balance"),
        pk=allocation_pk,
    )


@role_required(*FINANCE)
def recovery_create(request, allocation_pk):
    allocation = finance_allocation(request, allocation_pk)
    form = RecoveryForm(form_data(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            recovery = services.record_recovery(
                allocation=allocation,
                amount=data["amount"],
                paid_on=data["paid_on"],
                by=request.user,
                reason=data["reason"],
                recovery_reason=data["recovery_reason"],
                reference=data["reference"].strip(),
            )
        except ValidationError as error:
            show_refusal(form, error, field="amount")
        else:
            messages.success(request, f"Recovery of £{recovery.amount:,.2f} from {allocation.recipient} recorded")
            return redirect("grants:allocation", allocation_pk=allocation.pk)
    return render(request, "grants/recovery_form.html", {"form": form, "allocation": allocation})


# Variations


@role_required(*PROGRAMME_READERS)
def variations(request):
    """Variations waiting for a second officer's approval, then the latest decided."""
    visible = Variation.objects.for_user(request.user).select_related(
        "grant__project", "allocation__recipient", "requested_by", "decided_by"
    )
    pending = visible.pending().order_by("requested_at", "pk")
    decided = VariationTable(
        visible.exclude(status=Variation.Status.PENDING), caption="Decided variations", order_by="-decision"
    )
    sort_and_page(request, decided)
    context = {
        "pending": pending,
        "decided": decided,
        "can_decide": request.user.is_officer,
        "threshold": settings.VARIATION_APPROVAL_THRESHOLD,
    }
    return render(request, "grants/variations.html", context)


@role_required(*OFFICERS)
@require_POST
def variation_decide(request, variation_pk):
    variation = get_object_or_404(Variation.objects.for_user(request.user), pk=variation_pk)
    form = VariationDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("grants:variations")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.decide_variation(variation=variation, by=request.user, approve=approve, note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{variation} {'approved and applied' if approve else 'rejected'}")
    return redirect("grants:variations")


# Spend returns


@role_required(*RECIPIENTS)
def spend_return_create(request, allocation_pk):
    allocation = get_object_or_404(
        Allocation.objects.editable_by_recipient(request.user).select_related("grant__project", "recipient"),
        pk=allocation_pk,
    )
    form = SpendReturnForm(form_data(request), allocation=allocation)
    if form.is_valid():
        data = form.cleaned_data
        try:
            spend_return = submit_spend_return(
                allocation=allocation,
                by=request.user,
                quarter=data["quarter"],
                spent=data["spent"],
                forecast=data["forecast"],
                comment=data["comment"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Spend return for {spend_return.financial_quarter} submitted")
            return redirect("grants:allocation", allocation_pk=allocation.pk)
    return render(
        request, "grants/spend_return_form.html", {"form": form, "allocation": allocation, "spend_return": None}
    )


@role_required(*RECIPIENTS)
def spend_return_edit(request, spend_return_pk):
    own = SpendReturn.objects.filter(allocation__in=Allocation.objects.editable_by_recipient(request.user))
    spend_return = get_object_or_404(
        own.select_related("allocation__grant__project", "allocation__recipient"), pk=spend_return_pk
    )
    allocation = spend_return.allocation
    if spend_return.status != SpendReturn.Status.SUBMITTED:
        messages.error(
            request, f"The return for {spend_return.financial_quarter} has been reviewed and cannot be changed"
        )
        return redirect("grants:allocation", allocation_pk=allocation.pk)
    initial = {"spent": spend_return.spent, "forecast": spend_return.forecast, "comment": spend_return.comment}
    form = SpendReturnForm(form_data(request), allocation=allocation, amending=True, initial=initial)
    if form.is_valid():
        data = form.cleaned_data
        try:
            amend_spend_return(
                spend_return=spend_return,
                by=request.user,
                spent=data["spent"],
                forecast=data["forecast"],
                comment=data["comment"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Spend return for {spend_return.financial_quarter} updated")
            return redirect("grants:allocation", allocation_pk=allocation.pk)
    return render(
        request,
        "grants/spend_return_form.html",
        {"form": form, "allocation": allocation, "spend_return": spend_return},
    )


@role_required(*OFFICERS)
@require_POST
def spend_return_review(request, spend_return_pk):
    spend_return = get_object_or_404(
        SpendReturn.objects.for_user(request.user).select_related("allocation"), pk=spend_return_pk
    )
    try:
        review_spend_return(spend_return=spend_return, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Spend return for {spend_return.financial_quarter} marked as reviewed")
    return redirect("grants:allocation", allocation_pk=spend_return.allocation_id)


def money_glossary(request):
    """What each money figure means: the same words on every page and in every file. Open to all."""
    return render(request, "help/money.html", {"terms": money.GLOSSARY})

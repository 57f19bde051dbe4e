"""Every allocation, payment and recovery is made here, whoever asks: a form,
the admin, an import or a command. The rules of DESIGN.md are checked under
row locks so that two requests at once cannot both pass a check that only
one of them may pass.

Locks are always taken in the same order (grant, then allocation, then
milestone) so that two transactions never wait on each other in a circle.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Organisation, Payment, SpendReturn

ZERO = Decimal("0.00")


class MoneyRuleError(ValidationError):
    """A request that would break one of the rules money must obey."""


def _allocated(grant_id, *, excluding=None) -> Decimal:
    rows = Allocation.objects.filter(grant_id=grant_id)
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return rows.aggregate(total=Sum("amount"))["total"] or ZERO


def net_paid(allocation_id) -> Decimal:
    totals = Payment.objects.filter(allocation_id=allocation_id).aggregate(
        paid=Sum("amount", filter=Q(kind=Payment.Kind.PAYMENT)),
        recovered=Sum("amount", filter=Q(kind=Payment.Kind.RECOVERY)),
    )
    return (totals["paid"] or ZERO) - (totals["recovered"] or ZERO)


def _positive(amount, what="The amount") -> Decimal:
    if amount is None or Decimal(amount) <= 0:
        raise MoneyRuleError(f"{what} must be more than £0")
    return Decimal(amount).quantize(Decimal("0.01"))


def save_allocation(
    *,
    grant: Grant,
    recipient: Organisation,
    financial_year: FinancialYear,
    resource: Decimal,
    capital: Decimal,
    purpose: str = "",
    allocation: Allocation | None = None,
    illustrative: bool = False,
    by=None,
) -> Allocation:
    """Create or change an allocation; the grant's allocations may not pass its award.
    ``by`` names the user in the audit history (a web request names its user anyway)."""
    with transaction.atomic():
        locked_grant = Grant.objects.select_for_update().select_related("project").get(pk=grant.pk)
        project = locked_grant.project
        takes_part = recipient.pk == project.lead_organisation_id or project.partnerships.filter(
            organisation=recipient
        ).exists()
        if not takes_part:
            raise MoneyRuleError(f"{recipient} does not take part in {project}, so it cannot have an allocation")
        if allocation is not None:
            allocation = Allocation.objects.select_for_update().get(pk=allocation.pk, grant=locked_grant)
            moved = (allocation.recipient_id, allocation.financial_year) != (recipient.pk, financial_year)
            if moved and (
                allocation.payments.exists() or allocation.spend_returns.exists() or allocation.milestones.exists()
            ):
                # Moving it would silently move the payments, returns and milestones with it.
                raise MoneyRuleError(
                    "This allocation already has payments, spend returns or milestones, "
                    "so its recipient and financial year cannot change"
                )
        else:
            allocation = Allocation(grant=locked_grant)
        # The grant row is locked, so no other request can add the same allocation meanwhile.
        duplicate = Allocation.objects.filter(
            grant=locked_grant, recipient=recipient, financial_year=financial_year
        ).exclude(pk=allocation.pk)
        if duplicate.exists():
            raise MoneyRuleError(
                f"{recipient} already has an allocation from this grant for {financial_year}: change that one instead"
            )
        allocation.recipient = recipient
        allocation.financial_year = financial_year
        allocation.resource = Decimal(resource or 0)
        allocation.capital = Decimal(capital or 0)
        allocation.purpose = purpose
        allocation.illustrative = illustrative
        amount = allocation.resource + allocation.capital
        if amount <= 0:
            raise MoneyRuleError("An allocation must be more than £0")
        others = _allocated(locked_grant.pk, excluding=allocation.pk)
        if others + amount > locked_grant.amount_awarded:
            headroom = locked_grant.amount_awarded - others
            raise MoneyRuleError(
                f"The grant's allocations would come to £{others + amount:,.2f}, more than its award of "
                f"£{locked_grant.amount_awarded:,.2f}. At most £{headroom:,.2f} can be allocated here."
            )
        if allocation.pk is not None and net_paid(allocation.pk) > amount:
            raise MoneyRuleError(
                f"£{net_paid(allocation.pk):,.2f} has already been paid against this allocation; "
                "it cannot be reduced below that."
            )
        allocation.full_clean(exclude=["grant"])
        if by is not None:
            allocation._history_user = by
        allocation.save()
        return allocation


def _lock_allocation(allocation_id) -> Allocation:
    allocation = Allocation.objects.select_related("grant", "recipient").get(pk=allocation_id)
    Grant.objects.select_for_update().get(pk=allocation.grant_id)
    return Allocation.objects.select_for_update().select_related("grant", "recipient").get(pk=allocation_id)


def _accepted_by(milestone):
    review = (
        milestone.submissions.filter(review__decision="accepted")
        .select_related("review__reviewed_by")
        .order_by("-review__reviewed_at")
        .first()
    )
    return review.review.reviewed_by if review else None


def record_payment(
    *,
    allocation: Allocation,
    amount: Decimal,
    paid_on: dt.date,
    by,
    milestone=None,
    in_advance: bool = False,
    advance_reason: str = "",
    reference: str = "",
    note: str = "",
    illustrative: bool = False,
) -> Payment:
    """Pay money against an allocation, perhaps releasing a milestone's payment."""
    from projects.models import Milestone

    amount = _positive(amount)
    if paid_on > timezone.localdate():
        raise MoneyRuleError("The payment date cannot be in the future")
    with transaction.atomic():
        allocation = _lock_allocation(allocation.pk)
        if milestone is not None:
            milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
            if milestone.allocation_id != allocation.pk:
                raise MoneyRuleError("This milestone's payment is drawn from a different allocation")
            if Payment.objects.filter(milestone=milestone, kind=Payment.Kind.PAYMENT).exists():
                raise MoneyRuleError("This milestone's payment has already been made")
            if milestone.status == Milestone.Status.ACCEPTED:
                if by is not None and _accepted_by(milestone) == by:
                    raise MoneyRuleError(
                        "You accepted this milestone, so someone else must approve its payment"
                    )
                in_advance = False
            elif not (in_advance and advance_reason.strip()):
                raise MoneyRuleError(
                    "This milestone has not been accepted: a payment in advance needs a recorded reason"
                )
        if in_advance and not advance_reason.strip():
            raise MoneyRuleError("Give the reason for paying in advance")
        paid = net_paid(allocation.pk)
        if paid + amount > allocation.amount:
            raise MoneyRuleError(
                f"Payments to {allocation.recipient} against this allocation would come to £{paid + amount:,.2f}, "
                f"more than its £{allocation.amount:,.2f}. At most £{allocation.amount - paid:,.2f} can be paid."
            )
        payment = Payment(
            allocation=allocation,
            kind=Payment.Kind.PAYMENT,
            amount=amount,
            paid_on=paid_on,
            milestone=milestone,
            in_advance=in_advance,
            advance_reason=advance_reason.strip() if in_advance else "",
            reference=reference,
            note=note,
            recorded_by=by,
            illustrative=illustrative,
        )
        payment.full_clean()
        payment._history_user = by
        payment.save()
        return payment


def pay_milestone(*, milestone, paid_on: dt.date, by, reference: str = "") -> Payment:
    """Release an accepted milestone's payment, exactly once."""
    if milestone.payment_amount is None:
        raise MoneyRuleError("This milestone does not release a payment")
    return record_payment(
        allocation=milestone.allocation,
        amount=milestone.payment_amount,
        paid_on=paid_on,
        by=by,
        milestone=milestone,
        reference=reference,
    )


def record_recovery(
    *, allocation: Allocation, amount: Decimal, paid_on: dt.date, by, reason: str, reference: str = ""
) -> Payment:
    """Recover (claw back) money paid against an allocation; never more than was paid."""
    amount = _positive(amount, "The amount recovered")
    if not reason.strip():
        raise MoneyRuleError("Give the reason for the recovery")
    if paid_on > timezone.localdate():
        raise MoneyRuleError("The recovery date cannot be in the future")
    with transaction.atomic():
        allocation = _lock_allocation(allocation.pk)
        paid = net_paid(allocation.pk)
        if amount > paid:
            raise MoneyRuleError(
                f"Only £{paid:,.2f} has been paid against this allocation, so no more than that can be recovered"
            )
        recovery = Payment(
            allocation=allocation,
            kind=Payment.Kind.RECOVERY,
            amount=amount,
            paid_on=paid_on,
            note=reason.strip(),
            reference=reference,
            recorded_by=by,
        )
        recovery.full_clean()
        recovery._history_user = by
        recovery.save()
        return recovery


def save_grant(*, grant: Grant, by) -> Grant:
    """Create a grant, or save an officer's edit; the award may not fall below what is allocated."""
    with transaction.atomic():
        if grant.pk is None:
            grant.full_clean()
            grant._history_user = by
            grant.save()
            grant.record_initial_status(by=by)
            return grant
        locked = Grant.objects.select_for_update().get(pk=grant.pk)
        allocated = _allocated(locked.pk)
        if grant.amount_awarded is not None and grant.amount_awarded < allocated:
            raise MoneyRuleError(
                f"£{allocated:,.2f} of this grant is already allocated, so the amount awarded cannot be less than that"
            )
        # Status moves only through set_status; never write back a status read before the lock.
        grant.status = locked.status
        grant.full_clean()
        grant._history_user = by
        grant.save()
        return grant


def _check_spend_figures(spent, forecast) -> tuple[Decimal, Decimal]:
    errors = {}
    if spent is None or Decimal(spent) < 0:
        errors["spent"] = "The amount spent must be £0 or more"
    if forecast is None or Decimal(forecast) < 0:
        errors["forecast"] = "The forecast must be £0 or more"
    if errors:
        raise ValidationError(errors)
    return Decimal(spent).quantize(Decimal("0.01")), Decimal(forecast).quantize(Decimal("0.01"))


def _check_submitter(allocation: Allocation, by) -> None:
    # The lead sees its partners' allocations, but each organisation accounts for its own
    # spending. A programme officer may record a return a council sent in (by email or in
    # a spreadsheet): the return then names the officer as who submitted it.
    if by.is_officer:
        return
    if not (by.is_recipient and by.organisation_id == allocation.recipient_id):
        raise PermissionDenied(
            "Only the organisation that receives this allocation, or a programme officer, can submit its spend returns"
        )


def submit_spend_return(
    *, allocation: Allocation, by, quarter: int, spent: Decimal, forecast: Decimal, comment: str = ""
) -> SpendReturn:
    """A recipient's return for one quarter of its allocation's year: one per quarter, none ahead of time."""
    _check_submitter(allocation, by)
    spent, forecast = _check_spend_figures(spent, forecast)
    if quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": "Choose a quarter from 1 to 4"})
    period = allocation.financial_year.quarter(quarter)
    if period.start > timezone.localdate():
        raise ValidationError(
            {"quarter": f"{period} has not started yet: a return can only be made once its quarter has begun"}
        )
    duplicate = ValidationError(
        {"quarter": f"A return for {period} has already been made: change that one instead"}
    )
    with transaction.atomic():
        # Two returns for the same quarter sent at once queue on the allocation's row lock,
        # so the second sees the first; the unique constraint stays as the last line.
        allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
        if SpendReturn.objects.filter(allocation=allocation, quarter=quarter).exists():
            raise duplicate
        spend_return = SpendReturn(
            allocation=allocation,
            quarter=quarter,
            spent=spent,
            forecast=forecast,
            comment=(comment or "").strip(),
            submitted_by=by,
            submitted_at=timezone.now(),
        )
        spend_return.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                spend_return._history_user = by
                spend_return.save()
        except IntegrityError:
            raise duplicate from None
        return spend_return


def amend_spend_return(
    *, spend_return: SpendReturn, by, spent: Decimal, forecast: Decimal, comment: str = ""
) -> SpendReturn:
    """Correct a return that has not been reviewed yet."""
    spent, forecast = _check_spend_figures(spent, forecast)
    with transaction.atomic():
        locked = SpendReturn.objects.select_for_update().select_related("allocation").get(pk=spend_return.pk)
        _check_submitter(locked.allocation, by)
        if locked.status != SpendReturn.Status.SUBMITTED:
            raise ValidationError("This return has been reviewed, so it can no longer be changed")
        locked.spent = spent
        locked.forecast = forecast
        locked.comment = (comment or "").strip()
        locked.submitted_by = by
        locked.submitted_at = timezone.now()
        locked.full_clean(validate_unique=False, validate_constraints=False)
        locked._history_user = by
        locked.save()
        return locked


def review_spend_return(*, spend_return: SpendReturn, by) -> SpendReturn:
    """A programme officer marks a return as reviewed; after that it cannot be changed."""
    if not by.is_officer:
        raise PermissionDenied("Only a programme officer can review a spend return")
    with transaction.atomic():
        locked = SpendReturn.objects.select_for_update().get(pk=spend_return.pk)
        if locked.status != SpendReturn.Status.SUBMITTED:
            raise ValidationError("This return has already been reviewed")
        locked.status = SpendReturn.Status.REVIEWED
        locked.reviewed_by = by
        locked.reviewed_at = timezone.now()
        locked._history_user = by
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        return locked

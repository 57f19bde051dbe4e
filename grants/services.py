"""Every allocation, variation, milestone payment, payment, recovery, spend return
and closure is made here, whoever asks: a form, the admin, an import or a
command. The rules of DESIGN.md are checked under row locks so that two requests
at once cannot both pass a check that only one of them may pass, and each
allocation's kept balance (grants.money.refresh_balance) is rewritten in the
same transaction as the rows it sums.

Locks are always taken in the same order (grant, then allocation, then
milestone; several of one kind in key order) so that two transactions never
wait on each other in a circle. Headroom is worked out from the ledger rows
under those locks, never from a balance read before them.
"""

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.templatetags.govuk import money as pounds  # one money format: -£12.00, not £-12.00
from grants import money, notices
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Organisation, Payment, RecoveryReason, Variation

log = logging.getLogger(__name__)


def _log_after_commit(message: str, *args) -> None:
    """A line in the service's log for each money move, written once it is committed: a move
    that rolled back never appears."""
    transaction.on_commit(lambda: log.info(message, *args))


ZERO = Decimal("0.00")


class MoneyRuleError(ValidationError):
    """A request that would break one of the rules money must obey."""


def _allocated(grant_id, *, excluding=None) -> Decimal:
    rows = Allocation.objects.filter(grant_id=grant_id)
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return money.totals(rows).allocated


def refuse_if_closed(grant: Grant, what: str) -> None:
    """A closed or withdrawn project's grants, and a closed or withdrawn grant, take only recoveries."""
    project = grant.project
    if project.status in ("closed", "withdrawn"):
        raise MoneyRuleError(
            f"{project.reference} is {project.get_status_display().lower()}, so its grants take no new {what}; "
            "only a recovery can be recorded"
        )
    if grant.status in (Grant.Status.CLOSED, Grant.Status.WITHDRAWN):
        raise MoneyRuleError(
            f"This grant is {grant.get_status_display().lower()}, so it takes no new {what}; "
            "only a recovery can be recorded"
        )


def describe_headroom(figures: money.Figures) -> str:
    parts = [
        f"allocated {pounds(figures.allocated)}",
        f"net paid {pounds(figures.net_paid)}",
        f"committed to milestones {pounds(figures.committed)}",
    ]
    if figures.held:
        parts.append(f"recovered and held {pounds(figures.held)}")
    return f"The allocation's headroom is {pounds(figures.headroom)} ({', '.join(parts)})"


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
    reason: str = "",
) -> Allocation:
    """Create an allocation, or change one as a variation (``reason`` says why); the grant's
    allocations may not pass its award, and an allocation may not fall below what is paid and
    committed from it. A change larger than VARIATION_APPROVAL_THRESHOLD waits for a second
    officer (``allocation.pending_variation`` is then set and nothing else changes).
    ``by`` names the user in the audit history (a web request names its user anyway)."""
    with transaction.atomic():
        locked_grant = Grant.objects.select_for_update().select_related("project").get(pk=grant.pk)
        project = locked_grant.project
        if allocation is None:
            refuse_if_closed(locked_grant, "allocation")
        takes_part = (
            recipient.pk == project.lead_organisation_id or project.partnerships.filter(organisation=recipient).exists()
        )
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
        before = (allocation.resource or ZERO) + (allocation.capital or ZERO) if allocation.pk else None
        allocation.recipient = recipient
        allocation.financial_year = financial_year
        allocation.resource = Decimal(resource or 0).quantize(money.PENNY)
        allocation.capital = Decimal(capital or 0).quantize(money.PENNY)
        allocation.purpose = purpose
        allocation.illustrative = illustrative
        amount = allocation.resource + allocation.capital
        if amount <= 0:
            raise MoneyRuleError("An allocation must be more than £0")
        if before is not None and amount > before:
            refuse_if_closed(locked_grant, "allocation")
        # Checked before a variation is recorded, so that one waiting for approval never asks for
        # figures the allocation could not hold (a negative resource, say).
        allocation.full_clean(exclude=["grant"])
        others = _allocated(locked_grant.pk, excluding=allocation.pk)
        if others + amount > locked_grant.amount_awarded:
            headroom = locked_grant.amount_awarded - others
            raise MoneyRuleError(
                f"The grant's allocations would come to £{others + amount:,.2f}, more than its award of "
                f"£{locked_grant.amount_awarded:,.2f}. At most £{headroom:,.2f} can be allocated here."
            )
        variation = None
        if allocation.pk is not None:
            figures = money.ledger_figures(allocation.pk)
            floor = figures.net_paid + figures.committed
            if amount < floor:
                raise MoneyRuleError(
                    f"{pounds(figures.net_paid)} has been paid (net of recoveries) and {pounds(figures.committed)} "
                    f"is committed to milestone payments from this allocation, so it cannot be less than "
                    f"{pounds(floor)}. To cut it further, first reduce or remove the milestone payments "
                    "still to be made, or record a recovery."
                )
            if amount != before or (figures.held and (reason or "").strip()):
                variation = _record_variation(
                    grant=locked_grant,
                    allocation=allocation,
                    before=before,
                    after=amount,
                    reason=reason,
                    by=by,
                    held=figures.held,
                )
                if variation.status == Variation.Status.PENDING:
                    # Nothing changes until a second officer approves.
                    allocation.refresh_from_db()
                    allocation.pending_variation = variation
                    return allocation
        if by is not None:
            allocation._history_user = by
        allocation.save()
        money.refresh_balance(allocation.pk)
        allocation.pending_variation = None
        return allocation


def _needs_approval(before: Decimal, after: Decimal) -> bool:
    return abs(after - before) > Decimal(settings.VARIATION_APPROVAL_THRESHOLD)


def _record_variation(*, grant, allocation, before, after, reason, by, held=ZERO):
    """The variation row for a change about to be made (or waiting for approval)."""
    reason = (reason or "").strip()
    if not reason:
        raise MoneyRuleError({"reason": "Give the reason for the variation"})
    if by is None:
        raise MoneyRuleError("A variation must name the officer who makes it")
    pending = _needs_approval(before, after)
    now = timezone.now()
    return Variation.objects.create(
        grant=grant,
        allocation=allocation,
        amount_before=before,
        amount_after=after,
        resource_after=allocation.resource if allocation is not None else None,
        capital_after=allocation.capital if allocation is not None else None,
        # A variation of an allocation re-profiles it: money recovered and held is payable again.
        releases_recovered=held if allocation is not None else ZERO,
        reason=reason,
        requested_by=by,
        requested_at=now,
        status=Variation.Status.PENDING if pending else Variation.Status.APPROVED,
        decided_by=None if pending else by,
        decided_at=None if pending else now,
    )


def decide_variation(*, variation: Variation, by, approve: bool, note: str = "") -> Variation:
    """A second programme officer approves (and so applies) or rejects a variation waiting for approval."""
    if not by.is_officer:
        raise PermissionDenied("Only a programme officer can decide a variation")
    if not approve and not (note or "").strip():
        raise MoneyRuleError({"note": "Say why the variation is rejected"})
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("project").get(pk=variation.grant_id)
        locked = Variation.objects.select_for_update().get(pk=variation.pk)
        if locked.status != Variation.Status.PENDING:
            raise MoneyRuleError("This variation has already been decided")
        if locked.requested_by_id == by.pk:
            raise MoneyRuleError("You asked for this variation, so another programme officer must decide it")
        if approve:
            current = (
                grant.amount_awarded
                if locked.allocation_id is None
                else (Allocation.objects.filter(pk=locked.allocation_id).values_list("amount", flat=True).get())
            )
            if current != locked.amount_before:
                # Applying it would record a "before" that is no longer true and undo the change made since.
                raise MoneyRuleError(
                    f"This variation was asked for when the amount was {pounds(locked.amount_before)}; it is now "
                    f"{pounds(current)}. Reject it, and ask for a new variation from the amount as it stands."
                )
            if locked.amount_after > locked.amount_before:
                refuse_if_closed(grant, "allocation" if locked.allocation_id else "increase of its award")
            if locked.allocation_id is None:
                _apply_award(grant, locked.amount_after, by=by)
            else:
                _apply_allocation_variation(grant, locked, by=by)
        locked.status = Variation.Status.APPROVED if approve else Variation.Status.REJECTED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = (note or "").strip()
        locked.save()
        if locked.allocation_id is not None:
            money.refresh_balance(locked.allocation_id)
        _log_after_commit(
            "Variation %s of grant %s (%s to %s) %s by %s",
            locked.pk,
            grant.pk,
            pounds(locked.amount_before),
            pounds(locked.amount_after),
            locked.status,
            by,
        )
        return locked


def _apply_allocation_variation(grant: Grant, variation: Variation, *, by) -> None:
    allocation = Allocation.objects.select_for_update().get(pk=variation.allocation_id, grant=grant)
    amount = variation.amount_after
    others = _allocated(grant.pk, excluding=allocation.pk)
    if others + amount > grant.amount_awarded:
        raise MoneyRuleError(
            f"The grant's allocations would come to {pounds(others + amount)}, more than its award of "
            f"{pounds(grant.amount_awarded)}: the money has been allocated elsewhere since this was asked for"
        )
    figures = money.ledger_figures(allocation.pk)
    if amount < figures.net_paid + figures.committed:
        raise MoneyRuleError(
            f"{pounds(figures.net_paid + figures.committed)} is now paid or committed from this allocation, "
            "more than the varied amount"
        )
    allocation.resource = variation.resource_after
    allocation.capital = variation.capital_after
    variation.releases_recovered = figures.held
    allocation.full_clean(exclude=["grant"])
    allocation._history_user = by
    allocation.save()


def _apply_award(grant: Grant, amount: Decimal, *, by) -> None:
    allocated = _allocated(grant.pk)
    if amount < allocated:
        raise MoneyRuleError(f"{pounds(allocated)} of this grant is allocated, so the award cannot be less than that")
    if grant.original_amount is None:
        grant.original_amount = grant.amount_awarded
    grant.amount_awarded = amount
    grant.full_clean()
    grant._history_user = by
    grant.save(update_fields=["amount_awarded", "original_amount", "modified_at"])


def _lock_allocation(allocation_id) -> Allocation:
    allocation = Allocation.objects.select_related("grant", "recipient").get(pk=allocation_id)
    Grant.objects.select_for_update().get(pk=allocation.grant_id)
    return Allocation.objects.select_for_update().select_related("grant__project", "recipient").get(pk=allocation_id)


def _accepted_by(milestone):
    review = (
        milestone.submissions.filter(review__decision="accepted")
        .select_related("review__reviewed_by")
        .order_by("-review__reviewed_at")
        .first()
    )
    return review.review.reviewed_by if review else None


def _check_payment_date(grant: Grant, paid_on: dt.date, late_reason: str, what="payment") -> None:
    if paid_on > timezone.localdate():
        raise MoneyRuleError({"paid_on": f"The {what} date cannot be in the future"})
    if paid_on < grant.award_date:
        raise MoneyRuleError(
            {"paid_on": f"The {what} date cannot be before the grant was awarded on {grant.award_date:%-d %B %Y}"}
        )
    if what == "payment" and paid_on > grant.planned_end and not late_reason.strip():
        raise MoneyRuleError(
            {
                "paid_on": f"The grant's planned end was {grant.planned_end:%-d %B %Y}: give the reason for a final "
                "payment after it"
            }
        )


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
    late_reason: str = "",
    illustrative: bool = False,
) -> Payment:
    """Pay money against an allocation, perhaps releasing a milestone's payment. Never beyond the
    allocation's headroom: money committed to other milestones, or recovered and held, is not payable."""
    amount = _positive(amount)
    late_reason = (late_reason or "").strip()
    with transaction.atomic():
        allocation = _lock_allocation(allocation.pk)
        refuse_if_closed(allocation.grant, "payment")
        _check_payment_date(allocation.grant, paid_on, late_reason)
        figures = money.ledger_figures(allocation.pk)
        available = figures.headroom
        if milestone is not None:
            # The milestone's own model (projects sits above the money, so it is not imported here).
            milestone = type(milestone).objects.select_for_update().get(pk=milestone.pk)
            if milestone.allocation_id != allocation.pk:
                raise MoneyRuleError("This milestone's payment is drawn from a different allocation")
            if Payment.objects.filter(milestone=milestone, kind=Payment.Kind.PAYMENT).exists():
                raise MoneyRuleError("This milestone's payment has already been made")
            if milestone.status == milestone.Status.ACCEPTED:
                if by is not None and _accepted_by(milestone) == by:
                    raise MoneyRuleError("You accepted this milestone, so someone else must approve its payment")
                if milestone.payment_amount is not None and amount != milestone.payment_amount:
                    # The caller may hold the milestone as it was before an officer changed its payment.
                    raise MoneyRuleError(
                        {
                            "amount": f"This milestone releases {pounds(milestone.payment_amount)}, so its payment "
                            "is that amount"
                        }
                    )
                in_advance = False
            elif not (in_advance and advance_reason.strip()):
                raise MoneyRuleError(
                    "This milestone has not been accepted: a payment in advance needs a recorded reason"
                )
            if milestone.payment_amount is not None:
                # The milestone's own commitment becomes this payment.
                available += milestone.payment_amount
        if in_advance and not advance_reason.strip():
            raise MoneyRuleError("Give the reason for paying in advance")
        if amount > available:
            raise MoneyRuleError(
                {
                    "amount": f"Payments to {allocation.recipient} cannot pass the allocation's headroom. "
                    f"{describe_headroom(figures)}, so at most {pounds(max(available, ZERO))} can be paid. "
                    "To pay more, a programme officer must vary the allocation."
                }
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
            late_reason=late_reason if paid_on > allocation.grant.planned_end else "",
            recorded_by=by,
            illustrative=illustrative,
        )
        payment.full_clean()
        payment._history_user = by
        payment.save()
        money.refresh_balance(allocation.pk)
        notices.payment_made(payment)
        _log_after_commit(
            "Payment %s: %s to organisation %s from allocation %s (grant %s)%s, paid on %s, by %s",
            payment.pk,
            pounds(amount),
            allocation.recipient_id,
            allocation.pk,
            allocation.grant_id,
            f" for milestone {milestone.pk}" if milestone is not None else "",
            paid_on,
            by,
        )
        return payment


def pay_milestone(*, milestone, paid_on: dt.date, by, reference: str = "", late_reason: str = "") -> Payment:
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
        late_reason=late_reason,
    )


def record_recovery(
    *,
    allocation: Allocation,
    amount: Decimal,
    paid_on: dt.date,
    by,
    reason: str,
    recovery_reason: str = "",
    reference: str = "",
    illustrative: bool = False,
) -> Payment:
    """Recover (claw back) money paid against an allocation; never more than was paid.

    ``recovery_reason`` is one of RecoveryReason (underspend returned, overpayment, breach of
    conditions) and ``reason`` the officer's words. The money recovered is held: it is not
    payable again until a variation of the allocation re-profiles it. A closed project's grants
    still take recoveries.
    """
    amount = _positive(amount, "The amount recovered")
    if recovery_reason not in RecoveryReason.values:
        raise MoneyRuleError(
            {
                "recovery_reason": "Choose why the money is recovered: underspend returned, overpayment or breach of conditions"
            }
        )
    if not (reason or "").strip():
        raise MoneyRuleError({"reason": "Give the reason for the recovery"})
    with transaction.atomic():
        allocation = _lock_allocation(allocation.pk)
        _check_payment_date(allocation.grant, paid_on, "", what="recovery")
        paid = money.ledger_figures(allocation.pk).net_paid
        if amount > paid:
            raise MoneyRuleError(
                {
                    "amount": f"Only {pounds(paid)} has been paid against this allocation (net of recoveries), "
                    "so no more than that can be recovered"
                }
            )
        recovery = Payment(
            allocation=allocation,
            kind=Payment.Kind.RECOVERY,
            amount=amount,
            paid_on=paid_on,
            note=reason.strip(),
            recovery_reason=recovery_reason,
            reference=reference,
            recorded_by=by,
            illustrative=illustrative,
        )
        recovery.full_clean()
        recovery._history_user = by
        recovery.save()
        money.refresh_balance(allocation.pk)
        _log_after_commit(
            "Recovery %s: %s from organisation %s on allocation %s (grant %s), %s, by %s",
            recovery.pk,
            pounds(amount),
            allocation.recipient_id,
            allocation.pk,
            allocation.grant_id,
            recovery_reason,
            by,
        )
        return recovery


def save_grant(*, grant: Grant, by, reason: str = "") -> Grant:
    """Create a grant, or save an officer's edit. A change of the amount awarded is a variation
    (``reason`` says why): it may not fall below what is allocated, and a change larger than
    VARIATION_APPROVAL_THRESHOLD waits for a second officer (``grant.pending_variation`` is then
    set and the amount stays as it was)."""
    with transaction.atomic():
        if grant.pk is None:
            grant.full_clean()
            grant._history_user = by
            grant.save()
            grant.record_initial_status(by=by)
            grant.pending_variation = None
            return grant
        locked = Grant.objects.select_for_update().select_related("project").get(pk=grant.pk)
        allocated = _allocated(locked.pk)
        if grant.amount_awarded is not None and grant.amount_awarded < allocated:
            raise MoneyRuleError(
                {
                    "amount_awarded": f"£{allocated:,.2f} of this grant is already allocated, so the amount awarded "
                    "cannot be less than that"
                }
            )
        grant.pending_variation = None
        if grant.amount_awarded is not None and grant.amount_awarded != locked.amount_awarded:
            if grant.amount_awarded > locked.amount_awarded:
                refuse_if_closed(locked, "increase of its award")
            variation = _record_variation(
                grant=locked,
                allocation=None,
                before=locked.amount_awarded,
                after=grant.amount_awarded,
                reason=reason,
                by=by,
            )
            if variation.status == Variation.Status.PENDING:
                grant.amount_awarded = locked.amount_awarded
                grant.pending_variation = variation
            elif locked.original_amount is None:
                grant.original_amount = locked.amount_awarded
        # Status moves only through set_status; never write back a status read before the lock.
        grant.status = locked.status
        grant.full_clean()
        grant._history_user = by
        grant.save()
        return grant

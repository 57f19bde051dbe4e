"""Quarterly spend returns: a recipient's return for each quarter of its allocation's year,
amended while it waits, reviewed by a programme officer. Kept with the money rules of
grants.services, under the allocation's lock."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from grants import money, notices
from grants.financial_year import FinancialQuarter, FinancialYear
from grants.models import Allocation, Grant, SpendReturn


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


def _check_quarter(allocation: Allocation, grant: Grant, quarter: int):
    """The quarter of the allocation's year a return is for: begun, and within the grant and the project."""
    if quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": "Choose a quarter from 1 to 4"})
    period = allocation.financial_year.quarter(quarter)
    if period.start > timezone.localdate():
        raise ValidationError(
            {"quarter": f"{period} has not started yet: a return can only be made once its quarter has begun"}
        )
    if period.end < grant.award_date:
        raise ValidationError(
            {"quarter": f"{period} ended before the grant was awarded on {grant.award_date:%-d %B %Y}"}
        )
    if period.start > grant.project.end_date:
        raise ValidationError(
            {"quarter": f"{period} starts after the project ended on {grant.project.end_date:%-d %B %Y}"}
        )
    return period


def _duplicate(period) -> ValidationError:
    return ValidationError({"quarter": f"A return for {period} has already been made: change that one instead"})


def submit_spend_return(
    *, allocation: Allocation, by, quarter: int, spent: Decimal, forecast: Decimal, comment: str = ""
) -> SpendReturn:
    """A recipient's return for one quarter of its allocation's year: one per quarter, none ahead of time."""
    _check_submitter(allocation, by)
    spent, forecast = _check_spend_figures(spent, forecast)
    grant = Grant.objects.select_related("project").get(pk=allocation.grant_id)
    period = _check_quarter(allocation, grant, quarter)
    duplicate = _duplicate(period)
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
        money.refresh_balance(allocation.pk)
        notices.spend_returns_submitted([spend_return], by=by)
        return spend_return


def amend_spend_return(
    *, spend_return: SpendReturn, by, spent: Decimal, forecast: Decimal, comment: str = ""
) -> SpendReturn:
    """Correct a return that has not been reviewed yet."""
    spent, forecast = _check_spend_figures(spent, forecast)
    with transaction.atomic():
        Allocation.objects.select_for_update().get(pk=spend_return.allocation_id)
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
        money.refresh_balance(locked.allocation_id)
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


def _cleaned(spend_return: SpendReturn, index: int, refused: dict) -> bool:
    # The foreign keys are rows just locked and the signed-in user: checking them would cost a query each.
    try:
        spend_return.full_clean(
            exclude=["allocation", "submitted_by"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        refused[index] = error
        return False
    return True


@dataclass
class ReturnEntry:
    """One return of many sent at once: a new one, or a correction of ``current``."""

    allocation: Allocation
    quarter: int
    spent: Decimal
    forecast: Decimal
    comment: str = ""
    current: SpendReturn | None = None


def save_spend_returns(*, by, entries: list[ReturnEntry]) -> dict[int, Exception]:
    """Many returns at once (a spreadsheet), each under the rules of ``submit_spend_return`` and
    ``amend_spend_return``: every entry is checked first, and if none is refused all are written in one
    transaction, with the allocations locked once each in key order (as every money service locks
    them), the returns inserted and corrected in bulk with their history rows, and the balances
    rewritten by grouped queries. Returns the refusals by the entry's index; nothing is written when
    there is one. A few queries whatever the number of entries."""
    refused: dict[int, Exception] = {}
    grants = Grant.objects.select_related("project").in_bulk({entry.allocation.grant_id for entry in entries})
    now = timezone.now()
    checked = []
    for index, entry in enumerate(entries):
        try:
            _check_submitter(entry.allocation, by)
            spent, forecast = _check_spend_figures(entry.spent, entry.forecast)
            period = (
                None
                if entry.current
                else _check_quarter(entry.allocation, grants[entry.allocation.grant_id], entry.quarter)
            )
        except (ValidationError, PermissionDenied) as error:
            refused[index] = error
            continue
        checked.append((index, entry, spent, forecast, (entry.comment or "").strip(), period))
    if refused:
        return refused
    allocation_ids = sorted({entry.allocation.pk for entry in entries})
    with transaction.atomic():
        # The same locks as one return at a time, taken once each and in key order, so a form's return
        # sent at the same moment waits and sees these.
        list(Allocation.objects.select_for_update().filter(pk__in=allocation_ids).order_by("pk").values_list("pk"))
        made = set(SpendReturn.objects.filter(allocation_id__in=allocation_ids).values_list("allocation_id", "quarter"))
        corrected = {
            row.pk: row
            for row in SpendReturn.objects.select_for_update().filter(
                pk__in=[entry.current.pk for entry in entries if entry.current]
            )
        }
        new, changed = [], []
        for index, entry, spent, forecast, comment, period in checked:
            values = {"spent": spent, "forecast": forecast, "comment": comment, "submitted_by": by, "submitted_at": now}
            if entry.current is None:
                if (entry.allocation.pk, entry.quarter) in made:
                    refused[index] = _duplicate(period)
                    continue
                made.add((entry.allocation.pk, entry.quarter))
                spend_return = SpendReturn(allocation=entry.allocation, quarter=entry.quarter, **values)
                if _cleaned(spend_return, index, refused):
                    new.append(spend_return)
                continue
            locked = corrected[entry.current.pk]
            if locked.status != SpendReturn.Status.SUBMITTED:
                refused[index] = ValidationError("This return has been reviewed, so it can no longer be changed")
                continue
            for name, value in values.items():
                setattr(locked, name, value)
            if _cleaned(locked, index, refused):
                changed.append(locked)
        if refused:
            transaction.set_rollback(True)
            return refused
        bulk_create_with_history(new, SpendReturn, default_user=by, default_date=now)
        bulk_update_with_history(
            changed,
            SpendReturn,
            ["spent", "forecast", "comment", "submitted_by", "submitted_at"],
            default_user=by,
            default_date=now,
        )
        money.refresh_spend_balances(allocation_ids)
        # New and corrected returns alike wait for review: officers get one message for the whole sheet.
        notices.spend_returns_submitted(
            list(SpendReturn.objects.filter(allocation_id__in=allocation_ids, submitted_by=by, submitted_at=now)),
            by=by,
        )
    return {}


# --- Returns owed ---------------------------------------------------------------------------------


def due_date(quarter) -> dt.date:
    """The day a quarter's spend return is due: SPEND_RETURN_DUE_DAYS after the quarter ends."""
    return quarter.end + dt.timedelta(days=settings.SPEND_RETURN_DUE_DAYS)


@dataclass(frozen=True)
class OwedReturn:
    allocation: Allocation
    quarter: FinancialQuarter
    due: dt.date


# Projects and grants that have ended owe nothing more: their last returns are chased by hand.
_ENDED_PROJECT = ("closed", "withdrawn")
_ENDED_GRANT = (Grant.Status.CLOSED, Grant.Status.WITHDRAWN)


def owed(allocations, *, due_by: dt.date) -> list[OwedReturn]:
    """The spend returns ``allocations`` owe that fall due on or before ``due_by``, the earliest first.

    An allocation of a live project and grant owes a return for every quarter of its financial year that
    ends on or after the grant's award and overlaps the project's dates (the quarters ``submit_spend_return``
    accepts, less those before the project began), until one is made. One query."""
    last_quarter_end = due_by - dt.timedelta(days=settings.SPEND_RETURN_DUE_DAYS)
    made = {f"has_q{n}": Exists(SpendReturn.objects.filter(allocation=OuterRef("pk"), quarter=n)) for n in (1, 2, 3, 4)}
    # An allocation has at most one return a quarter, quarters 1 to 4 (spend_return_one_per_quarter): fewer
    # than four returns is a quarter missing. Counted in one probe of that index, rather than four, for each
    # allocation of a live project; which quarters are missing is read for those that pass.
    returns_made = Func(F("quarter"), function="COUNT", output_field=IntegerField())
    candidates = (
        allocations.filter(financial_year__lte=FinancialYear.of(last_quarter_end))
        .exclude(Q(grant__project__status__in=_ENDED_PROJECT) | Q(grant__status__in=_ENDED_GRANT))
        .alias(
            returns_made=Subquery(
                SpendReturn.objects.filter(allocation=OuterRef("pk")).order_by().annotate(n=returns_made).values("n")
            )
        )
        .filter(returns_made__lt=4)
        .annotate(**made)
        .select_related("grant__project", "recipient")
        .order_by("financial_year", "pk")
    )
    found = []
    for allocation in candidates:
        grant, project = allocation.grant, allocation.grant.project
        for quarter in allocation.financial_year.quarters:
            if getattr(allocation, f"has_q{quarter.number}") or quarter.end > last_quarter_end:
                continue
            if quarter.end < grant.award_date or quarter.start > project.end_date or quarter.end < project.start_date:
                continue
            found.append(OwedReturn(allocation, quarter, due_date(quarter)))
    return sorted(found, key=lambda owed_return: (owed_return.due, owed_return.allocation.pk))

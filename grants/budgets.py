"""A programme's and its rounds' budgets and dates, kept consistent with each other and with the grants
already awarded from them, whoever saves them (the set-up pages, the admin, a command).

A round is part of its programme: its dates fall within the programme's and the rounds' budgets
together never pass the programme's. A round's budget never falls below the awards already made
from it. Each save locks the programme row first (then the round), so two officers changing two
rounds of one programme at once cannot both pass the check that only one of them may pass.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from core.templatetags.govuk import money as pounds
from grants.models import Grant, Programme, Round

ZERO = Decimal("0.00")


def _day(value) -> str:
    return f"{value:%-d %B %Y}"


def awarded_from(round_: Round) -> Decimal:
    """The awards made from a round, less those of withdrawn grants: a withdrawn award is money the
    round no longer spends."""
    total = (
        Grant.objects.filter(round=round_.pk)
        .exclude(status=Grant.Status.WITHDRAWN)
        .aggregate(total=Sum("amount_awarded"))["total"]
    )
    return total or ZERO


def _rounds_budget(programme_pk, *, excluding=None) -> Decimal:
    rows = Round.objects.filter(programme=programme_pk)
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return rows.aggregate(total=Sum("budget"))["total"] or ZERO


def save_programme(*, programme: Programme, by) -> Programme:
    """Create a programme or save an officer's change to one. Refused (ValidationError naming the
    field) when its budget falls below its rounds' budgets or its dates no longer hold its rounds."""
    with transaction.atomic():
        errors = {}
        if programme.pk is not None:
            Programme.objects.select_for_update().get(pk=programme.pk)
            rounds_total = _rounds_budget(programme.pk)
            if programme.budget is not None and programme.budget < rounds_total:
                errors["budget"] = (
                    f"The programme's rounds have budgets of {pounds(rounds_total)} between them, so its budget "
                    "cannot be less than that. Reduce a round's budget first."
                )
            rounds = Round.objects.filter(programme=programme.pk)
            if programme.start_date and (early := rounds.filter(start_date__lt=programme.start_date).first()):
                errors["start_date"] = (
                    f"{early.name} starts on {_day(early.start_date)}, so the programme cannot start after that"
                )
            if programme.end_date and (late := rounds.filter(end_date__gt=programme.end_date).first()):
                errors["end_date"] = (
                    f"{late.name} ends on {_day(late.end_date)}, so the programme cannot end before that"
                )
        if errors:
            raise ValidationError(errors)
        programme.full_clean()
        programme._history_user = by
        programme.save()
        return programme


def save_round(*, round_: Round, by) -> Round:
    """Create a round or save an officer's change to one. Refused (ValidationError naming the field)
    when its dates fall outside its programme's, its budget below the awards made from it, or the
    rounds' budgets together above the programme's."""
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=round_.programme_id)
        if round_.pk is not None:
            Round.objects.select_for_update().get(pk=round_.pk, programme=programme)
        errors = {}
        if round_.start_date and round_.start_date < programme.start_date:
            errors["start_date"] = (
                f"{programme.name} starts on {_day(programme.start_date)}: a round cannot start before its programme"
            )
        if round_.end_date and round_.end_date > programme.end_date:
            errors["end_date"] = (
                f"{programme.name} ends on {_day(programme.end_date)}: a round cannot end after its programme"
            )
        if round_.budget is not None:
            others = _rounds_budget(programme.pk, excluding=round_.pk)
            if others + round_.budget > programme.budget:
                errors["budget"] = (
                    f"The programme's budget is {pounds(programme.budget)} and its other rounds have "
                    f"{pounds(others)}, so this round's budget can be at most {pounds(programme.budget - others)}"
                )
            elif round_.pk is not None and round_.budget < (awarded := awarded_from(round_)):
                errors["budget"] = (
                    f"{pounds(awarded)} has already been awarded from this round, so its budget cannot be less than that"
                )
        duplicate = Round.objects.filter(programme=programme, number=round_.number).exclude(pk=round_.pk)
        if round_.number is not None and duplicate.exists():
            errors["number"] = f"{programme.name} already has a round {round_.number}"
        if errors:
            raise ValidationError(errors)
        round_.full_clean()
        round_._history_user = by
        round_.save()
        return round_

"""The money as it stood at the end of a day: the rows counted then, and allocations and awards as
their audit history had them. Reconciliation as at a date reads these; ``grants.money`` sums them.

"As at" a day means as recorded by the end of that day (DESIGN.md): a payment or recovery made on or
before the day and recorded by then, a spend return submitted by then, and an allocation or award as
its audit history (django-simple-history) had it then. What was recorded later, even about earlier
days, is left out.
"""

import datetime as dt

from django.apps import apps
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone


def end_of_day(day):
    """The first moment after ``day`` (local time): what was recorded before it was recorded on the day."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def payments_as_at(payments, day):
    """Of ``payments`` (and recoveries), those counted as at the end of ``day``: made on or before it and
    recorded by then."""
    return payments.filter(paid_on__lte=day, recorded_at__lt=end_of_day(day))


def returns_as_at(returns, day):
    """Of spend ``returns``, those submitted by the end of ``day``."""
    return returns.filter(submitted_at__lt=end_of_day(day))


def latest_returns_as_at(returns, day, *, up_to_quarter: int | None = None):
    """Of ``returns``, each allocation's latest (highest quarter, up to ``up_to_quarter``) of those submitted by
    the end of ``day``: the one whose forecast counted then. A return submitted later hides none."""
    SpendReturn = apps.get_model("grants", "SpendReturn")
    later = returns_as_at(SpendReturn.objects.all(), day).filter(
        allocation=OuterRef("allocation"), quarter__gt=OuterRef("quarter")
    )
    if up_to_quarter:
        later = later.filter(quarter__lte=up_to_quarter)
    return returns_as_at(returns, day).filter(~Exists(later))


def _as_recorded(history, day):
    """Each object's latest historical row by the end of ``day`` (ties on the time broken by the row's id),
    leaving out objects created later or deleted by then."""
    moment = end_of_day(day)
    rows = history.filter(history_date__lt=moment)
    later = history.filter(history_date__lt=moment, id=OuterRef("id")).filter(
        Q(history_date__gt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__gt=OuterRef("history_id"))
    )
    return rows.filter(~Exists(later)).exclude(history_type="-")


def allocations_as_at(day):
    """Allocations as they stood at the end of ``day``, as historical rows (``id`` is the allocation's key,
    ``amount`` what was allocated then). Allocations made later are not among them."""
    return _as_recorded(apps.get_model("grants", "Allocation").history.all(), day)


def grants_as_at(day):
    """Grants as they stood at the end of ``day``, as historical rows (``amount_awarded`` is the award then)."""
    return _as_recorded(apps.get_model("grants", "Grant").history.all(), day)

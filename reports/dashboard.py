"""The staff dashboard's figures: each programme's money, the milestones to act on,
the projects by rating and the forecast outturn (reports/outturn.py) of the year it opens on.

Every list is cut to DASHBOARD_LIST_LIMIT rows and says how many there are in all,
so the page's size and queries stay the same however large the programme."""

from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse

from grants import money
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Payment, Programme
from projects.filters import NOT_RATED
from projects.models import Milestone, Project
from reports.outturn import forecast_outturn

DUE_SOON_DAYS = 30
DASHBOARD_LIST_LIMIT = 20


class Shown(list):
    """The first rows of a list, and how many rows there are in all."""

    def __init__(self, rows, total):
        super().__init__(rows)
        self.total = total

    @property
    def more(self) -> int:
        return self.total - len(self)


def _first(queryset, limit=DASHBOARD_LIST_LIMIT) -> Shown:
    return Shown(queryset[:limit], queryset.count())


def _grouped(queryset, key, **aggregates):
    return {row[key]: row for row in queryset.values(key).annotate(**aggregates).order_by()}


def _waiting(submitted, limit=DASHBOARD_LIST_LIMIT) -> Shown:
    """The submitted milestones waiting longest for a review, by their latest submission. Which ones is worked
    out over the milestones' ids and submission times alone, in a subquery; only the rows shown are read whole,
    and the count needs no submissions at all."""
    latest = Max("submissions__submitted_at")
    first = submitted.values("pk").annotate(submitted_at=latest).order_by("submitted_at", "pk").values("pk")[:limit]
    rows = submitted.filter(pk__in=first).annotate(submitted_at=latest).order_by("submitted_at", "pk")
    return Shown(rows, submitted.count())


def programme_money(user):
    """Budget and awarded for each programme, then allocated, net paid, committed, headroom and spent
    added up from the allocations' kept balances (grants.money): one grouped query for the awards and
    one for the allocations."""
    awarded = _grouped(
        Grant.objects.for_user(user),
        "round__programme",
        total=Coalesce(Sum("amount_awarded"), money.ZERO_VALUE, output_field=money.MONEY),
        invented=Count("pk", filter=Q(illustrative=True)),
    )
    allocations = _grouped(Allocation.objects.for_user(user), "grant__round__programme", **money.shown_sums())
    result = []
    for programme in Programme.objects.order_by("name"):
        row = awarded.get(programme.pk, {"total": Decimal("0.00"), "invented": 0})
        figures = [
            money.ShownFigure("Budget", programme.budget, programme.budget_is_illustrative),
            money.ShownFigure("Awarded", row["total"], row["invented"] > 0, "awarded"),
            *money.shown_figures(allocations.get(programme.pk, money.NO_ALLOCATIONS)),
        ]
        result.append((programme, figures))
    return result


def _ratings(user):
    """How many projects have each RAG rating (and none), each with a link to the list of them."""
    counts = {
        row["rag"]: row["count"]
        for row in Project.objects.for_user(user).values("rag").annotate(count=Count("pk")).order_by()
    }
    list_url = reverse("projects:list")
    ratings = [(value, label, counts.get(value, 0), f"{list_url}?rag={value}") for value, label in Project.Rag.choices]
    ratings.append(("", "Not rated", counts.get("", 0), f"{list_url}?rag={NOT_RATED}"))
    return ratings


def latest_year_with_money(user, until: FinancialYear) -> FinancialYear | None:
    """The latest financial year up to ``until`` in which ``user`` sees money: allocations by their year,
    payments by payment date and spend by its return's year (the spending report's bases). Two queries, each
    read from an index's end (allocations by year, payments by date) rather than over every row: spend is read
    from the allocations' kept balances (a return's spend is never negative, so an allocation has spend exactly
    when its balance does), not from every return."""
    with_money = Q(resource__gt=0) | Q(capital__gt=0) | Q(balance__spent__gt=0)
    latest = [
        Allocation.objects.for_user(user)
        .filter(with_money, financial_year__lte=until)
        .order_by("-financial_year")
        .values_list("financial_year", flat=True)
        .first()
    ]
    paid_on = (
        Payment.objects.for_user(user)
        .filter(paid_on__lte=until.end)
        .order_by("-paid_on")
        .values_list("paid_on", flat=True)
        .first()
    )
    if paid_on is not None:
        latest.append(FinancialYear.of(paid_on))
    return max((year for year in latest if year is not None), default=None)


def opening_year(user, today) -> tuple[FinancialYear, str]:
    """The year the dashboard opens on, and why: the current financial year while it has money in it,
    otherwise the latest year before it that has (a programme that ended in 2020 opens on its last
    year, not on an empty one); the current year when no money has been recorded."""
    current = FinancialYear.of(today)
    latest = latest_year_with_money(user, current)
    if latest is None:
        return current, "the current financial year: no money has been recorded for it or any year before it"
    if latest == current:
        return current, "the current financial year"
    return latest, f"the latest financial year with money recorded: there is none in {current}, the current one"


def dashboard_figures(user, today) -> dict:
    """What the dashboard shows ``user`` on ``today``."""
    year, year_reason = opening_year(user, today)
    milestones = Milestone.objects.for_user(user).select_related("project", "organisation")
    return {
        "today": today,
        "due_soon_caption": f"Milestones due in the next {DUE_SOON_DAYS} days",
        "programmes": programme_money(user),
        "overdue": _first(milestones.overdue(today).order_by("due_date", "pk")),
        "due_soon": _first(milestones.due_within(DUE_SOON_DAYS, today).order_by("due_date", "pk")),
        "waiting": _waiting(milestones.filter(status=Milestone.Status.SUBMITTED)),
        "ratings": _ratings(user),
        "year": year,
        "year_reason": year_reason,
        "outturn": forecast_outturn(user, year=year),
    }

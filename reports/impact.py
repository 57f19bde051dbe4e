"""The impact report: each outcome result against its baseline and target, the
evidence behind it, and what the projects evaluated have spent.

Everything a page needs comes from a fixed number of queries, however many
projects and results there are: the measures' order and the results numbered and
counted by strength of evidence (one query each, the second of ids), the results
shown with their measure, authority and evaluation (one query), the evaluations'
ratings and projects (one prefetch each), and the money summed in the database
(the projects behind the results, their awards and their spend, which holds the
rows', and the first projects listed: one query each). The downloads read every
result, in chunks. Spend is ``grants.money``'s spent, added up from the allocations'
kept balances. Each sum says whether an invented (illustrative) demo row lies behind
it, and so does every figure worked out from it.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db.models import (
    Case,
    Count,
    F,
    Prefetch,
    Q,
    Sum,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Least, RowNumber
from django.http import QueryDict

from evaluations.impact import figure, signed_change
from evaluations.models import Evaluation, EvidenceRating, EvidenceStrength, OutcomeMeasure, OutcomeResult, plain
from grants import money
from grants.models import Allocation, Grant
from projects.models import Project
from reports.chart import HorizontalBarChart, horizontal_bar_chart

PENNY = Decimal("0.01")
Unit = OutcomeMeasure.Unit

# Why spend divided by the change is no cost per outcome for a measure that is not a count.
_NOT_A_COUNT = {
    Unit.PER_10000: "a rate per 10,000 children is not a count of children helped",
    Unit.PERCENT: "a percentage is not a count of children helped",
    Unit.GBP: "a cost is not an outcome",
    Unit.DAYS: "a number of days is not a count of children helped",
    Unit.NUMBER: "this measure does not count children, families or cases",
}


@dataclass
class Row:
    """One outcome result as the report shows it."""

    result: OutcomeResult
    projects: list[Project]
    spend: Decimal | None  # None when the reader may not see the money
    cost_per_outcome: Decimal | None = None
    cost_note: str = ""
    spend_illustrative: bool = False  # an invented spend return lies behind the spend

    @property
    def cost_illustrative(self) -> bool:
        """The cost per outcome sets the spend against the result: invented if either is."""
        return self.cost_per_outcome is not None and (self.spend_illustrative or self.result.illustrative)

    @property
    def measure(self):
        return self.result.measure

    @property
    def evaluation(self):
        return self.result.evaluation

    @property
    def unit(self):
        return self.result.measure.unit

    @cached_property
    def shown(self) -> dict[str, str]:
        result, unit = self.result, self.unit
        return {
            "baseline": figure(result.baseline_value, unit),
            "followup": figure(result.followup_value, unit),
            "target": figure(result.target_value, unit),
            "comparison": figure(result.comparison_value, unit),
            "change": signed_change(result.change, unit),
            "change_percent": ""
            if result.change_percent is None
            else f"{'+' if result.change_percent > 0 else ''}{plain(result.change_percent)}%",
        }

    @property
    def where(self) -> str:
        return self.result.where

    @cached_property
    def rating(self) -> dict:
        evaluation = self.evaluation
        return {
            "maryland": evaluation.maryland_level,
            "effectiveness": evaluation.rating_on(EvidenceRating.Scale.WWCSC_EFFECTIVENESS),
            "strength": evaluation.rating_on(EvidenceRating.Scale.WWCSC_STRENGTH),
            "maryland_rating": evaluation.rating_on(EvidenceRating.Scale.MARYLAND),
        }


def cost_per_outcome(result: OutcomeResult, spend: Decimal | None) -> tuple[Decimal | None, str]:
    """Spend to date divided by the improvement, for a measure that counts children,
    families or cases; otherwise None and the reason, in words."""
    measure = result.measure
    if result.comparison_group:
        return None, "Not worked out: a comparison group's figure, not the project's"
    if not measure.is_count:
        return None, f"Not worked out: {_NOT_A_COUNT[measure.unit]}"
    if result.followup_value is None:
        return None, "Not worked out: no follow-up figure yet"
    improvement = result.improvement
    if improvement is None:
        return None, f"Not worked out: {result.judgement_label.lower()}, no improvement to divide by"
    if not spend:
        return None, "Not worked out: no spending recorded yet"
    each = "fewer" if measure.lower_is_better else "more"
    cost = (spend / improvement).quantize(PENNY)
    return cost, f"£{cost:,.2f} for each one {each}, counting all the spending of the projects evaluated"


def prefetches(user, *, through: str = "evaluation__") -> list[Prefetch]:
    """What each result's row reads besides its own columns: its evaluation's ratings and the projects
    evaluated that the user may see (prefetched on the results, or with ``through=""`` on their evaluations)."""
    return [
        Prefetch(f"{through}ratings", queryset=EvidenceRating.objects.order_by("scale")),
        Prefetch(
            f"{through}projects",
            queryset=Project.objects.for_user(user).select_related("lead_organisation").order_by("reference"),
        ),
    ]


# The report's order: by outcome area and measure, then evaluation, then authority (overall results first).
MEASURE_ORDER = ("outcome_area__name", "name")
ORDERING = (
    *(F(f"measure__{name}").asc() for name in MEASURE_ORDER),
    F("evaluation__title").asc(),
    F("authority__name").asc(nulls_first=True),
    F("pk").asc(),
)


# What a row on the web page reads of the result's own relations, joined in its query; the downloads also name
# each result's evaluator and source report.
ON_THE_PAGE = ("measure__outcome_area", "authority", "evaluation")
RELATED = (*ON_THE_PAGE, "evaluation__evaluator_organisation", "source_report")


def results_for(user, *, project: Project | None = None):
    """The results a user may see (of one project, if given), ready for the report, each with its
    ``evidence_strength``. A result recorded for an organisation outside the evaluated projects is left out: it is
    listed on its evaluation's page for an officer to put right, and is no evidence of what the projects did."""
    results = OutcomeResult.objects.all()
    if project is not None:
        # The project's few evaluations by their keys, read first: given as a subquery, the database joined every
        # result of the programme before it kept the project's.
        evaluations = Evaluation.projects.through.objects.filter(project=project).values_list("evaluation", flat=True)
        results = results.filter(evaluation__in=list(evaluations))
    results = results.inside_the_project().filter(evaluation__in=Evaluation.objects.for_user(user))
    return (
        results.with_evidence_strength()
        .select_related(*RELATED)
        .prefetch_related(*prefetches(user))
        .order_by(*ORDERING)
    )


NO_SPEND = money.ShownFigure("Spent to date", Decimal("0.00"), term="spent")
NO_AWARD = money.ShownFigure("Awarded", Decimal("0.00"), term="awarded")


def spend_by_project(project_ids) -> dict[int, money.ShownFigure]:
    """Spent to date (every quarter's spend return) per project: its allocations' balances added up, marked
    when an invented return lies behind it."""
    rows = (
        Allocation.objects.filter(grant__project__in=project_ids)
        .values("grant__project")
        .annotate(spent=money.balance_sums()["spent"], invented=money.INVENTED_COUNTS["invented_spent"]())
        .order_by()
    )
    return {
        row["grant__project"]: money.ShownFigure(NO_SPEND.label, money.to_penny(row["spent"]), row["invented"] > 0)
        for row in rows
    }


def awarded_by_project(project_ids) -> dict[int, money.ShownFigure]:
    """Awarded per project, marked when one of its awards was invented."""
    rows = (
        Grant.objects.filter(project__in=project_ids)
        .values("project")
        .annotate(awarded=Sum("amount_awarded"), invented=Count("pk", filter=Q(illustrative=True)))
        .order_by()
    )
    return {
        row["project"]: money.ShownFigure(NO_AWARD.label, Decimal(row["awarded"]).quantize(PENNY), row["invented"] > 0)
        for row in rows
    }


def added_up(figures) -> money.ShownFigure:
    """Several projects' figures (of one kind) as one: marked when any of them is."""
    figures = list(figures)
    return money.ShownFigure(
        figures[0].label if figures else "",
        sum((figure.value for figure in figures), Decimal("0.00")),
        any(figure.illustrative for figure in figures),
    )


@dataclass
class ProjectMoney:
    project: Project
    awarded: money.ShownFigure
    spent: money.ShownFigure


# The impact report's charts: baseline, follow-up and target of each result of one measure.
CHART_COLOURS = {"Baseline": "#505a5f", "Follow-up": "#1d70b8", "Target": "#00703c"}


def measure_chart(measure: OutcomeMeasure, rows: list[Row]) -> HorizontalBarChart:
    """One measure's chart: a group of bars for each result, labelled with its authority or projects."""
    groups = []
    for row in rows:
        result = row.result
        label = (
            result.where
            if result.authority_id or result.comparison_group
            else ", ".join(project.reference for project in row.projects) or "All authorities"
        )
        shown = row.shown  # each figure as the row's table writes it
        values = [
            ("Baseline", result.baseline_value, shown["baseline"]),
            ("Follow-up", result.followup_value, shown["followup"]),
            ("Target", result.target_value, shown["target"]),
        ]
        groups.append((label, row, values))
    return horizontal_bar_chart(CHART_COLOURS, groups, subject=measure)


@dataclass
class ImpactReport:
    rows: list[Row]
    show_money: bool
    projects: list[ProjectMoney]

    @property
    def groups(self) -> list[tuple[str, str, list[Row]]]:
        """Stronger evidence first, then weaker, then not rated; never mixed in one table."""
        by_strength = defaultdict(list)
        for row in self.rows:
            by_strength[row.result.evidence_strength].append(row)
        return [
            (strength.value, strength.label, by_strength[strength])
            for strength in EvidenceStrength
            if by_strength[strength]
        ]

    @property
    def charts(self) -> list[HorizontalBarChart]:
        by_measure: dict[int, list[Row]] = {}
        for row in self.rows:
            by_measure.setdefault(row.measure.pk, []).append(row)
        return [measure_chart(rows[0].measure, rows) for rows in by_measure.values()]

    @property
    def total_awarded(self) -> money.ShownFigure:
        return added_up(item.awarded for item in self.projects)

    @property
    def total_spent(self) -> money.ShownFigure:
        return added_up(item.spent for item in self.projects)


# The downloads read the results in chunks of this many, each chunk's ratings and projects prefetched with it.
CHUNK = 2000


def _money_of(rows: list[Row], spend: dict[int, money.ShownFigure]) -> None:
    """Each row's spend (all of its projects') and cost per outcome."""
    for row in rows:
        spent = added_up(spend.get(project.pk, NO_SPEND) for project in row.projects)
        row.spend, row.spend_illustrative = spent.value, spent.illustrative
        row.cost_per_outcome, row.cost_note = cost_per_outcome(row.result, row.spend)


def build_report(results, *, show_money: bool) -> ImpactReport:
    """Rows for every one of the (already filtered) results, for the downloads, with spend and cost per outcome
    when the reader may see the money."""
    rows, projects = [], {}
    for result in results.iterator(chunk_size=CHUNK):
        evaluated = list(result.evaluation.projects.all())
        projects.update((project.pk, project) for project in evaluated)
        rows.append(Row(result, evaluated, None))
    if not show_money:
        return ImpactReport(rows=rows, show_money=False, projects=[])
    spend = spend_by_project(list(projects)) if projects else {}
    awarded = awarded_by_project(list(projects)) if projects else {}
    _money_of(rows, spend)
    project_money = [
        ProjectMoney(project, awarded.get(pk, NO_AWARD), spend.get(pk, NO_SPEND))
        for pk, project in sorted(projects.items(), key=lambda item: item[1].reference)
    ]
    return ImpactReport(rows=rows, show_money=True, projects=project_money)


# --- The web page: a page of each group, counted and fetched in the database --------------------------------


def page_param(strength: str) -> str:
    """The request's parameter that says which page of a strength of evidence's results to show."""
    return f"{strength}_page"


@dataclass
class GroupPage:
    """One page of the results with one strength of evidence, and how many there are in all."""

    strength: str
    label: str
    count: int
    number: int
    per_page: int
    rows: list[Row]
    query: QueryDict  # the request's parameters

    @property
    def param(self) -> str:
        return page_param(self.strength)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_link(self) -> str:
        return self._link(self.number - 1)

    @property
    def next_link(self) -> str:
        return self._link(self.number + 1)

    def _link(self, number: int) -> str:
        """The query string of another page of this group, keeping the filters and the other groups' pages."""
        query = self.query.copy()
        query[self.param] = str(number)
        return f"?{query.urlencode()}#{self.strength}"

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.rows) - 1


def page_number(value, num_pages: int) -> int:
    """The page asked for, or the nearest there is: a bad or stale link still shows results."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), num_pages)


@dataclass
class ImpactPage:
    """What the web page shows: a page of each group, and the money behind all the results."""

    groups: list[GroupPage]
    show_money: bool
    projects: list[ProjectMoney]  # the first of the projects behind the results, by reference
    project_count: int
    total_awarded: money.ShownFigure
    total_spent: money.ShownFigure

    @property
    def count(self) -> int:
        return sum(group.count for group in self.groups)

    @property
    def charts(self) -> list[HorizontalBarChart]:
        """One chart per measure of the rows shown, the measures in the report's order."""
        by_measure: dict[int, list[Row]] = {}
        for group in self.groups:
            for row in group.rows:
                by_measure.setdefault(row.measure.pk, []).append(row)
        ordered = sorted(
            by_measure.values(), key=lambda rows: (rows[0].measure.outcome_area.name, rows[0].measure.name)
        )
        return [measure_chart(rows[0].measure, rows) for rows in ordered]


# A page asked for past a group's last shows its last; the bound keeps the number a database integer.
MOST_PAGES = 2**31 - 1


def _pages_of(results, pages: QueryDict, per_page: int) -> list[tuple[int, str, int]]:
    """The id, group and group's count of each row on its group's page, in one query: each result numbered and
    counted within its group in the report's order, and kept when its number falls on the page asked for of its
    group (``pages`` maps ``<strength>_page`` to it), or on the group's last page when it has fewer. Every group
    with results has rows on its page, so its count comes with them."""
    strength = F("evidence_strength")
    asked = Case(
        *(
            When(evidence_strength=value, then=Value(page_number(pages.get(page_param(value)), MOST_PAGES)))
            for value in EvidenceStrength.values
        ),
        default=Value(1),
    )
    count = Window(Count("pk"), partition_by=[strength])
    first_shown = (Least(asked, (count + (per_page - 1)) / per_page) - 1) * per_page + 1
    # The measures in the report's order (their names are unique), read once: every result is numbered by its
    # measure's place, so the database sorts all the results by a number instead of by two names.
    measures = OutcomeMeasure.objects.order_by(*MEASURE_ORDER).values_list("pk", flat=True)
    measure_place = Case(*(When(measure=pk, then=Value(place)) for place, pk in enumerate(measures)))
    in_order = [measure_place.asc(), *ORDERING[len(MEASURE_ORDER) :]]
    # Numbered over the ids alone, so only the rows shown carry their measure, authority and evaluation.
    return list(
        results.order_by()
        .annotate(
            position=Window(RowNumber(), partition_by=[strength], order_by=in_order),
            group_count=count,
            first_shown=first_shown,
        )
        .filter(position__gte=F("first_shown"), position__lt=F("first_shown") + per_page)
        .values_list("pk", "evidence_strength", "group_count")
    )


def _money_behind(report: ImpactPage, results, *, user, per_page: int) -> dict[int, money.ShownFigure]:
    """The money of all the projects behind the results, and of the first ``per_page`` by reference; returns what
    each has spent. The projects are found once (finding them means reading every result), in the order they are
    listed; each one's awarded and spent are then summed in the database grouped by project, and the totals are
    those added up."""
    behind = list(
        Project.objects.for_user(user)
        .filter(
            pk__in=Evaluation.projects.through.objects.filter(
                evaluation__in=results.order_by().values("evaluation")
            ).values("project")
        )
        .order_by("reference")
        .values_list("pk", flat=True)
    )
    awarded, spent = awarded_by_project(behind), spend_by_project(behind)
    report.project_count = len(behind)
    report.total_awarded = added_up([NO_AWARD, *awarded.values()])
    report.total_spent = added_up([NO_SPEND, *spent.values()])
    listed = Project.objects.filter(pk__in=behind[:per_page]).select_related("lead_organisation")
    report.projects = [
        ProjectMoney(project, awarded.get(project.pk, NO_AWARD), spent.get(project.pk, NO_SPEND))
        for project in listed.order_by("reference")
    ]
    return spent


def page_of_report(results, *, user, show_money: bool, per_page: int, pages: QueryDict) -> ImpactPage:
    """The web page's report: per strength of evidence its count and one page of rows (``pages`` maps
    ``<strength>_page`` to the page asked for), fetched in the database; only the rows shown are built. The money
    is summed in the database over all the projects behind the results, and listed for the first ``per_page``."""
    shown = _pages_of(results, pages, per_page)
    counts = {strength: count for _, strength, count in shown}
    groups = []
    for strength in EvidenceStrength:
        if counts.get(strength.value):
            group = GroupPage(strength.value, strength.label, counts[strength.value], 1, per_page, [], pages)
            group.number = page_number(pages.get(group.param), group.num_pages)
            groups.append(group)
    # The rows shown, by their ids: through the filters again the database would join every result once more.
    ids = [pk for pk, _, _ in shown]
    built = OutcomeResult.objects.with_evidence_strength().select_related(*ON_THE_PAGE).filter(pk__in=ids)
    built = list(built.order_by(*ORDERING)) if ids else []
    by_strength = {group.strength: group for group in groups}
    # The results of one evaluation share one instance of it, so its ratings and projects are fetched into it
    # once: a page holds many results of each evaluation, and Django builds a queryset per instance prefetched.
    evaluations = {}
    for result in built:
        result.evaluation = evaluations.setdefault(result.evaluation_id, result.evaluation)
        by_strength[result.evidence_strength].rows.append(Row(result, [], None))
    prefetch_related_objects(list(evaluations.values()), *prefetches(user, through=""))
    for group in groups:
        for row in group.rows:
            row.projects = list(row.result.evaluation.projects.all())
    report = ImpactPage(groups, show_money, [], 0, NO_AWARD, NO_SPEND)
    if not show_money:
        return report
    # The projects of the rows shown are among those behind all the results: their spend is summed with them.
    spent = _money_behind(report, results, user=user, per_page=per_page)
    _money_of([row for group in groups for row in group.rows], spent)
    return report

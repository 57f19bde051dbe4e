"""The impact report: each outcome result against its baseline and target, the
evidence behind it, and what the projects evaluated have spent.

Everything a page needs comes from a fixed number of queries, however many
projects and results there are: the results with their measure, authority and
evaluation (one query), the evaluations' ratings and projects (one prefetch
each), and the money summed in the database (one query each for spend and awards). Spend is
``grants.money``'s spent, added up from the allocations' kept balances. Each sum says whether an
invented (illustrative) demo row lies behind it, and so does every figure worked out from it.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, Sum

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

    @property
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

    @property
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


def results_for(user, *, project: Project | None = None):
    """The results a user may see (of one project, if given), ready for the report. A result recorded for an
    organisation outside the evaluated projects is left out: it is listed on its evaluation's page for an
    officer to put right, and is no evidence of what the projects did."""
    results = (
        OutcomeResult.objects.with_outside()
        .filter(outside=False)
        .filter(evaluation__in=Evaluation.objects.for_user(user))
    )
    if project is not None:
        results = results.filter(
            evaluation__in=Evaluation.projects.through.objects.filter(project=project).values("evaluation")
        )
    return (
        results.select_related(
            "measure__outcome_area", "authority", "evaluation__evaluator_organisation", "source_report"
        )
        .prefetch_related(
            Prefetch("evaluation__ratings", queryset=EvidenceRating.objects.order_by("scale")),
            Prefetch(
                "evaluation__projects",
                queryset=Project.objects.for_user(user).select_related("lead_organisation").order_by("reference"),
            ),
        )
        .order_by(
            "measure__outcome_area__name",
            "measure__name",
            "evaluation__title",
            F("authority__name").asc(nulls_first=True),
            "pk",
        )
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
        values = (
            ("Baseline", result.baseline_value),
            ("Follow-up", result.followup_value),
            ("Target", result.target_value),
        )
        groups.append((label, row, [(name, value, figure(value, measure.unit)) for name, value in values]))
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
            by_strength[row.evaluation.evidence_strength].append(row)
        return [
            (strength.value, strength.label, by_strength[strength])
            for strength in EvidenceStrength
            if by_strength[strength]
        ]

    def charts_of_first(self, limit: int) -> list[HorizontalBarChart]:
        """One chart per measure of at most ``limit`` results: a web page a person can read."""
        by_measure: dict = {}
        for row in self.rows:
            by_measure.setdefault(row.measure.pk, []).append(row)
        return [measure_chart(rows[0].measure, rows[:limit]) for rows in by_measure.values()]

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


def build_report(results, *, show_money: bool) -> ImpactReport:
    """Rows for the (already filtered) results, with spend and cost per outcome when
    the reader may see the money."""
    results = list(results)
    projects = {project.pk: project for result in results for project in result.evaluation.projects.all()}
    spend = spend_by_project(list(projects)) if show_money and projects else {}
    awarded = awarded_by_project(list(projects)) if show_money and projects else {}
    rows = []
    for result in results:
        evaluated = list(result.evaluation.projects.all())
        row = Row(result, evaluated, None)
        if show_money:
            spent = added_up(spend.get(project.pk, NO_SPEND) for project in evaluated)
            row.spend, row.spend_illustrative = spent.value, spent.illustrative
            row.cost_per_outcome, row.cost_note = cost_per_outcome(result, row.spend)
        rows.append(row)
    project_money = (
        [
            ProjectMoney(project, awarded.get(pk, NO_AWARD), spend.get(pk, NO_SPEND))
            for pk, project in sorted(projects.items(), key=lambda item: item[1].reference)
        ]
        if show_money
        else []
    )
    return ImpactReport(rows=rows, show_money=show_money, projects=project_money)

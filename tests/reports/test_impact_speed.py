"""What makes the impact report's web page fast at national scale, and that it changes nothing a reader sees:
the Maryland rating is joined (one row per result, never looked up per result), a result outside the
projects is left out by a set the database works out once, the judgement is worked out in the database as
``ResultFigures.judgement`` works it out, and the money behind the results is summed in the database to what
each project's own figures add up to. That the page's queries do not grow with its results is in
tests/reports/test_impact_paging.py and test_impact_report.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Evaluation, EvidenceRating, Judgement, OutcomeMeasure, OutcomeResult
from grants import money
from reports.impact import build_report, page_of_report, results_for
from tests.factories import (
    AllocationFactory,
    EvaluationFactory,
    EvidenceRatingFactory,
    GrantFactory,
    LocalAuthorityFactory,
    OutcomeMeasureFactory,
    OutcomeResultFactory,
    ProjectFactory,
    ProjectPartnerFactory,
    SpendReturnFactory,
)

pytestmark = pytest.mark.django_db

FOLLOWED_UP = {"followup_period_start": dt.date(2015, 4, 1), "followup_period_end": dt.date(2016, 3, 31)}


def test_the_maryland_rating_is_joined_once_per_result_not_looked_up_for_each(world):
    evaluation = EvaluationFactory(design=Evaluation.Design.RCT)
    for scale, value in (("maryland_sms", "4"), ("wwcsc_strength", "strong"), ("wwcsc_effectiveness", "positive")):
        EvidenceRatingFactory(evaluation=evaluation, scale=scale, value=value)
    for _ in range(3):
        OutcomeResultFactory(evaluation=evaluation)
    annotated = OutcomeResult.objects.filter(evaluation=evaluation).with_evidence_strength()
    # Three ratings of the evaluation, one of them on the Maryland scale: each result once, with its level.
    assert sorted(annotated.values_list("maryland_value", "evidence_strength")) == [("4", "stronger")] * 3
    sql = str(annotated.query)
    assert 'LEFT OUTER JOIN "evaluations_evidencerating"' in sql
    assert "(SELECT" not in sql  # no subquery run for each result


def test_inside_the_project_is_every_result_not_marked_outside(world):
    """The report's set (worked out once) and the annotation the evaluation's page lists agree on every kind."""
    lead, partner, outsider = world.project.lead_organisation, LocalAuthorityFactory(), LocalAuthorityFactory()
    ProjectPartnerFactory(project=world.project, organisation=partner)
    other_project = ProjectFactory(programme=world.programme)
    other_partner = ProjectPartnerFactory(project=other_project).organisation
    evaluation = EvaluationFactory(projects=[world.project])
    made = {}
    for name, authority, group in (
        ("overall", None, ""),
        ("lead", lead, ""),
        ("partner", partner, ""),
        ("outsider", outsider, ""),
        ("partner of a project not evaluated", other_partner, ""),
        ("comparison group of an outsider", outsider, "Statistical neighbours"),
        ("comparison group with no authority", None, "England"),
    ):
        made[name] = OutcomeResult.objects.create(  # around clean(), as rows recorded before the rule were
            evaluation=evaluation,
            measure=OutcomeMeasureFactory(),
            authority=authority,
            comparison_group=group,
            baseline_value=Decimal("10"),
            baseline_period_start=dt.date(2014, 4, 1),
            baseline_period_end=dt.date(2015, 3, 31),
        )
    mine = OutcomeResult.objects.filter(evaluation=evaluation)
    marked = dict(mine.with_outside().values_list("pk", "outside"))
    inside = set(mine.inside_the_project().values_list("pk", flat=True))
    assert inside == {pk for pk, outside in marked.items() if not outside}
    outside = {made["outsider"].pk, made["partner of a project not evaluated"].pk}
    assert set(marked) - inside == outside
    assert (
        set(OutcomeResult.objects.outside_the_project().filter(evaluation=evaluation).values_list("pk", flat=True))
        == outside
    )


CHANGES = [  # (baseline, follow-up): a fall, a rise, none, tiny moves either way, and no follow-up yet
    ("45", "32.5"),
    ("45", "57.25"),
    ("45", "45.0000"),
    ("0.3", "0.2999"),
    ("0.1", "0.1001"),
    ("12", None),
]


def test_the_judgement_in_the_database_is_the_results_own_for_every_direction_and_change(world):
    evaluation = EvaluationFactory()
    for direction in OutcomeMeasure.Direction:
        for baseline, followup in CHANGES:
            OutcomeResultFactory(
                evaluation=evaluation,
                measure=OutcomeMeasureFactory(direction=direction),
                baseline_value=Decimal(baseline),
                followup_value=None if followup is None else Decimal(followup),
                **(FOLLOWED_UP if followup else {}),
            )
    results = OutcomeResult.objects.filter(evaluation=evaluation).with_judgement().select_related("measure")
    pairs = [(result.judged, result.judgement) for result in results]
    assert len(pairs) == len(OutcomeMeasure.Direction) * len(CHANGES)
    assert all(judged == judgement for judged, judgement in pairs), pairs
    assert {judged for judged, _ in pairs} == set(Judgement.values)


def an_evaluated_project(world, *, awarded, spent, invented_award=False, level="4"):
    project = ProjectFactory(programme=world.programme)
    grant = GrantFactory(project=project, round=world.round, amount_awarded=Decimal(awarded))
    grant.illustrative = invented_award
    grant.save()
    SpendReturnFactory(allocation=AllocationFactory(grant=grant), spent=Decimal(spent))
    evaluation = EvaluationFactory(projects=[project], design=Evaluation.Design.RCT)
    EvidenceRating.objects.create(evaluation=evaluation, scale="maryland_sms", value=level, rationale="Checked.")
    OutcomeResultFactory(evaluation=evaluation, followup_value=Decimal("30"), **FOLLOWED_UP)
    return project


def the_page(world, results, per_page=2):
    return page_of_report(results, user=world.users.officer, show_money=True, per_page=per_page, pages=QueryDict())


def shown(figure: money.ShownFigure) -> tuple:
    return figure.value, figure.illustrative


def test_the_money_behind_the_results_is_what_the_downloads_add_up_row_by_row(world):
    """The page sums in the database; the downloads collect each row's projects and add up their own figures."""
    an_evaluated_project(world, awarded="1000.10", spent="250.25")
    an_evaluated_project(world, awarded="2000.00", spent="0.05", invented_award=True)
    an_evaluated_project(world, awarded="3000.33", spent="999.99", level="2")
    results = results_for(world.users.officer)
    report = the_page(world, results)
    full = build_report(results, show_money=True)
    assert report.project_count == len(full.projects) >= 4
    assert shown(report.total_awarded) == shown(full.total_awarded)
    assert shown(report.total_spent) == shown(full.total_spent)
    assert report.total_awarded.illustrative and not report.total_spent.illustrative
    # The first two by reference are listed, each with its own figures.
    assert [(item.project.pk, shown(item.awarded), shown(item.spent)) for item in report.projects] == [
        (item.project.pk, shown(item.awarded), shown(item.spent)) for item in full.projects[:2]
    ]


def test_only_the_projects_behind_the_results_shown_are_summed(world):
    shown = an_evaluated_project(world, awarded="1000.10", spent="250.25", level="5")
    an_evaluated_project(world, awarded="2000.00", spent="0.05", level="1")
    results = results_for(world.users.officer).filter(evaluation__projects=shown)
    report = the_page(world, results)
    assert report.project_count == 1 and [item.project for item in report.projects] == [shown]
    assert report.total_awarded.value == Decimal("1000.10") and report.total_spent.value == Decimal("250.25")
    assert [(group.strength, group.count) for group in report.groups] == [("stronger", 1)]


def test_no_results_means_no_groups_no_projects_and_no_money(world):
    report = the_page(world, OutcomeResult.objects.none().with_evidence_strength())
    assert report.groups == [] and report.projects == [] and report.project_count == 0
    assert report.total_awarded.value == 0 and report.total_spent.value == 0


def report_read_by(client, params) -> str:
    """The page's main content (the header around it names the reader and carries a fresh form token)."""
    html = client.get(reverse("impact:report"), params).content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_the_programme_report_is_worked_out_once_for_each_change_of_the_data(client, world):
    client.force_login(world.users.officer)
    an_evaluated_project(world, awarded="1000.10", spent="250.25")
    rated = {"min_rating": "1"}
    with CaptureQueriesContext(connection) as built:
        first = report_read_by(client, rated)
    with CaptureQueriesContext(connection) as cached:
        assert report_read_by(client, rated) == first
    assert 'id="result-count">1 result<' in first and len(cached) < len(built)
    # A viewer shares it; a new result, or a new rating, is on the next page read.
    client.force_login(world.users.viewer)
    assert report_read_by(client, rated) == first
    an_evaluated_project(world, awarded="5.00", spent="1.00", level="2")
    assert 'id="result-count">2 results<' in report_read_by(client, rated)
    EvidenceRating.objects.create(evaluation=world.evaluation, scale="maryland_sms", value="1", rationale="Read.")
    assert 'id="result-count">3 results<' in report_read_by(client, rated)


def project_report_read_by(client, project) -> str:
    html = client.get(reverse("impact:project", kwargs={"project_pk": project.pk})).content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_a_projects_report_is_worked_out_once_for_each_change_and_each_kind_of_reader(client, world):
    project = an_evaluated_project(world, awarded="1000.10", spent="250.25")
    evaluation = project.evaluations.get()
    client.force_login(world.users.officer)
    with CaptureQueriesContext(connection) as built:
        first = project_report_read_by(client, project)
    with CaptureQueriesContext(connection) as cached:
        assert project_report_read_by(client, project) == first
    assert 'id="result-count">1 result<' in first and len(cached) < len(built)
    # Another project's report is its own, not the first one's.
    other = an_evaluated_project(world, awarded="5.00", spent="1.00")
    OutcomeResultFactory(evaluation=other.evaluations.get(), followup_value=Decimal("31"), **FOLLOWED_UP)
    assert 'id="result-count">2 results<' in project_report_read_by(client, other)
    # A new result of the first project is on its next read.
    OutcomeResultFactory(evaluation=evaluation, followup_value=Decimal("29"), **FOLLOWED_UP)
    assert 'id="result-count">2 results<' in project_report_read_by(client, project)
    # A reader with another view of the project (its evaluator, who sees no money) is not given the officer's copy,
    # nor the officer the evaluator's.
    evaluation.evaluators.add(world.users.evaluator)
    client.force_login(world.users.evaluator)
    evaluators = project_report_read_by(client, project)
    client.force_login(world.users.officer)
    officers = project_report_read_by(client, project)
    assert 'id="result-count">2 results<' in evaluators and 'id="result-count">2 results<' in officers
    assert "Spending behind these results" in officers and "£1,000.10" in officers
    assert "Spending behind these results" not in evaluators and "£1,000.10" not in evaluators

"""The evaluations list at scale (issue 17): each row's results and reports are counted for
the rows a page shows only, not by joining every evaluation's results to its reports before
the page is cut, and the pages are counted without those joins."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Evaluation, EvaluationReport, OutcomeResult

pytestmark = pytest.mark.django_db
URL = reverse("evaluations:list")


def result(evaluation, measure, group=""):
    return OutcomeResult.objects.create(
        evaluation=evaluation,
        measure=measure,
        comparison_group=group,
        baseline_value=Decimal("10"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
    )


def evaluations_with_evidence(world, count):
    """``count`` evaluations titled "Extra NNN", the n-th with n % 4 results and n % 3 reports."""
    for number in range(count):
        evaluation = Evaluation.objects.create(
            title=f"Extra {number:03d}", evaluator_organisation=world.university, design="qualitative"
        )
        evaluation.projects.add(world.project)
        for n in range(number % 4):
            result(evaluation, world.measure, group=f"Group {n}" if n else "")
        for n in range(number % 3):
            EvaluationReport.objects.create(evaluation=evaluation, title=f"Report {n}", kind="interim")


def listed(client, url=URL):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, queries


def test_each_row_counts_its_own_results_and_reports(client, world):
    evaluations_with_evidence(world, 7)
    result(world.evaluation, world.measure, group="Comparison")
    EvaluationReport.objects.create(evaluation=world.evaluation, title="Final", kind="final")
    client.force_login(world.users.officer)
    response, _ = listed(client)
    counts = {row.title: (row.result_count, row.report_count) for row in response.context["evaluations"]}
    assert counts["Evaluation of Reclaiming Social Work"] == (2, 1)  # not 2 x 1 joined rows, nor 2 reports
    assert counts["Evaluation of Kent family hubs"] == (1, 0)
    assert {title: counts[title] for title in counts if title.startswith("Extra")} == {
        f"Extra {n:03d}": (n % 4, n % 3) for n in range(7)
    }


def test_pages_are_counted_and_filled_without_joining_the_evidence(client, world):
    evaluations_with_evidence(world, 60)
    client.force_login(world.users.officer)
    response, queries = listed(client, URL + "?page=2")
    # "Evaluation of ..." (the two of the world) sort before "Extra ...".
    assert [row.title for row in response.context["evaluations"]] == [f"Extra {n:03d}" for n in range(48, 60)]
    sql = [query["sql"] for query in queries if "evaluations_evaluation" in query["sql"]]
    assert all("JOIN" not in statement for statement in sql if statement.startswith("SELECT COUNT(*)"))
    evidence_joined = ('JOIN "evaluations_outcomeresult"', 'JOIN "evaluations_evaluationreport"')
    assert not any(join in statement for statement in sql for join in evidence_joined)


def test_the_list_makes_the_same_queries_for_two_evaluations_as_for_a_hundred(client, world):
    client.force_login(world.users.officer)
    listed(client)
    _, few = listed(client)
    evaluations_with_evidence(world, 98)
    response, many = listed(client)
    assert len(response.context["evaluations"]) == 50
    assert len(many) == len(few) <= 8

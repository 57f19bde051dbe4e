"""The evaluator's own list and the programme-wide list of evaluations."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations.models import Evaluation, EvaluationReport, OutcomeResult

YOURS = reverse("evaluations:yours")
ALL = reverse("evaluations:list")


def _more_evaluations(world, count):
    """Evaluations each with two projects, a result and a report, to show the page's queries do not grow."""
    for number in range(count):
        evaluation = Evaluation.objects.create(
            title=f"Extra evaluation {number:02}",
            evaluator_organisation=world.university,
            design="rct",
            status="in_progress",
        )
        evaluation.projects.add(world.project, world.other_project)
        evaluation.evaluators.add(world.users.evaluator)
        OutcomeResult.objects.create(
            evaluation=evaluation,
            measure=world.measure,
            baseline_value=Decimal("10"),
            baseline_period_start=dt.date(2014, 4, 1),
            baseline_period_end=dt.date(2015, 3, 31),
        )
        EvaluationReport.objects.create(evaluation=evaluation, title="Interim", kind="interim")


def test_an_evaluator_sees_only_the_evaluations_assigned_to_them(client, world):
    client.force_login(world.users.evaluator)
    response = client.get(YOURS)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your evaluations" in page
    assert "Evaluation of Reclaiming Social Work" in page
    assert reverse("evaluations:detail", kwargs={"evaluation_pk": world.evaluation.pk}) in page
    assert "Reclaiming Social Work" in page
    assert "Example University" in page
    assert "Before and after, no comparison group" in page
    assert '<strong class="govuk-tag govuk-tag--grey">Planned</strong>' in page
    assert "Evaluation of Kent family hubs" not in page
    assert "Kent family hubs" not in page
    assert list(response.context["evaluations"]) == [world.evaluation]
    assert response.context["evaluations"][0].result_count == 1


def test_an_evaluator_with_nothing_assigned_is_told_so(client, world):
    world.evaluation.evaluators.clear()
    client.force_login(world.users.evaluator)
    page = client.get(YOURS).content.decode()
    assert "You are not assigned to any evaluation yet" in page
    assert "Evaluation of Reclaiming Social Work" not in page


@pytest.mark.parametrize("name", ["officer", "admin", "finance", "viewer", "morninglane", "outsider"])
def test_your_evaluations_is_only_for_evaluators(client, world, name):
    client.force_login(getattr(world.users, name))
    assert client.get(YOURS).status_code == 403


def test_your_evaluations_needs_sign_in(client, world):
    response = client.get(YOURS)
    assert response.status_code == 302
    assert reverse("accounts:sign-in") in response["Location"]


@pytest.mark.parametrize("name", ["officer", "admin", "finance", "viewer"])
def test_programme_staff_and_viewers_see_every_evaluation(client, world, name):
    client.force_login(getattr(world.users, name))
    response = client.get(ALL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Evaluation of Reclaiming Social Work" in page
    assert "Evaluation of Kent family hubs" in page
    assert 'class="govuk-table"' in page
    counts = {e.title: (e.result_count, e.report_count) for e in response.context["evaluations"]}
    assert counts == {"Evaluation of Reclaiming Social Work": (1, 0), "Evaluation of Kent family hubs": (1, 0)}


@pytest.mark.parametrize("name", ["evaluator", "morninglane", "derbyshire", "kent", "outsider"])
def test_the_programme_list_is_refused_to_evaluators_and_recipients(client, world, name):
    client.force_login(getattr(world.users, name))
    assert client.get(ALL).status_code == 403


def test_result_and_report_counts_are_not_multiplied_by_the_joins(client, world):
    EvaluationReport.objects.create(evaluation=world.evaluation, title="Final", kind="final")
    EvaluationReport.objects.create(evaluation=world.evaluation, title="Appendix", kind="technical")
    world.evaluation.projects.add(world.other_project)
    client.force_login(world.users.officer)
    rows = {e.pk: e for e in client.get(ALL).context["evaluations"]}
    assert (rows[world.evaluation.pk].result_count, rows[world.evaluation.pk].report_count) == (1, 2)


def test_the_programme_list_makes_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    _more_evaluations(world, 15)
    client.force_login(world.users.officer)
    with django_assert_max_num_queries(8):  # 5 are the session and the user; one counts the pages
        response = client.get(ALL)
    assert len(response.context["evaluations"]) == 17
    assert response.content.decode().count("Extra evaluation") == 15


def test_your_evaluations_makes_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    _more_evaluations(world, 15)
    client.force_login(world.users.evaluator)
    with django_assert_max_num_queries(7):  # 5 are the session and the user
        response = client.get(YOURS)
    assert len(response.context["evaluations"]) == 16

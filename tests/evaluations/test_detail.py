"""One evaluation's page: who may read it, what it shows and who gets edit links."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.models import EvaluationReport, EvidenceRating, OutcomeMeasure, OutcomeResult


def url(evaluation):
    return reverse("evaluations:detail", kwargs={"evaluation_pk": evaluation.pk})


@pytest.fixture
def evidence(world):
    """A rated evaluation with a report and a full result for Derbyshire."""
    evaluation = world.evaluation
    evaluation.status = "interim"
    evaluation.start_date, evaluation.end_date = dt.date(2015, 1, 1), dt.date(2017, 3, 31)
    evaluation.save()
    report = EvaluationReport.objects.create(
        evaluation=evaluation,
        title="Interim evaluation report",
        kind="interim",
        published_on=dt.date(2016, 7, 1),
        file="reports/abc.pdf",
        original_name="interim.pdf",
        content_type="application/pdf",
        size_bytes=2048,
    )
    EvaluationReport.objects.create(
        evaluation=evaluation,
        title="Final report on GOV.UK",
        kind="final",
        url="https://www.gov.uk/report",
    )
    EvidenceRating.objects.create(
        evaluation=evaluation,
        scale="maryland_sms",
        value="2",
        rationale="No comparison group was used.",
        rated_by=world.users.officer,
        rated_at=timezone.make_aware(dt.datetime(2016, 8, 1, 10, 0)),
    )
    result = OutcomeResult.objects.create(
        evaluation=evaluation,
        measure=world.measure,
        authority=world.derbyshire,
        baseline_value=Decimal("20"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
        target_value=Decimal("40"),
        followup_value=Decimal("35.5"),
        followup_period_start=dt.date(2016, 4, 1),
        followup_period_end=dt.date(2017, 3, 31),
        comparison_value=Decimal("21.25"),
        effect_size=Decimal("-0.31"),
        ci_lower=Decimal("-0.5"),
        ci_upper=Decimal("-0.12"),
        p_value=Decimal("0.003"),
        significance="significant",
        source_report=report,
        source_location="Table 4.2",
        illustrative=True,
    )
    return SimpleNamespace(report=report, result=result)


@pytest.mark.parametrize(
    "name", ["officer", "admin", "finance", "viewer", "evaluator", "morninglane", "derbyshire", "harrow"]
)
def test_people_who_may_see_the_evaluation_read_it(client, world, name):
    client.force_login(getattr(world.users, name))
    response = client.get(url(world.evaluation))
    assert response.status_code == 200
    assert "Evaluation of Reclaiming Social Work" in response.content.decode()


@pytest.mark.parametrize("name", ["evaluator", "morninglane", "derbyshire", "harrow", "outsider"])
def test_an_evaluation_outside_the_users_scope_is_not_found(client, world, name):
    client.force_login(getattr(world.users, name))
    response = client.get(url(world.other_evaluation))
    assert response.status_code == 404
    assert "Kent family hubs" not in response.content.decode()


def test_the_recipient_of_the_other_project_reads_its_evaluation(client, world):
    client.force_login(world.users.kent)
    assert client.get(url(world.other_evaluation)).status_code == 200
    assert client.get(url(world.evaluation)).status_code == 404


def test_a_missing_evaluation_is_not_found(client, world):
    client.force_login(world.users.officer)
    assert client.get(reverse("evaluations:detail", kwargs={"evaluation_pk": 999999})).status_code == 404


def test_the_page_shows_the_summary_ratings_results_and_reports(client, world, evidence):
    client.force_login(world.users.viewer)
    page = client.get(url(world.evaluation)).content.decode()
    # Summary
    assert 'class="govuk-summary-list"' in page
    assert "Reclaiming Social Work" in page and "(R1-01)" in page
    assert "Example University" in page
    assert "Evaluator Tester" in page
    assert "Before and after, no comparison group" in page
    assert '<strong class="govuk-tag govuk-tag--light-blue">Interim reported</strong>' in page
    assert "1 January 2015 to 31 March 2017" in page
    # Rating
    assert "Maryland Scientific Methods Scale" in page
    assert "Level 2: before and after, no comparison group" in page
    assert "No comparison group was used." in page
    assert "Officer Tester" in page and "1 August 2016" in page
    # Result: figures as written, with their unit, periods, interval and source
    assert "Derbyshire County Council" in page
    assert "All authorities" in page  # the fixture's overall result
    for text in (
        "20%",
        "40%",
        "35.5%",
        "21.25%",
        "-0.31",
        "-0.5 to -0.12",
        "p = 0.003",
        "Statistically significant",
        "1 Apr 2014 to 31 Mar 2015",
        "1 Apr 2016 to 31 Mar 2017",
        "Interim evaluation report, Table 4.2",
        "Higher is better",
    ):
        assert text in page, text
    assert "20.0000" not in page
    assert page.count("app-illustrative") == 1  # only the illustrative result is marked
    # Reports
    download = reverse("evaluations:report-download", kwargs={"report_pk": evidence.report.pk})
    assert download in page
    assert "interim.pdf, 2.0\xa0KB" in page
    assert "1 July 2016" in page
    assert 'href="https://www.gov.uk/report"' in page


def test_other_units_are_shown_with_their_unit(client, world):
    for unit, value, shown in (
        ("per_10000", "45.2", "45.2 per 10,000"),
        ("gbp", "12500.5", "£12,500.5"),
        ("days", "12", "12 days"),
        ("number", "1234", "1,234"),
    ):
        measure = OutcomeMeasure.objects.create(
            name=f"Measure in {unit}", outcome_area=world.measure.outcome_area, unit=unit, direction="lower"
        )
        OutcomeResult.objects.create(
            evaluation=world.evaluation,
            measure=measure,
            baseline_value=Decimal(value),
            baseline_period_start=dt.date(2014, 4, 1),
            baseline_period_end=dt.date(2015, 3, 31),
        )
        client.force_login(world.users.officer)
        assert shown in client.get(url(world.evaluation)).content.decode()


@pytest.mark.parametrize("name", ["officer", "admin", "evaluator"])
def test_editors_get_edit_links(client, world, name):
    client.force_login(getattr(world.users, name))
    page = client.get(url(world.evaluation)).content.decode()
    assert reverse("evaluations:result-create", kwargs={"evaluation_pk": world.evaluation.pk}) in page
    assert reverse("evaluations:result-edit", kwargs={"result_pk": world.result.pk}) in page
    assert reverse("evaluations:report-upload", kwargs={"evaluation_pk": world.evaluation.pk}) in page
    # The evaluation's own evaluator records its evidence but does not rate it (tests/evaluations/test_rating.py).
    rating_link = reverse("evaluations:rating", kwargs={"evaluation_pk": world.evaluation.pk})
    assert (rating_link in page) is (name != "evaluator")


@pytest.mark.parametrize("name", ["finance", "viewer", "morninglane", "derbyshire"])
def test_readers_who_may_not_edit_get_no_edit_links(client, world, name):
    client.force_login(getattr(world.users, name))
    page = client.get(url(world.evaluation)).content.decode()
    assert "/results/new/" not in page
    assert "/edit/" not in page
    assert "/reports/new/" not in page
    assert "/ratings/new/" not in page
    assert "Add a result" not in page


def test_a_recipient_sees_only_the_evaluated_projects_it_takes_part_in(client, world):
    world.evaluation.projects.add(world.other_project)
    client.force_login(world.users.derbyshire)
    page = client.get(url(world.evaluation)).content.decode()
    assert "Reclaiming Social Work" in page
    assert "Kent family hubs" not in page
    client.force_login(world.users.officer)
    assert "Kent family hubs" in client.get(url(world.evaluation)).content.decode()


def test_the_page_makes_a_fixed_number_of_queries(client, world, evidence, django_assert_max_num_queries):
    for number in range(12):
        measure = OutcomeMeasure.objects.create(
            name=f"Extra measure {number}", outcome_area=world.measure.outcome_area, unit="number", direction="lower"
        )
        OutcomeResult.objects.create(
            evaluation=world.evaluation,
            measure=measure,
            authority=world.harrow,
            baseline_value=Decimal(number),
            baseline_period_start=dt.date(2014, 4, 1),
            baseline_period_end=dt.date(2015, 3, 31),
            source_report=evidence.report,
        )
        EvaluationReport.objects.create(evaluation=world.evaluation, title=f"Note {number}", kind="technical")
    client.force_login(world.users.officer)
    # 5 are the session and the user; 2 the history of ratings and results, 1 the reviewers, 1 whether
    # the user may rate: none grows with the rows.
    with django_assert_max_num_queries(17):
        response = client.get(url(world.evaluation))
    assert response.content.decode().count("Extra measure") >= 12


def test_back_link_goes_to_the_users_list(client, world):
    client.force_login(world.users.evaluator)
    assert (
        f'href="{reverse("evaluations:yours")}" class="govuk-back-link"'
        in client.get(url(world.evaluation)).content.decode()
    )
    client.force_login(world.users.viewer)
    assert (
        f'href="{reverse("evaluations:list")}" class="govuk-back-link"'
        in client.get(url(world.evaluation)).content.decode()
    )


def test_projects_link_to_their_pages(client, world):
    project_url = reverse("projects:detail", kwargs={"project_pk": world.project.pk})
    client.force_login(world.users.evaluator)
    assert f'href="{project_url}"' in client.get(url(world.evaluation)).content.decode()


def test_the_overall_result_comes_before_each_authoritys(client, world):
    OutcomeResult.objects.create(
        evaluation=world.evaluation,
        measure=world.measure,
        authority=world.derbyshire,
        baseline_value=Decimal("18"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
    )
    client.force_login(world.users.officer)
    results = client.get(url(world.evaluation)).context["results"]
    assert [r.authority for r in results] == [None, world.derbyshire]

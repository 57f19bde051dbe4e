"""The impact page counts and pages each strength of evidence in the database: the strength is worked out there
as ``Evaluation.evidence_strength`` works it out, the page's queries do not grow with the results, and each
group's pages hold its results in the report's order."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Evaluation, EvidenceStrength, OutcomeResult
from tests.factories import (
    EvaluationFactory,
    EvidenceRatingFactory,
    OutcomeAreaFactory,
    OutcomeMeasureFactory,
    OutcomeResultFactory,
    ProjectFactory,
)
from tests.reports.test_impact_report import add_evaluated_projects

REPORT = reverse("impact:report")


def test_the_strength_in_the_database_is_the_evaluations_for_every_design_and_rating(db):
    for design in Evaluation.Design:
        for level in (None, "1", "2", "3", "4", "5"):
            evaluation = EvaluationFactory(design=design)
            if level:
                EvidenceRatingFactory(evaluation=evaluation, value=level)
            EvidenceRatingFactory(evaluation=evaluation, scale="wwcsc_strength", value="strong")
            OutcomeResultFactory(evaluation=evaluation)
    results = OutcomeResult.objects.with_evidence_strength().select_related("evaluation")
    results = results.prefetch_related("evaluation__ratings")
    pairs = [(result.evidence_strength, result.evaluation.evidence_strength) for result in results]
    assert len(pairs) == len(Evaluation.Design) * 6
    assert all(annotated == worked_out for annotated, worked_out in pairs), pairs
    # Every case is there: not rated, stronger, weaker, and rated above what a design without comparison allows.
    assert {annotated for annotated, _ in pairs} == set(EvidenceStrength.values)
    too_high = results.filter(evaluation__design=Evaluation.Design.BEFORE_AFTER, maryland_value="5").get()
    assert too_high.evidence_strength == EvidenceStrength.WEAKER


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("params", [{}, {"stronger_page": "2", "min_rating": "1"}])
def test_the_pages_queries_do_not_grow_from_3_to_60_results(
    client, world, monkeypatch, params, django_assert_max_num_queries
):
    monkeypatch.setattr("reports.impact_views.WEB_LIMIT", 5)  # so that 60 results run to several pages
    client.force_login(world.users.officer)
    add_evaluated_projects(world, 1)
    assert OutcomeResult.objects.count() == 3
    few = count_queries(client, REPORT, params)
    add_evaluated_projects(world, 57)
    assert OutcomeResult.objects.count() == 60
    with django_assert_max_num_queries(few):
        html = client.get(REPORT, params).content.decode()
    # Every result, or those of the 58 evaluations rated (the world's two are not).
    assert ("58 results" if params else "60 results") in html
    assert few <= 20  # tests/scale/test_page_queries.py's ceiling for every report page


def shown_in(html, strength, names):
    """The result names, in order, shown in one group's section of the page."""
    start = html.index(f'id="{strength}"')
    end = html.find('<h2 class="govuk-heading-m"', start)
    section = html[start:end] if end > 0 else html[start:]
    return sorted((name for name in names if name in section), key=section.index)


def test_each_group_pages_its_own_results_in_order_keeping_the_filters(client, world, monkeypatch):
    monkeypatch.setattr("reports.impact_views.WEB_LIMIT", 2)
    area = OutcomeAreaFactory(name="Aaa paging area")
    project = ProjectFactory(programme=world.programme)
    stronger = EvaluationFactory(design=Evaluation.Design.RCT, projects=[project])
    EvidenceRatingFactory(evaluation=stronger, value="5")
    weaker = EvaluationFactory(design=Evaluation.Design.BEFORE_AFTER, projects=[project])
    EvidenceRatingFactory(evaluation=weaker, value="2")
    names = {"stronger": [f"Strong measure {n}" for n in range(5)], "weaker": [f"Weak measure {n}" for n in range(3)]}
    for strength, evaluation in (("stronger", stronger), ("weaker", weaker)):
        for name in reversed(names[strength]):  # made out of order: the page orders them
            OutcomeResultFactory(evaluation=evaluation, measure=OutcomeMeasureFactory(name=name, outcome_area=area))
    everything = names["stronger"] + names["weaker"]
    client.force_login(world.users.officer)
    filters = {"outcome_area": str(area.pk)}

    html = client.get(REPORT, filters).content.decode()
    assert "8 results" in html
    assert shown_in(html, "stronger", everything) == names["stronger"][:2]
    assert shown_in(html, "weaker", everything) == names["weaker"][:2]
    assert "The first 2 of 5 results are shown." in html and "Page 1 of 3" in html

    html = client.get(REPORT, {**filters, "stronger_page": "2", "weaker_page": "2"}).content.decode()
    assert shown_in(html, "stronger", everything) == names["stronger"][2:4]
    assert shown_in(html, "weaker", everything) == names["weaker"][2:]
    assert "Results 3 to 4 of 5 are shown." in html and "Results 3 to 3 of 3 are shown." in html
    # Each link keeps the filters and the other group's page, and moves its own group only.
    links = re.findall(r'href="\?([^"#]+)#(\w+)"', html.replace("&amp;", "&"))
    assert (f"outcome_area={area.pk}&stronger_page=3&weaker_page=2", "stronger") in links
    assert (f"outcome_area={area.pk}&stronger_page=1&weaker_page=2", "stronger") in links
    assert (f"outcome_area={area.pk}&stronger_page=2&weaker_page=1", "weaker") in links

    html = client.get(REPORT, {**filters, "stronger_page": "99", "weaker_page": "x"}).content.decode()
    assert shown_in(html, "stronger", everything) == names["stronger"][4:]  # the last page there is
    assert shown_in(html, "weaker", everything) == names["weaker"][:2]


def test_a_groups_pages_order_its_results_by_outcome_area_then_measure_not_by_when_they_were_made(
    client, world, monkeypatch
):
    """The page numbers each result by its measure's place in the report's order (reports/impact.py): the place
    follows the outcome area's name, then the measure's, whatever order the measures were made in."""
    monkeypatch.setattr("reports.impact_views.WEB_LIMIT", 2)
    last_area, first_area = OutcomeAreaFactory(name="Zz last area"), OutcomeAreaFactory(name="Aa first area")
    evaluation = EvaluationFactory(design=Evaluation.Design.RCT, projects=[ProjectFactory(programme=world.programme)])
    EvidenceRatingFactory(evaluation=evaluation, value="4")
    for name, area in (("A measure", last_area), ("Z measure", first_area), ("M measure", first_area)):
        OutcomeResultFactory(evaluation=evaluation, measure=OutcomeMeasureFactory(name=name, outcome_area=area))
    names = ["M measure", "Z measure", "A measure"]
    client.force_login(world.users.officer)

    assert shown_in(client.get(REPORT).content.decode(), "stronger", names) == names[:2]
    assert shown_in(client.get(REPORT, {"stronger_page": "2"}).content.decode(), "stronger", names) == names[2:]

"""Every demo project is followed from award to evidence: milestones, the payments they
release, spend returns, an evaluation and its outcome results; and the evidence keeps
the rules (a result only for an organisation of the evaluated project, a rating never by
the evaluation's own evaluator)."""

import pytest
from django.db.models import Count, Q

from evaluations.models import Evaluation, EvidenceRating, OutcomeResult
from grants.models import Payment, SpendReturn
from grants.org_ids import internal_id
from projects.models import Milestone, Project, ProjectPartner

pytestmark = pytest.mark.django_db

REFERENCES = {
    "CSCIP-R1-RSW",
    "CSCIP-R1-HIOW",
    "CSCIP-R2-FS",
    "CSCIP-R2-LL",
    "CSCIP-R2-NTH",
    "CSCIP-R2-MOCK",
    "CSCIP-R2-SLG",
    "CSCIP-R2-HCK",
    "CSCIP-R2-HAV",
}


def test_every_project_has_milestones_payments_returns_an_evaluation_and_results(demo):
    projects = Project.objects.annotate(
        milestones_count=Count("milestones", distinct=True),
        paid_milestones=Count("milestones", filter=Q(milestones__payments__kind=Payment.Kind.PAYMENT), distinct=True),
        evaluations_count=Count("evaluations", distinct=True),
        results=Count("evaluations__results", distinct=True),
    )
    assert set(projects.values_list("reference", flat=True)) == REFERENCES
    for project in projects:
        assert project.milestones_count >= 3, project.reference
        assert project.paid_milestones >= 1, project.reference
        assert project.evaluations_count == 1, project.reference
        assert project.results >= 1, project.reference
        assert SpendReturn.objects.filter(allocation__grant__project=project).count() >= 8, project.reference
        assert Payment.objects.filter(allocation__grant__project=project, milestone__isnull=True).exists()
    # Hampshire's milestones are the seven strands of its evaluation report, all delivered before it closed.
    hampshire = Milestone.objects.filter(project__reference="CSCIP-R1-HIOW")
    assert hampshire.count() == 7
    assert set(hampshire.values_list("status", flat=True)) == {Milestone.Status.ACCEPTED}
    assert hampshire.filter(title__startswith="Willow Team").exists()


def test_every_milestone_and_result_is_marked_illustrative(demo):
    assert Milestone.objects.count() == 41
    assert not Milestone.objects.filter(illustrative=False).exists()
    assert OutcomeResult.objects.count() == 11
    assert not OutcomeResult.objects.filter(illustrative=False).exists()


def test_no_outcome_result_is_for_an_organisation_outside_its_project(demo):
    results = OutcomeResult.objects.select_related("authority", "evaluation")
    assert results.filter(authority__isnull=True).exists() and results.filter(authority__isnull=False).exists()
    for result in results:
        projects = result.evaluation.projects.all()
        taking_part = set(projects.values_list("lead_organisation", flat=True)) | set(
            ProjectPartner.objects.filter(project__in=projects).values_list("organisation", flat=True)
        )
        assert result.authority_id is None or result.authority_id in taking_part, result
    assert not results.filter(authority__org_id="GB-LAE-CON").exists()
    assert set(
        results.filter(measure__name="Children on child protection plans per 10,000").values_list(
            "authority__org_id", flat=True
        )
    ) == {"GB-LAE-HRT", "GB-LAE-LUT"}


def test_no_rating_is_by_one_of_its_evaluations_evaluators(demo):
    ratings = EvidenceRating.objects.select_related("evaluation", "rated_by")
    assert ratings.count() == 8
    for rating in ratings:
        assert rating.rated_by is not None
        assert not rating.evaluation.evaluators.filter(pk=rating.rated_by_id).exists(), rating
    assert set(ratings.values_list("rated_by__username", flat=True)) == {"officer"}
    # Weaker evidence only: no design with a comparison group, nothing above Maryland level 2.
    assert set(ratings.values_list("value", flat=True)) == {"1", "2"}


def test_every_evaluation_is_the_fictional_universitys(demo):
    evaluations = Evaluation.objects.select_related("evaluator_organisation")
    assert evaluations.count() == 9
    assert {e.evaluator_organisation.org_id for e in evaluations} == {internal_id("University of Wessex")}
    assert set(evaluations.values_list("evaluators__username", flat=True)) == {"evaluator"}

"""Each list reads its page in a number of queries that does not grow with its rows: the same at two rows
of everything as at six."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grants.models import Payment
from projects.models import Milestone, MilestoneReview
from tests import factories
from tests.api.test_reads_scope import SCOPES

PERSONAS = ("officer", "morninglane", "harrow", "evaluator")
# An evaluator reads the projects it evaluates, but none of their money or milestones.
NO_MONEY_OR_MILESTONES = {"/milestones", "/allocations", "/payments", "/spend-returns"}


@pytest.fixture(autouse=True)
def unlimited(settings):
    settings.API_RATE_LIMIT = "100000/minute"


def add_row_of_everything(world):
    """One more of each listed kind, all filled in (partners, themes, evidence, a review, ratings, reports,
    a successor), seen by the officer, the lead (Morning Lane), Harrow as the partner and the evaluator."""
    programme = factories.ProgrammeFactory(funder=world.dfe)
    round_ = factories.RoundFactory(programme=programme)
    project = factories.ProjectFactory(programme=programme, lead_organisation=world.morning_lane)
    project.themes.add(world.theme, factories.ThemeFactory())
    factories.ProjectPartnerFactory(project=project, organisation=world.harrow)
    grant = factories.GrantFactory(project=project, round=round_)
    allocation = factories.AllocationFactory(grant=grant, recipient=world.harrow)
    milestone = factories.MilestoneFactory(
        project=project,
        organisation=world.harrow,
        payment_amount=Decimal("1000.00"),
        allocation=allocation,
        status=Milestone.Status.ACCEPTED,
    )
    submission = factories.MilestoneSubmissionFactory(milestone=milestone, submitted_by=world.users.harrow)
    factories.EvidenceFileFactory.create_batch(2, submission=submission)
    factories.MilestoneReviewFactory(submission=submission, decision=MilestoneReview.Decision.ACCEPTED)
    factories.PaymentFactory(allocation=allocation, milestone=milestone, amount=Decimal("1000.00"))
    factories.PaymentFactory(allocation=allocation, kind=Payment.Kind.RECOVERY, amount=Decimal("10.00"))
    factories.SpendReturnFactory(allocation=allocation, quarter=1, submitted_by=world.users.harrow)
    evaluation = factories.EvaluationFactory(projects=[project], evaluators=[world.users.evaluator])
    factories.EvidenceRatingFactory(evaluation=evaluation)
    factories.EvaluationReportFactory(evaluation=evaluation)
    factories.OutcomeResultFactory(evaluation=evaluation, measure=world.measure)
    ended = factories.LocalAuthorityFactory(valid_to=dt.date(2021, 3, 31))
    ended.replaced_by.add(world.harrow)
    factories.ProjectPartnerFactory(project=project, organisation=ended, role="delivery_partner")


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1{path}", {"limit": 200})
    assert response.status_code == 200, response.content
    return len(captured), len(response.json()["items"])


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_read_in_constant_queries(persona, world, api_client_for, django_assert_max_num_queries):
    client = api_client_for(persona)
    for _ in range(2):
        add_row_of_everything(world)
    # The token's first request also records when it was used: one write a minute, not a query of the list.
    client.get("/api/v1/programmes")
    small = {path: queries(client, path) for path in SCOPES}
    for _ in range(4):
        add_row_of_everything(world)
    for path, (count, rows) in small.items():
        with django_assert_max_num_queries(count):
            bigger, more_rows = queries(client, path)
        assert bigger == count, f"{persona} {path}: {count} queries at {rows} rows, {bigger} at {more_rows}"
        if persona == "evaluator" and path in NO_MONEY_OR_MILESTONES:
            assert rows == more_rows == 0
        else:
            assert more_rows >= rows + 4, f"{persona} {path} did not grow: {rows} -> {more_rows}"

"""Each finder reads a fixed number of queries however many rows it finds (the fan-out to people is
done over rows already read), and sending asks nothing more of the domain."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from evaluations.models import OutcomeResult
from grants.financial_year import FinancialYear
from grants.models import Allocation
from projects.models import Milestone
from reminders.due import FINDERS
from tests.conftest import _user

TODAY = dt.date(2016, 4, 20)


def queries_and_found(finder):
    with CaptureQueriesContext(connection) as captured:
        found = finder(TODAY)
    return len(captured), len(found)


def more_of_everything(world, batch):
    for number in range(batch * 5, batch * 5 + 5):
        Milestone.objects.create(
            project=world.project, organisation=world.derbyshire, title=f"Extra {number}", due_date=dt.date(2016, 4, 1)
        )
        Milestone.objects.create(
            project=world.other_project,
            organisation=world.kent,
            title=f"Waiting {number}",
            due_date=dt.date(2016, 4, 1),
            status=Milestone.Status.SUBMITTED,
        )
        _user(f"derbyshire{number}", Role.RECIPIENT, world.derbyshire)
        _user(f"officer{number}", Role.OFFICER, world.dfe)
    Allocation.objects.create(
        grant=world.grant, recipient=world.harrow, financial_year=FinancialYear(2014 - batch), resource=Decimal("1000")
    )
    result = world.result if batch == 0 else world.other_result
    OutcomeResult.objects.filter(pk=result.pk).update(
        followup_period_start=dt.date(2015, 4, 1), followup_period_end=dt.date(2016, 3, 31)
    )
    if batch:
        world.other_evaluation.evaluators.add(world.users.evaluator)


@pytest.mark.parametrize("finder", FINDERS, ids=lambda finder: finder.__name__)
def test_the_queries_of_each_finder_do_not_grow_with_what_it_finds(world, finder):
    more_of_everything(world, 0)  # at least one of each: with none, a finder may stop early
    few, found_few = queries_and_found(finder)
    more_of_everything(world, 1)
    many, found_many = queries_and_found(finder)
    assert many == few
    if finder.__name__ in ("milestones_due", "spend_returns_due", "submissions_waiting", "results_due"):
        assert found_many > found_few

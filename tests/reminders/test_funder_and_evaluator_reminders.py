"""What waits for the funder's staff and for evaluators: submissions to review (programme officers,
one list a day), grants projected to under- or overspend and reconciliation differences (programme
officers), accepted milestones waiting for payment (finance officers), outcome results due (the
evaluators assigned)."""

import datetime as dt
from decimal import Decimal

from evaluations.models import Evaluation, OutcomeResult
from grants.financial_year import FinancialYear
from grants.models import Allocation, SpendReturn
from grants.services import pay_milestone
from grants.spend_returns import submit_spend_return
from projects.models import Milestone
from projects.services import review_milestone, submit_milestone
from reminders.due import (
    grants_off_forecast,
    payments_waiting,
    reconciliation_differences,
    results_due,
    submissions_waiting,
)
from reports.outturn import forecast_outturn
from tests.reminders.conftest import sent_to

TODAY = dt.date(2015, 10, 20)


def everyone_but(world, *users):
    return [user for user in vars(world.users).values() if user not in users]


def test_nothing_waiting_sends_nothing(world):
    assert submissions_waiting(TODAY) == []


def test_programme_officers_get_one_list_a_day_of_what_waits(world):
    submit_milestone(milestone=world.harrow_milestone, by=world.users.harrow, narrative="The unit is recruited.")
    submit_spend_return(
        allocation=world.allocations["GB-LAE-DBY"],
        by=world.users.derbyshire,
        quarter=1,
        spent=Decimal("12345.67"),
        forecast=Decimal("200000"),
    )
    reminders = submissions_waiting(TODAY)
    assert [(r.user, r.kind.value, r.key) for r in reminders] == [
        (world.users.officer, "submission_waiting", "waiting:2015-10-20")
    ]
    text = reminders[0].personalisation
    assert text["count"] == "2" and text["milestone_count"] == "1 milestone submission"
    assert "Harrow unit recruited, London Borough of Harrow (Reclaiming Social Work)" in text["milestones"]
    assert f"/projects/milestones/{world.harrow_milestone.pk}/review/" in text["milestones"]
    assert "Derbyshire County Council, 2015-16 Q1 (Reclaiming Social Work): spent £12,345.67" in text["returns"]
    assert text["link"].endswith("/projects/dashboard/")
    # The next day is another list.
    assert [r.key for r in submissions_waiting(TODAY + dt.timedelta(days=1))] == ["waiting:2015-10-21"]


def test_a_reviewed_submission_no_longer_waits(world):
    submit_milestone(milestone=world.harrow_milestone, by=world.users.harrow, narrative="The unit is recruited.")
    review_milestone(milestone=world.harrow_milestone, by=world.users.officer, decision="accepted")
    assert submissions_waiting(TODAY) == []


def test_a_grant_projected_to_underspend_is_told_once_per_year_and_direction(world):
    # Harrow's return: £10,000 spent, £20,000 more forecast, of £700,000 allocated to the grant in 2015-16.
    submit_spend_return(
        allocation=world.allocations["GB-LAE-HRW"],
        by=world.users.harrow,
        quarter=1,
        spent=Decimal("10000"),
        forecast=Decimal("20000"),
    )
    reminders = grants_off_forecast(TODAY)
    assert [(r.user, r.kind.value, r.key) for r in reminders] == [
        (world.users.officer, "grant_variance", f"grant:{world.grant.pk}:2015-16:underspend")
    ]
    text = reminders[0].personalisation
    # The dashboard's projection, not a figure of the reminders' own.
    (shown,) = forecast_outturn(world.users.officer, year=FinancialYear(2015)).grants
    assert (text["allocated"], text["spent"], text["forecast"], text["outturn"], text["variance"]) == (
        "£700,000.00",
        "£10,000.00",
        "£20,000.00",
        "£30,000.00",
        "£670,000.00",
    )
    assert shown.variance == Decimal("670000.00") and text["percent"] == f"{shown.percent}%" == "95.7%"
    assert text["direction"] == "underspend" and text["grant"] == "Reclaiming Social Work"
    # The Kent grant has no return, so nothing to project from; a year with no return is quiet.
    assert grants_off_forecast(dt.date(2016, 10, 20)) == []


def test_reconciliation_differences_go_to_programme_officers_once_per_set(world):
    reminders = reconciliation_differences(TODAY)
    assert [r.user for r in reminders] == [world.users.officer]
    text = reminders[0].personalisation
    # The world's grants are not fully allocated: £1,000,000 awarded, £700,000 allocated.
    assert "Reclaiming Social Work:" in text["differences"] and text["link"].endswith("/grants/reconciliation/")
    assert reconciliation_differences(TODAY + dt.timedelta(days=1))[0].key == reminders[0].key
    Allocation.objects.filter(pk=world.allocations["GB-LAE-HRW"].pk).update(resource=Decimal("600000.00"))
    assert reconciliation_differences(TODAY)[0].key != reminders[0].key


def test_an_accepted_milestone_waits_for_finance_officers_until_paid(world):
    milestone = world.harrow_milestone
    submit_milestone(milestone=milestone, by=world.users.harrow, narrative="The unit is recruited.")
    review_milestone(milestone=milestone, by=world.users.officer, decision="accepted")
    reminders = payments_waiting(TODAY)
    assert [(r.user, r.kind.value, r.key) for r in reminders] == [
        (world.users.finance, "payment_waiting", f"milestone:{milestone.pk}:payment_waiting")
    ]
    text = reminders[0].personalisation
    assert (text["amount"], text["organisation"], text["milestone"]) == (
        "£40,000.00",
        "London Borough of Harrow",
        "Harrow unit recruited",
    )
    assert text["link"].endswith(f"/grants/milestones/{milestone.pk}/pay/")
    pay_milestone(
        milestone=Milestone.objects.get(pk=milestone.pk), paid_on=dt.date(2015, 10, 1), by=world.users.finance
    )
    assert payments_waiting(TODAY) == []


def follow_up(result, *, ends, value=None):
    OutcomeResult.objects.filter(pk=result.pk).update(
        followup_period_start=dt.date(2015, 4, 1), followup_period_end=ends, followup_value=value
    )


def test_results_due_go_to_the_evaluators_assigned(world):
    follow_up(world.result, ends=dt.date(2016, 3, 31))
    follow_up(world.other_result, ends=dt.date(2016, 3, 31))  # its evaluation has nobody assigned
    assert results_due(dt.date(2016, 3, 31)) == []  # the period has not ended yet
    reminders = results_due(dt.date(2016, 4, 1))
    assert [(r.user, r.kind.value, r.key) for r in reminders] == [
        (world.users.evaluator, "results_due", f"evaluation:{world.evaluation.pk}:results_due:2016-03-31")
    ]
    text = reminders[0].personalisation
    assert text["evaluation"] == "Evaluation of Reclaiming Social Work" and text["period_end"] == "31 March 2016"
    assert "Social work time in direct work with families" in text["results"]
    for someone in everyone_but(world, world.users.evaluator):
        assert sent_to(reminders, someone) == []


def test_a_result_with_its_follow_up_or_a_published_evaluation_is_not_due(world):
    follow_up(world.result, ends=dt.date(2016, 3, 31), value=Decimal("35"))
    assert results_due(dt.date(2016, 4, 1)) == []
    follow_up(world.result, ends=dt.date(2016, 3, 31))
    Evaluation.objects.filter(pk=world.evaluation.pk).update(status=Evaluation.Status.FINAL_PUBLISHED)
    assert results_due(dt.date(2016, 4, 1)) == []


def test_the_spend_return_waits_until_reviewed(world):
    spend_return = submit_spend_return(
        allocation=world.allocations["GB-LAE-HRW"], by=world.users.harrow, quarter=1, spent=1, forecast=1
    )
    assert len(submissions_waiting(TODAY)) == 1
    SpendReturn.objects.filter(pk=spend_return.pk).update(
        status=SpendReturn.Status.REVIEWED, reviewed_by=world.users.officer, reviewed_at=spend_return.submitted_at
    )
    assert submissions_waiting(TODAY) == []

"""Spend return reminders: each allocation owes a return for each quarter of its year, due
SPEND_RETURN_DUE_DAYS after the quarter ends, while none has been made; only quarters after the
award and within the project, of live projects and grants, to the staff of the recipient."""

import datetime as dt
from decimal import Decimal

import pytest

from grants.models import Allocation, Grant, SpendReturn
from grants.spend_returns import owed, submit_spend_return
from projects.models import Project
from reminders.due import spend_returns_due
from tests.reminders.conftest import sent_to

Q1_DUE = dt.date(2015, 7, 30)  # 2015-16 Q1 ends on 30 June; its return is due 30 days later


@pytest.fixture(autouse=True)
def thirty_days(settings):
    settings.SPEND_RETURN_DUE_DAYS = 30


@pytest.mark.parametrize(
    ("days_before", "kind"),
    [
        (15, None),
        (14, "spend_return_due_14"),
        (4, "spend_return_due_14"),
        (3, "spend_return_due_3"),
        (0, "spend_return_due_3"),
        (-1, "spend_return_overdue"),
        (-28, "spend_return_overdue"),
        (-29, None),  # missed longer ago than REMINDER_OVERDUE_DAYS
    ],
)
def test_the_window_a_day_falls_in(world, days_before, kind):
    found = sent_to(spend_returns_due(Q1_DUE - dt.timedelta(days=days_before)), world.users.harrow)
    allocation = world.allocations["GB-LAE-HRW"]
    suffix = kind and kind.removeprefix("spend_return_")
    assert found == ([] if kind is None else [(kind, f"spend_return:{allocation.pk}:q1:{suffix}:2015-07-30")])


def test_the_due_date_follows_the_setting(world, settings):
    settings.SPEND_RETURN_DUE_DAYS = 10  # Q1's return due on 10 July
    (reminder,) = [r for r in spend_returns_due(dt.date(2015, 7, 7)) if r.user == world.users.harrow]
    assert reminder.kind == "spend_return_due_3" and reminder.personalisation["due_date"] == "10 July 2015"


def test_each_recipient_hears_of_its_own_allocation(world, settings):
    settings.SERVICE_URL = "https://grants.example.gov.uk"
    reminders = spend_returns_due(dt.date(2015, 7, 20))
    users = world.users
    mine = [r for r in reminders if r.user == users.harrow]
    assert [r.personalisation["organisation"] for r in mine] == ["London Borough of Harrow"]
    assert mine[0].personalisation == {
        "name": "Harrow Tester",
        "organisation": "London Borough of Harrow",
        "project": "Reclaiming Social Work",
        "grant": "Reclaiming Social Work",
        "financial_year": "2015-16",
        "quarter": "Q1 of 2015-16 (April to June 2015)",
        "quarter_end": "30 June 2015",
        "due_date": "30 July 2015",
        "when": "in 10 days",
        "allocated": "£300,000.00",
        "link": f"https://grants.example.gov.uk/grants/allocations/{world.allocations['GB-LAE-HRW'].pk}/returns/new/",
    }
    assert {r.user for r in reminders} == {users.harrow, users.derbyshire, users.morninglane, users.kent}


def test_a_return_made_for_the_quarter_stops_its_reminders(world):
    submit_spend_return(
        allocation=world.allocations["GB-LAE-HRW"],
        by=world.users.harrow,
        quarter=1,
        spent=Decimal("1000"),
        forecast=Decimal("2000"),
    )
    reminders = spend_returns_due(dt.date(2015, 8, 5))
    assert sent_to(reminders, world.users.harrow) == []
    assert [r.kind.value for r in reminders if r.user == world.users.derbyshire] == ["spend_return_overdue"]


def test_only_quarters_after_the_award_and_within_the_project_are_owed(world, settings):
    settings.REMINDER_OVERDUE_DAYS = 3650  # every quarter missed is reminded of here
    Grant.objects.filter(pk=world.grant.pk).update(award_date=dt.date(2015, 7, 6))  # after Q1 ended
    Project.objects.filter(pk=world.project.pk).update(end_date=dt.date(2015, 9, 30))  # before Q3 began
    reminders = [r for r in spend_returns_due(dt.date(2016, 6, 1)) if r.user == world.users.harrow]
    assert [r.personalisation["quarter"] for r in reminders] == ["Q2 of 2015-16 (July to September 2015)"]
    kent = [r for r in spend_returns_due(dt.date(2016, 6, 1)) if r.user == world.users.kent]
    assert len(kent) == 4 and {r.kind.value for r in kent} == {"spend_return_overdue"}


def test_a_quarter_before_the_project_began_is_not_owed(world):
    Project.objects.filter(pk=world.project.pk).update(start_date=dt.date(2015, 7, 1))
    reminders = [r for r in spend_returns_due(dt.date(2015, 8, 5)) if r.user == world.users.harrow]
    assert reminders == []


@pytest.mark.parametrize("status", [Project.Status.CLOSED, Project.Status.WITHDRAWN])
def test_a_closed_or_withdrawn_project_is_skipped(world, status):
    Project.objects.filter(pk=world.project.pk).update(status=status)
    assert {r.user for r in spend_returns_due(dt.date(2015, 8, 5))} == {world.users.kent}


def test_a_closed_grant_is_skipped(world):
    Grant.objects.filter(pk=world.other_grant.pk).update(status=Grant.Status.CLOSED)
    assert world.users.kent not in {r.user for r in spend_returns_due(dt.date(2015, 8, 5))}


def test_a_quarter_missing_between_returns_made_is_owed_and_four_returns_owe_nothing(world, settings):
    harrow, derbyshire = world.allocations["GB-LAE-HRW"], world.allocations["GB-LAE-DBY"]
    for allocation, quarters in ((harrow, (1, 2, 4)), (derbyshire, (1, 2, 3, 4))):
        for quarter in quarters:
            SpendReturn.objects.create(
                allocation=allocation, quarter=quarter, spent=Decimal("1"), forecast=Decimal("0")
            )
    found = owed(Allocation.objects.filter(pk__in=[harrow.pk, derbyshire.pk]), due_by=dt.date(2016, 12, 31))
    assert [(o.allocation.pk, o.quarter.number) for o in found] == [(harrow.pk, 3)]

"""Milestone reminders to the staff of the organisation that delivers each: 14 and 3 days before and
once overdue, for open milestones of live projects and grants only."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grants.models import Grant
from projects.models import Milestone, Project
from reminders.due import milestones_due
from tests.reminders.conftest import sent_to

DUE = dt.date(2015, 9, 30)  # the world's milestones are all due on this day


@pytest.mark.parametrize(
    ("days_before", "kind"),
    [
        (15, None),
        (14, "milestone_due_14"),
        (4, "milestone_due_14"),
        (3, "milestone_due_3"),
        (0, "milestone_due_3"),
        (-1, "milestone_overdue"),
        (-28, "milestone_overdue"),
        (-29, None),  # missed longer ago than REMINDER_OVERDUE_DAYS: on the dashboard, not sent
        (-200, None),
    ],
)
def test_the_window_a_day_falls_in(world, days_before, kind):
    found = sent_to(milestones_due(DUE - dt.timedelta(days=days_before)), world.users.harrow)
    expected = [] if kind is None else [(kind, f"milestone:{world.harrow_milestone.pk}:{kind[10:]}:2015-09-30")]
    assert found == expected


def test_each_organisation_hears_of_its_own_milestones_only(world):
    reminders = milestones_due(dt.date(2015, 9, 20))
    users = world.users
    assert [r.personalisation["milestone"] for r in reminders if r.user == users.harrow] == ["Harrow unit recruited"]
    assert [r.personalisation["milestone"] for r in reminders if r.user == users.derbyshire] == [
        "Family breakdown unit running"
    ]
    assert [r.personalisation["milestone"] for r in reminders if r.user == users.kent] == ["Hubs open"]
    # The lead delivers none of these; funder staff, evaluators and outsiders are not reminded.
    for someone in (users.morninglane, users.officer, users.finance, users.evaluator, users.viewer, users.outsider):
        assert sent_to(reminders, someone) == []


def test_the_message_names_the_milestone_its_date_money_and_link(world, settings):
    settings.SERVICE_URL = "https://grants.example.gov.uk"
    (reminder,) = [r for r in milestones_due(dt.date(2015, 9, 20)) if r.user == world.users.harrow]
    assert reminder.personalisation == {
        "name": "Harrow Tester",
        "milestone": "Harrow unit recruited",
        "project": "Reclaiming Social Work",
        "organisation": "London Borough of Harrow",
        "due_date": "30 September 2015",
        "when": "in 10 days",
        "status": "planned",
        "payment": "£40,000.00",
        "link": f"https://grants.example.gov.uk/projects/milestones/{world.harrow_milestone.pk}/",
    }


def test_returned_milestones_are_reminded_and_submitted_or_accepted_ones_are_not(world):
    today = dt.date(2015, 9, 28)
    Milestone.objects.filter(pk=world.harrow_milestone.pk).update(status=Milestone.Status.RETURNED)
    Milestone.objects.filter(pk=world.derbyshire_milestone.pk).update(status=Milestone.Status.SUBMITTED)
    Milestone.objects.filter(pk=world.other_milestone.pk).update(status=Milestone.Status.ACCEPTED)
    reminders = milestones_due(today)
    assert [r.user for r in reminders] == [world.users.harrow]
    assert reminders[0].kind == "milestone_due_3"


@pytest.mark.parametrize("status", [Project.Status.CLOSED, Project.Status.WITHDRAWN])
def test_a_closed_or_withdrawn_project_is_skipped(world, status):
    Project.objects.filter(pk=world.project.pk).update(status=status)
    reminders = milestones_due(dt.date(2015, 10, 5))
    assert {r.user for r in reminders} == {world.users.kent}


@pytest.mark.parametrize("status", [Grant.Status.CLOSED, Grant.Status.WITHDRAWN])
def test_a_milestone_paid_from_a_closed_grant_is_skipped(world, status):
    Grant.objects.filter(pk=world.other_grant.pk).update(status=status)
    reminders = milestones_due(dt.date(2015, 10, 5))
    assert world.users.kent not in {r.user for r in reminders}
    assert world.users.harrow in {r.user for r in reminders}


def test_a_disabled_user_is_not_reminded(world):
    world.users.harrow.is_active = False
    world.users.harrow.save()
    assert sent_to(milestones_due(dt.date(2015, 9, 20)), world.users.harrow) == []


def test_a_moved_deadline_is_reminded_again(world):
    before = sent_to(milestones_due(dt.date(2015, 9, 20)), world.users.harrow)
    Milestone.objects.filter(pk=world.harrow_milestone.pk).update(due_date=dt.date(2015, 10, 1))
    after = sent_to(milestones_due(dt.date(2015, 9, 20)), world.users.harrow)
    assert before[0][0] == after[0][0] == "milestone_due_14" and before[0][1] != after[0][1]


def test_the_queries_do_not_grow_with_the_milestones(world):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            found = milestones_due(dt.date(2015, 9, 20))
        return len(captured), len(found)

    few, found_few = queries()
    for number in range(10):
        Milestone.objects.create(
            project=world.project, organisation=world.harrow, title=f"Extra {number}", due_date=dt.date(2015, 9, 25)
        )
    many, found_many = queries()
    assert found_many == found_few + 10
    assert many == few == 2

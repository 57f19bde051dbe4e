"""The issue's done-when check on the demo programme: on 20 October 2015 Harrow's staff are reminded
of "Six-month time-use survey in Harrow" (due 31 October 2015, returned, so still open), and running
send_reminders twice sends it once."""

import io

import pytest
from django.core.management import call_command

from notifications.models import Message
from projects.models import Milestone
from tests.conftest import demo_loaded

SURVEY = "Six-month time-use survey in Harrow"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_loaded(django_db_blocker):
        yield


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_the_dry_run_lists_harrows_survey_reminder_to_harrow_only(demo, db):
    survey = Milestone.objects.get(title=SURVEY)
    assert survey.status == Milestone.Status.RETURNED
    recorded = Message.objects.count()  # the demo's own events (payments made, evidence returned) are told too
    lines = run("--dry-run", "--today", "2015-10-20").splitlines()
    assert (
        "harrow@example.gov.uk\tmilestone_due_14\tSix-month time-use survey in Harrow is due on 31 October 2015"
        in lines
    )
    assert [line for line in lines if SURVEY in line] == [
        "harrow@example.gov.uk\tmilestone_due_14\tSix-month time-use survey in Harrow is due on 31 October 2015"
    ]
    assert not any(line.startswith("harrow@") and "Derbyshire" in line for line in lines)
    assert lines[-1].startswith("2015-10-20: would send ")
    assert Message.objects.count() == recorded


def test_running_twice_sends_it_once(demo, db):
    survey = Milestone.objects.get(title=SURVEY)
    first = run("--today", "2015-10-20")
    second = run("--today", "2015-10-20")
    (message,) = Message.objects.filter(kind="milestone_due_14", key__startswith=f"milestone:{survey.pk}:")
    assert message.user.username == "harrow" and message.email == "harrow@example.gov.uk"
    assert "31 October 2015" in message.body and "£120,000.00" in message.body
    assert message.body.rstrip().endswith(f"/projects/milestones/{survey.pk}/")
    assert "milestone_due_14" in first and second.splitlines()[-1].startswith("2015-10-20: sent 0 messages;")

"""`manage.py send_reminders`: each reminder reaches its person once, by email, with the names, dates and
link; --dry-run lists what it would send and sends and records nothing; a person's choice is obeyed."""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from notifications.models import Message
from notifications.services import save_preferences
from projects.models import Milestone

HARROW_14 = "2015-09-20"  # the world's Harrow milestone is due on 30 September 2015


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_a_reminder_reaches_the_outbox_with_names_dates_and_link(
    world, send_at_once, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run("--today", HARROW_14)
    (email,) = [m for m in mail.outbox if m.to == ["harrow@example.gov.uk"] and "Harrow unit" in m.subject]
    assert email.subject == "Harrow unit recruited is due on 30 September 2015"
    assert email.body.startswith("Dear Harrow Tester,\n")
    assert (
        'London Borough of Harrow\'s milestone "Harrow unit recruited" for Reclaiming Social Work is due on '
        "30 September 2015, in 10 days." in email.body
    )
    assert "Its acceptance releases a payment of £40,000.00." in email.body
    assert email.body.rstrip().endswith(f"http://127.0.0.1:8000/projects/milestones/{world.harrow_milestone.pk}/")
    assert "&#x27;" not in email.body  # plain text: the apostrophe is not escaped as HTML
    # Derbyshire hears of its own milestone, not Harrow's.
    to_derbyshire = [m for m in mail.outbox if m.to == ["derbyshire@example.gov.uk"]]
    assert [m.subject for m in to_derbyshire if "milestone" in m.body] == [
        "Family breakdown unit running is due on 30 September 2015"
    ]
    assert not any("Harrow" in m.subject + m.body for m in to_derbyshire)


def test_running_twice_sends_each_reminder_once(world, send_at_once, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = run("--today", HARROW_14)
    sent = len(mail.outbox)
    recorded = Message.objects.count()
    assert sent == recorded > 0
    with django_capture_on_commit_callbacks(execute=True):
        second = run("--today", HARROW_14)
    assert len(mail.outbox) == sent and Message.objects.count() == recorded
    assert first.splitlines()[-1].startswith(f"2015-09-20: sent {recorded} messages (")
    assert "milestone_due_14 3" in first  # Harrow, Derbyshire and Kent
    assert second.splitlines()[-1] == f"2015-09-20: sent 0 messages; {recorded} already sent or not wanted."
    assert Message.objects.filter(user=world.users.harrow, kind="milestone_due_14").count() == 1


def test_a_dry_run_lists_what_it_would_send_and_records_nothing(
    world, send_at_once, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        out = run("--dry-run", "--today", HARROW_14)
    assert "harrow@example.gov.uk\tmilestone_due_14\tHarrow unit recruited is due on 30 September 2015" in out
    assert Message.objects.count() == 0 and mail.outbox == []
    assert "would send" in out.splitlines()[-1]
    # After a real run, the dry run has nothing left to list for that day.
    run("--today", HARROW_14)
    again = run("--dry-run", "--today", HARROW_14)
    assert again.splitlines()[0].startswith("2015-09-20: would send 0 messages;")


def test_a_person_who_switched_a_kind_off_does_not_get_it(world, send_at_once, django_capture_on_commit_callbacks):
    save_preferences(user=world.users.harrow, switched_off=["milestone_due_14"], weekly=False)
    listed = run("--dry-run", "--today", HARROW_14)
    assert "harrow@example.gov.uk\tmilestone_due_14" not in listed
    assert "derbyshire@example.gov.uk\tmilestone_due_14" in listed
    with django_capture_on_commit_callbacks(execute=True):
        run("--today", HARROW_14)
    assert not Message.objects.filter(user=world.users.harrow, kind="milestone_due_14").exists()
    assert not [m for m in mail.outbox if m.to == ["harrow@example.gov.uk"] and "Harrow unit" in m.subject]
    assert Message.objects.filter(user=world.users.derbyshire, kind="milestone_due_14").exists()


def test_an_overdue_milestone_is_sent_whatever_the_person_chose(
    world, send_at_once, django_capture_on_commit_callbacks
):
    # Overdue is a required kind: it cannot be switched off.
    save_preferences(user=world.users.harrow, switched_off=["milestone_due_14", "milestone_overdue"], weekly=False)
    with django_capture_on_commit_callbacks(execute=True):
        run("--today", "2015-10-01")
    (email,) = [m for m in mail.outbox if m.to == ["harrow@example.gov.uk"] and "Harrow unit" in m.subject]
    assert email.subject == "Overdue: Harrow unit recruited was due on 30 September 2015"


def test_a_person_on_the_weekly_digest_has_it_held(world, send_at_once, django_capture_on_commit_callbacks, settings):
    settings.REMINDER_OVERDUE_DAYS = 3650  # Q1's return, missed on 30 July, is still reminded of
    save_preferences(user=world.users.harrow, switched_off=[], weekly=True)
    with django_capture_on_commit_callbacks(execute=True):
        run("--today", HARROW_14)
    assert Message.objects.get(user=world.users.harrow, kind="milestone_due_14").status == Message.Status.HELD
    # Only the required kind (the overdue spend return) went at once.
    assert [m.subject for m in mail.outbox if m.to == ["harrow@example.gov.uk"]] == [
        "Overdue: spend return for Q1 of 2015-16 (April to June 2015) was due on 30 July 2015"
    ]


def test_each_kind_renders_with_its_names_and_link(world, send_at_once, django_capture_on_commit_callbacks, settings):
    """Every message the world owes on a day with something of each kind due renders, ending with its link."""
    settings.REMINDER_OVERDUE_DAYS = 3650  # Q1's return, missed on 30 July, is still reminded of
    Milestone.objects.filter(pk=world.other_milestone.pk).update(status=Milestone.Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        run("--today", "2015-10-01")
    assert mail.outbox
    for email in mail.outbox:
        assert email.body.startswith("Dear ") and email.body.rstrip().splitlines()[-1].startswith(
            "http://127.0.0.1:8000/"
        )
        assert "{{" not in email.body and "&amp;" not in email.body and "&#" not in email.body
    kinds = set(Message.objects.values_list("kind", flat=True))
    assert {"milestone_overdue", "spend_return_overdue", "submission_waiting", "reconciliation_differences"} <= kinds


@pytest.mark.parametrize("value", ["20/10/2015", "2015-02-30", "tomorrow"])
def test_a_bad_date_is_refused_plainly(db, value):
    with pytest.raises(CommandError, match="--today must be a date written YYYY-MM-DD"):
        run("--today", value)

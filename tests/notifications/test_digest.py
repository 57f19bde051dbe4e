"""The weekly digest: optional kinds held for it, one message a week listing them, sent once."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from notifications.catalogue import Kind
from notifications.models import Message
from notifications.services import notify, save_preferences

pytestmark = pytest.mark.django_db


def accepted(milestone, n):
    return {
        "name": "Derbyshire Tester",
        "milestone": milestone,
        "project": "Reclaiming Social Work",
        "organisation": "Derbyshire County Council",
        "due_date": "30 September 2015",
        "reviewer": "Officer Tester",
        "reviewed_on": "1 October 2015",
        "reason": "",
        "payment": "",
        "link": f"http://127.0.0.1:8000/m/{n}/",
    }


def returned():
    return {**accepted("Unit running", 9), "reason": "Figures missing."}


def test_a_digest_user_gets_optional_kinds_weekly_and_required_ones_at_once(
    world, send_at_once, django_capture_on_commit_callbacks
):
    user = world.users.derbyshire
    save_preferences(user=user, switched_off=[], weekly=True)
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(user=user, kind=Kind.MILESTONE_ACCEPTED, key="a:1", personalisation=accepted("Unit running", 1))
        second = notify(user=user, kind=Kind.MILESTONE_ACCEPTED, key="a:2", personalisation=accepted("Staff hired", 2))
        notify(user=user, kind=Kind.MILESTONE_RETURNED, key="r:1", personalisation=returned())
    assert [m.subject for m in mail.outbox] == ["Milestone evidence returned: Unit running (Reclaiming Social Work)"]
    assert {first.status, second.status} == {Message.Status.HELD}
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digest", "--today", "2026-12-03")
    (digest,) = mail.outbox
    assert digest.to == ["derbyshire@example.gov.uk"]
    assert digest.subject == "Manage innovation grants: your weekly summary (2 messages)"
    body = digest.body
    assert "for the week starting 30 November 2026" in body
    assert body.index("1. Milestone evidence accepted: Unit running") < body.index(
        "2. Milestone evidence accepted: Staff hired"
    )
    assert "http://127.0.0.1:8000/m/2/" in body and body.rstrip().endswith("http://127.0.0.1:8000/account/messages/")
    digest_row = Message.objects.get(kind=Kind.DIGEST)
    assert digest_row.key == "digest:2026-W49" and digest_row.status == Message.Status.SENT
    first.refresh_from_db()
    assert first.status == Message.Status.SENT and first.digest == digest_row

    # Run again the same week: nothing more, even with something new held (it waits for next week).
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=user, kind=Kind.MILESTONE_ACCEPTED, key="a:3", personalisation=accepted("Report written", 3))
        call_command("send_digest", "--today", "2026-12-06")
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digest", "--today", "2026-12-07")
    assert len(mail.outbox) == 2 and "(1 message)" in mail.outbox[1].subject
    assert Message.objects.filter(status=Message.Status.HELD).count() == 0


def test_nobody_without_held_messages_gets_a_digest(world, send_at_once, django_capture_on_commit_callbacks):
    save_preferences(user=world.users.harrow, switched_off=[], weekly=True)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digest")
    assert mail.outbox == [] and not Message.objects.exists()


def test_choosing_at_once_again_sends_what_was_held(world, send_at_once, django_capture_on_commit_callbacks):
    user = world.users.derbyshire
    save_preferences(user=user, switched_off=[], weekly=True)
    held = notify(user=user, kind=Kind.MILESTONE_ACCEPTED, key="a:1", personalisation=accepted("Unit running", 1))
    with django_capture_on_commit_callbacks(execute=True):
        save_preferences(user=user, switched_off=[], weekly=False)
    held.refresh_from_db()
    assert held.status == Message.Status.SENT
    assert [m.subject for m in mail.outbox] == ["Milestone evidence accepted: Unit running (Reclaiming Social Work)"]


def test_a_bad_date_is_refused(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_digest", "--today", "next week")

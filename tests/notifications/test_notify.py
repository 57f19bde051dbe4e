"""notify(): one message per (person, kind, key), sent after the commit, obeying each person's choices."""

import pytest
from django.core import mail
from django.core.management import call_command

from notifications.catalogue import Kind
from notifications.models import Message
from notifications.services import absolute_url, notify, save_preferences, silenced, would_notify

pytestmark = pytest.mark.django_db

INVITE = {"link": "http://127.0.0.1:8000/account/set-up/abc/", "name": "Sam Smith", "organisation": "Harrow & Co"}


def test_a_message_is_recorded_and_sent_after_the_commit(world, send_at_once, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = notify(user=world.users.harrow, kind=Kind.INVITATION, key="invite:1", personalisation=INVITE)
        assert mail.outbox == []  # nothing leaves before the event's transaction commits
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["harrow@example.gov.uk"]
    assert sent.subject == "You have been invited to use Manage innovation grants"
    assert "for Harrow & Co" in sent.body  # plain text: no HTML escaping
    assert sent.body.rstrip().splitlines()[-1].startswith("If you did not expect")
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 1 and message.sent_at is not None and message.provider_reference.startswith("<")


def test_the_same_event_is_sent_once(world, send_at_once, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(user=world.users.harrow, kind=Kind.INVITATION, key="invite:1", personalisation=INVITE)
        assert notify(user=world.users.harrow, kind=Kind.INVITATION, key="invite:1", personalisation=INVITE) is None
    assert would_notify(user=world.users.harrow, kind=Kind.INVITATION, key="invite:1") is False
    assert Message.objects.count() == 1 and len(mail.outbox) == 1


def test_an_address_without_an_account(db, send_at_once, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(
            user=None, to_email=" New.Person@Example.gov.uk", kind=Kind.INVITATION, key="i:9", personalisation=INVITE
        )
        assert (
            notify(
                user=None, to_email="new.person@example.gov.uk", kind=Kind.INVITATION, key="i:9", personalisation=INVITE
            )
            is None
        )
    assert [m.to for m in mail.outbox] == [["new.person@example.gov.uk"]]
    with pytest.raises(ValueError):
        notify(user=None, to_email="not an address", kind=Kind.INVITATION, key="i:10", personalisation=INVITE)


def test_inactive_and_addressless_people_get_nothing(world, send_at_once):
    world.users.harrow.is_active = False
    world.users.harrow.save()
    world.users.derbyshire.email = ""
    world.users.derbyshire.save()
    for user in (world.users.harrow, world.users.derbyshire):
        assert would_notify(user=user, kind=Kind.INVITATION, key="k") is False
        assert notify(user=user, kind=Kind.INVITATION, key="k", personalisation=INVITE) is None
    assert Message.objects.count() == 0


def test_a_switched_off_kind_is_not_sent_but_a_required_one_is(world, send_at_once):
    user = world.users.officer
    save_preferences(user=user, switched_off=[Kind.MILESTONE_ACCEPTED, Kind.PAYMENT_MADE], weekly=False)
    assert user.message_preference.switched_off == [Kind.MILESTONE_ACCEPTED.value]  # PAYMENT_MADE is required
    assert would_notify(user=user, kind=Kind.MILESTONE_ACCEPTED, key="m:1") is False
    assert would_notify(user=user, kind=Kind.PAYMENT_MADE, key="m:1") is True
    assert would_notify(user=user, kind=Kind.MILESTONE_RETURNED, key="m:1") is True
    assert Message.objects.count() == 0  # would_notify records nothing


def test_absolute_url(settings):
    settings.SERVICE_URL = "https://grants.example.gov.uk"
    assert absolute_url("/projects/3/") == "https://grants.example.gov.uk/projects/3/"


def test_a_lost_task_is_sent_by_send_messages(world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # never runs anything
    with django_capture_on_commit_callbacks(execute=True):
        message = notify(user=world.users.harrow, kind=Kind.INVITATION, key="invite:1", personalisation=INVITE)
    assert mail.outbox == []
    call_command("send_messages", stdout=None)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and len(mail.outbox) == 1


def test_a_silenced_block_tells_no_one(world, send_at_once, django_capture_on_commit_callbacks):
    """For loading a programme's past (the demo): its events are long over."""
    with django_capture_on_commit_callbacks(execute=True), silenced():
        assert would_notify(user=world.users.harrow, kind=Kind.INVITATION, key="invite:1") is False
        assert notify(user=world.users.harrow, kind=Kind.INVITATION, key="invite:1", personalisation=INVITE) is None
    assert not Message.objects.exists() and mail.outbox == []
    assert notify(user=world.users.harrow, kind=Kind.INVITATION, key="invite:1", personalisation=INVITE)

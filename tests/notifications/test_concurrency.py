"""Two processes telling of one event, or sending one message, at the same moment (PostgreSQL)."""

import threading

import pytest
from django.core import mail
from django.db import connection, transaction

from notifications.catalogue import Kind
from notifications.delivery import deliver
from notifications.models import Message
from notifications.services import notify

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

INVITE = {"link": "http://127.0.0.1:8000/x/"}


def together(count, action):
    barrier = threading.Barrier(count, timeout=30)
    results, errors = [], []

    def run():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(action())
        except Exception as error:
            errors.append(repr(error))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_ten_tellings_of_one_event_record_one_message(world, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    def tell():
        with transaction.atomic():
            return notify(user=world.users.harrow, kind=Kind.INVITATION, key="invite:1", personalisation=INVITE)

    results = together(10, tell)
    assert sum(result is not None for result in results) == 1
    assert Message.objects.count() == 1


def test_ten_senders_of_one_message_send_it_once(world, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = notify(user=world.users.harrow, kind=Kind.INVITATION, key="invite:1", personalisation=INVITE)
    mail.outbox = []
    results = together(10, lambda: deliver(message.pk))
    assert results.count(Message.Status.SENT) == 1 and results.count(None) == 9
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1 and message.status == Message.Status.SENT

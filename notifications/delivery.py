"""Sending a recorded Message, once, with retries.

A message is claimed with a compare-and-set (queued and due -> sending, one more attempt), sent
outside any transaction, then marked sent, or queued again after a wait, or failed once it has had
MESSAGE_ATTEMPTS tries. Two workers (or a worker and `manage.py send_messages`) that reach the same
message claim it once. The background worker sends each message soon after it is recorded, and
a retry when it is due; `send_messages` sends whatever is due whatever happened to the queue, so a
message whose task was lost (the queue refused it, the worker died) still goes."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from notifications import backends
from notifications.catalogue import LINK_WITHHELD, SECRET_LINK
from notifications.models import SENDING_STALLS_AFTER, Message

log = logging.getLogger(__name__)

STOPPED_MESSAGE = "The computer sending it stopped before it finished, on each try."


def deliver(message_id: int) -> str | None:
    """Try to send the message now, if it is due and nobody else is sending it. Returns its new
    status, or None when there was nothing to do."""
    now = timezone.now()
    claimed = (
        Message.objects.due(now)
        .filter(pk=message_id, attempts__lt=settings.MESSAGE_ATTEMPTS)
        .update(status=Message.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    )
    if not claimed:
        return None
    message = Message.objects.get(pk=message_id)
    mine = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING, attempts=message.attempts)
    try:
        reference = backends.send(message)
    except Exception as error:  # any fault of the provider or the network: recorded, tried again
        error_text = f"{type(error).__name__}: {error}"[:2000]
        if message.attempts >= settings.MESSAGE_ATTEMPTS:
            mine.update(status=Message.Status.FAILED, last_error=error_text)
            log.error(
                "Message %s (%s) failed after %s tries: %s", message.pk, message.kind, message.attempts, error_text
            )
            return Message.Status.FAILED
        retry_at = timezone.now() + timedelta(seconds=settings.MESSAGE_RETRY_SECONDS * 5 ** (message.attempts - 1))
        mine.update(status=Message.Status.QUEUED, next_attempt_at=retry_at, last_error=error_text)
        log.warning("Message %s (%s) not sent, try %s: %s", message.pk, message.kind, message.attempts, error_text)
        enqueue(message.pk, run_after=retry_at)
        return Message.Status.QUEUED
    sent = {"status": Message.Status.SENT, "sent_at": timezone.now(), "provider_reference": reference[:100]}
    if message.kind in SECRET_LINK:
        link = message.personalisation.get("link", "")
        sent["personalisation"] = {**message.personalisation, "link": LINK_WITHHELD}
        sent["body"] = message.body.replace(link, LINK_WITHHELD) if link else message.body
    mine.update(**sent)
    log.info("Message %s (%s) sent to user %s", message.pk, message.kind, message.user_id)
    return Message.Status.SENT


@task()
def deliver_message(message_id: int) -> None:
    deliver(message_id)


def enqueue(message_id: int, *, run_after=None) -> None:
    """Ask the background worker to send the message (at ``run_after``). The row is already
    recorded as queued, so a queue that refuses the task loses nothing: send_messages sends it."""
    sender = deliver_message
    if run_after is not None:
        if not sender.get_backend().supports_defer:
            return  # a queue that cannot wait (the tests' immediate one): send_messages sends it when due
        sender = sender.using(run_after=run_after)
    try:
        sender.enqueue(message_id)
    except Exception:
        log.exception("Could not queue message %s; `manage.py send_messages` will send it", message_id)


def send_due(*, limit: int = 1000) -> dict[str, int]:
    """Send every message that is due now, in this process; fail those whose sender stopped on
    their last try. Returns how many ended in each status."""
    now = timezone.now()
    counts = {"sent": 0, "queued": 0, "failed": 0}
    counts["failed"] += Message.objects.filter(
        status=Message.Status.SENDING,
        claimed_at__lt=now - SENDING_STALLS_AFTER,
        attempts__gte=settings.MESSAGE_ATTEMPTS,
    ).update(status=Message.Status.FAILED, last_error=STOPPED_MESSAGE)
    due = list(Message.objects.due(now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    for message_id in due:
        status = deliver(message_id)
        if status:
            counts[status] += 1
    return counts

"""Telling people what happened: record a message in the event's own transaction and send it after
that transaction commits. Senders call ``notify`` with a key that names the event, so an event told
twice (a retried request, two processes) is sent once."""

import datetime as dt
import logging
import re
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from notifications import delivery
from notifications.catalogue import OPTIONAL, REQUIRED, Kind
from notifications.models import Message, Preference

log = logging.getLogger(__name__)

# Set while a programme's history is written through the services (the demo), which tells no one.
_silenced: ContextVar[bool] = ContextVar("notifications_silenced", default=False)


@contextmanager
def silenced():
    """Within this block ``notify`` records and sends nothing: for loading a programme's past (the demo),
    whose events happened long ago and must not each become a message."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def absolute_url(path: str) -> str:
    """The full address of a page of the service, for a link in a message."""
    return settings.SERVICE_URL + ("" if path.startswith("/") else "/") + path


def long_date(value: dt.date) -> str:
    """31 October 2015: the date as the GOV.UK style writes it."""
    return f"{value.day} {value:%B %Y}"


def people(*, roles, organisation_id: int | None = None, excluding=None):
    """The active people with an email address who hold one of ``roles`` (of one organisation):
    whom an event tells."""
    found = get_user_model().objects.filter(is_active=True, role__in=roles).exclude(email="")
    if organisation_id is not None:
        found = found.filter(organisation_id=organisation_id)
    if excluding is not None:
        found = found.exclude(pk=excluding.pk)
    return found.select_related("message_preference").order_by("pk")


def name_of(user) -> str:
    return user.get_full_name() or user.username


def preference_of(user) -> Preference:
    """The person's choices; the defaults (every kind, at once) when they never chose."""
    try:
        return user.message_preference
    except Preference.DoesNotExist:
        return Preference(user=user)


def _render(kind: Kind, personalisation: dict[str, str]) -> tuple[str, str]:
    # Plain text, not HTML: the values go in as they are (an ampersand stays one).
    context = {name: mark_safe(value) if isinstance(value, str) else value for name, value in personalisation.items()}
    context["service_name"] = settings.SERVICE_NAME
    subject = render_to_string(f"notifications/{kind.value}.subject.txt", context)
    body = render_to_string(f"notifications/{kind.value}.body.txt", context)
    # Blank lines the template's tags leave behind are squeezed to one.
    body = re.sub(r"\n[ \t]*(\n[ \t]*)+\n", "\n\n", body).strip() + "\n"
    return " ".join(subject.split())[:300], body


def _decide(user, kind: Kind) -> str | None:
    """The status a message of this kind to this person starts in, or None if they get none."""
    if not user.is_active or not user.email:
        return None
    if kind in REQUIRED:
        return Message.Status.QUEUED
    preference = preference_of(user)
    if kind.value in preference.switched_off:
        return None
    return Message.Status.HELD if preference.weekly else Message.Status.QUEUED


def would_notify(*, user, kind: Kind, key: str) -> bool:
    """Whether ``notify`` would record a message now (for dry runs), without recording one."""
    kind = Kind(kind)
    if _silenced.get():
        return False
    return _decide(user, kind) is not None and not Message.objects.filter(user=user, kind=kind, key=key).exists()


def notify(*, user, kind: Kind, key: str, personalisation: dict[str, str], to_email: str = "") -> Message | None:
    """Record one message to ``user`` (or, with user=None, to the address ``to_email``) about ``key``
    and send it once the current transaction commits. Returns None, recording nothing, when the
    same message was recorded before, or the person is inactive, has no email address or chose
    not to get this kind. A person who chose the weekly digest has optional kinds held for it."""
    kind = Kind(kind)
    if _silenced.get():
        return None
    if user is not None:
        status = _decide(user, kind)
        if status is None:
            return None
        email = user.email
    else:
        email = to_email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(f"notify needs a user or a valid to_email, not {to_email!r}") from None
        status = Message.Status.QUEUED
    key = key[:200]
    recipient = {"user": user} if user is not None else {"user__isnull": True, "email": email}
    # Told before (a reminder run twice a day): nothing to render. The constraint below settles a race.
    if Message.objects.filter(kind=kind, key=key, **recipient).exists():
        return None
    subject, body = _render(kind, personalisation)
    try:
        # A savepoint: a message already recorded leaves the caller's transaction usable.
        with transaction.atomic():
            message = Message.objects.create(
                user=user,
                email=email,
                kind=kind,
                key=key,
                subject=subject,
                body=body,
                personalisation={name: str(value) for name, value in personalisation.items()},
                status=status,
            )
    except IntegrityError:
        if Message.objects.filter(kind=kind, key=key, **recipient).exists():
            return None
        raise
    if status == Message.Status.QUEUED:
        transaction.on_commit(partial(delivery.enqueue, message.pk))
    return message


def send_again(*, message: Message) -> bool:
    """Put a failed message back in the queue for a fresh set of tries. False if it had not failed
    (someone sent it again already)."""
    with transaction.atomic():
        moved = Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
            status=Message.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
        )
        if moved:
            transaction.on_commit(partial(delivery.enqueue, message.pk))
    return bool(moved)


def save_preferences(*, user, switched_off: list[str], weekly: bool) -> Preference:
    """Record the person's choices. Required kinds cannot be switched off. Choosing messages at once
    again sends at once whatever was held for the digest."""
    chosen = [kind.value for kind in OPTIONAL if kind.value in set(switched_off)]
    frequency = Preference.Frequency.WEEKLY if weekly else Preference.Frequency.AT_ONCE
    with transaction.atomic():
        preference, _ = Preference.objects.update_or_create(
            user=user, defaults={"switched_off": chosen, "frequency": frequency}
        )
        if not weekly:
            held = list(Message.objects.filter(user=user, status=Message.Status.HELD).values_list("pk", flat=True))
            Message.objects.filter(pk__in=held, status=Message.Status.HELD).update(
                status=Message.Status.QUEUED, next_attempt_at=timezone.now()
            )
            for message_id in held:
                transaction.on_commit(partial(delivery.enqueue, message_id))
    return preference


def digest_key(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"digest:{year}-W{week:02d}"


def send_digests(*, today: dt.date | None = None) -> int:
    """Send each person with held messages one digest of them for this week (ISO week), then mark
    them sent. Safe to run twice: the week's digest is a message with its own key, recorded once;
    anything held after it waits for next week's. Returns how many digests were recorded."""
    today = today or timezone.localdate()
    key = digest_key(today)
    recorded = 0
    users = get_user_model().objects.filter(messages__status=Message.Status.HELD).distinct().order_by("pk")
    for user in users:
        with transaction.atomic():
            held = list(
                Message.objects.select_for_update()
                .filter(user=user, status=Message.Status.HELD)
                .order_by("created_at", "pk")
            )
            if not held:
                continue
            items = "\n\n".join(
                f"{number}. {message.subject}\n\n{message.body.strip()}" for number, message in enumerate(held, start=1)
            )
            digest = notify(
                user=user,
                kind=Kind.DIGEST,
                key=key,
                personalisation={
                    "name": name_of(user),
                    "count": str(len(held)),
                    "week": long_date(today - dt.timedelta(days=today.weekday())),
                    "items": items,
                    "link": absolute_url("/account/messages/"),
                },
            )
            if digest is None:
                continue
            Message.objects.filter(pk__in=[message.pk for message in held], status=Message.Status.HELD).update(
                status=Message.Status.SENT, sent_at=timezone.now(), digest=digest
            )
            recorded += 1
    return recorded

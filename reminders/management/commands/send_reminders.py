"""`manage.py send_reminders`: find what is due (reminders/due.py) and send each reminder once.

Run it from cron once a day (the README has the line). Running it again, on the same day or on two
machines at once, sends nothing twice: each message's key is recorded once by notifications.notify,
under a unique constraint.
"""

import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from notifications.services import notify, would_notify
from reminders.due import everything_due

log = logging.getLogger(__name__)


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date written YYYY-MM-DD, like 2015-10-20; got {value!r}") from None


def subject_line(reminder) -> str:
    """The subject the message would have, rendered as notifications.services renders it."""
    context = {name: mark_safe(value) for name, value in reminder.personalisation.items()}
    context["service_name"] = settings.SERVICE_NAME
    return " ".join(render_to_string(f"notifications/{reminder.kind.value}.subject.txt", context).split())


class Command(BaseCommand):
    help = (
        "Send the reminders due today: milestones and spend returns due in 14 or 3 days or overdue, submissions "
        "waiting for review, grants projected to under- or overspend, reconciliation differences, accepted "
        "milestones waiting for payment and outcome results due. Each is sent once however often this runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print each message it would send; send nothing")
        parser.add_argument("--today", type=_day, help="the day to find what is due on (YYYY-MM-DD); default today")

    def handle(self, *args, dry_run, today, **options):
        today = today or timezone.localdate()
        reminders = everything_due(today)
        done, skipped, failed = Counter(), 0, 0
        for reminder in reminders:
            user, kind, key = reminder.user, reminder.kind, reminder.key
            if dry_run:
                if would_notify(user=user, kind=kind, key=key):
                    done[kind.value] += 1
                    self.stdout.write(f"{user.email or user.username}\t{kind.value}\t{subject_line(reminder)}")
                else:
                    skipped += 1
                continue
            try:
                message = notify(user=user, kind=kind, key=key, personalisation=reminder.personalisation)
            except Exception:  # one bad message must not stop the others; the log has the detail
                log.exception("Reminder %s %s to user %s not recorded", kind.value, key, user.pk)
                failed += 1
                continue
            if message is None:
                skipped += 1
            else:
                done[kind.value] += 1
        verb = "would send" if dry_run else "sent"
        counts = ", ".join(f"{kind} {count}" for kind, count in sorted(done.items()))
        total = sum(done.values())
        self.stdout.write(
            f"{today:%Y-%m-%d}: {verb} {total} message{'' if total == 1 else 's'}"
            f"{f' ({counts})' if counts else ''}; {skipped} already sent or not wanted"
            f"{f'; {failed} failed (see the log)' if failed else ''}."
        )
        if failed:
            raise CommandError(f"{failed} reminder{'' if failed == 1 else 's'} could not be recorded (see the log)")

"""``manage.py send_digest``: each person who chose a weekly digest gets one message listing what was
held for them, once a week (ISO week). Run it weekly from cron; running it again that week sends nothing."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from notifications.services import send_digests


class Command(BaseCommand):
    help = "Send each person who chose the weekly digest one message listing what was held for them"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Send as on this day (YYYY-MM-DD): the week it falls in")

    def handle(self, *, today=None, **options):
        if today:
            try:
                today = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today must be a date written YYYY-MM-DD, not {today!r}") from None
        count = send_digests(today=today)
        self.stdout.write(f"{count} digest{'' if count == 1 else 's'} recorded")

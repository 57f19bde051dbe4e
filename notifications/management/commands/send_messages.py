"""``manage.py send_messages``: send every message that is due now (a retry whose wait is over, or one
whose background task was lost), in this process. Safe to run at any time, and beside the worker."""

from django.core.management.base import BaseCommand

from notifications.delivery import send_due


class Command(BaseCommand):
    help = "Send the messages that are due: retries whose wait is over and any the worker has not sent"

    def handle(self, **options):
        counts = send_due()
        self.stdout.write(f"{counts['sent']} sent, {counts['queued']} to try again later, {counts['failed']} failed")

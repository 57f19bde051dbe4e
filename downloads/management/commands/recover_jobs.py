from django.core.management.base import BaseCommand

from downloads.tasks import recover_stalled


class Command(BaseCommand):
    help = (
        "Put back in the queue the background downloads whose worker stopped (their lease ran out), "
        "or mark them failed once they have used all their attempts. Every worker does this every few "
        "seconds; this is for when none is running, or from cron."
    )

    def handle(self, *args, **options):
        moved = recover_stalled()
        for job in moved:
            job.refresh_from_db(fields=["status"])
            self.stdout.write(f"{job.pk}: {job.get_status_display().lower()}")
        self.stdout.write(f"{len(moved)} stalled download(s) recovered")

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo import loader as demo
from grants.models import Programme


class Command(BaseCommand):
    help = (
        "Load the demo programme (the Children's Social Care Innovation Programme) and one demo user "
        "per role, then print the demo users. Development only; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Load only when the database holds no programme yet."
        )

    def handle(self, *args, if_empty, verbosity, **options):
        # The demo users share a password printed in the README: never on a real service.
        if not getattr(settings, "DEVELOPMENT", False):
            raise CommandError(
                "load_demo writes demo users with a published password; it only runs with DJANGO_DEVELOPMENT=1"
            )
        if if_empty and Programme.objects.exists():
            self.stdout.write("The database already holds a programme: the data is kept and the demo was not loaded.")
        else:
            # Each of the demo's hundred-odd payments would write its money-move log line to the console.
            money_log = logging.getLogger("grants.services")
            level = money_log.level
            money_log.setLevel(logging.WARNING)
            try:
                summary = demo.load_demo()
            finally:
                money_log.setLevel(level)
            if verbosity >= 1:
                self.stdout.write(summary)
        self.stdout.write(demo.sign_in_table())

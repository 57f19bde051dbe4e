from django.core.management.base import BaseCommand

from evaluations.catalogue import load_measures


class Command(BaseCommand):
    help = "Add the standard outcome measures (DESIGN.md) that the catalogue lacks. Never changes or deletes one."

    def handle(self, *args, verbosity, **options):
        added, kept = load_measures()
        if verbosity >= 1:
            self.stdout.write(
                f"Added {added} outcome measure{'s' if added != 1 else ''}; {kept} already in the catalogue."
            )

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grants.authorities import DEFAULT_PATH, AuthorityFileError, load_authorities


class Command(BaseCommand):
    help = (
        "Create or update the English children's services authorities from mySociety's file. "
        "Safe to run again; never deletes an organisation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            type=Path,
            default=DEFAULT_PATH,
            metavar="PATH",
            help=f"CSV file to load (default: {DEFAULT_PATH}).",
        )

    def handle(self, *args, file, verbosity, **options):
        try:
            summary = load_authorities(file)
        except AuthorityFileError as error:
            raise CommandError(f"{file}: {error} Nothing was loaded.") from error
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        if verbosity >= 1:
            for change in summary.changes:
                self.stdout.write(change)
            self.stdout.write(str(summary))

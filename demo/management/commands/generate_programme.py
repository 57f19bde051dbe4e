import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo import generate


class Command(BaseCommand):
    help = (
        "Write a generated programme (illustrative) of N projects from a seed, for benchmarks: per project "
        "3 grants, 30 allocations, 20 milestones, 60 payments, 120 spend returns, 20 outcome results. "
        "The same seed gives the same rows."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--projects", type=int, default=1000, metavar="N", help="Number of projects (default 1000)."
        )
        parser.add_argument("--seed", type=int, default=1, metavar="S", help="Random seed (default 1).")
        parser.add_argument(
            "--replace", action="store_true", help="Delete the programme generated earlier from the same seed first."
        )
        parser.add_argument(
            "--password",
            help=(
                "Password for the generated users it creates (bench-officer, bench-finance, bench-viewer, "
                f"bench-evaluator, bench-<org-id>). Default: {generate.GENERATED_PASSWORD!r} with "
                "DJANGO_DEVELOPMENT=1, otherwise none (they cannot sign in). Existing users are left as they are."
            ),
        )

    def handle(self, *args, projects, seed, replace, password, verbosity, **options):
        if projects < 1:
            raise CommandError("--projects must be 1 or more")
        if not 0 <= seed <= generate.MAX_SEED:
            raise CommandError(f"--seed must be a whole number from 0 to {generate.MAX_SEED:,}")
        if password is None and getattr(settings, "DEVELOPMENT", False):
            password = generate.GENERATED_PASSWORD

        def progress(done, total):
            if verbosity >= 2:
                self.stdout.write(f"  {done:,} of {total:,} projects written ({time.monotonic() - started:.1f} s)")

        started = time.monotonic()
        try:
            result = generate.generate_programme(
                projects=projects, seed=seed, replace=replace, password=password, progress=progress
            )
        except generate.GeneratedProgrammeExists as error:
            raise CommandError(str(error)) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        elapsed = time.monotonic() - started
        if verbosity >= 1:
            self.stdout.write(f"Generated “{result.programme.name}” in {elapsed:.1f} s:")
            width = max(len(name) for name in result.counts)
            for name, count in result.counts.items():
                self.stdout.write(f"  {name.ljust(width)}  {count:>10,}")
            if password:
                self.stdout.write(
                    "Generated users created now sign in with the password "
                    f"{'given' if password != generate.GENERATED_PASSWORD else repr(password)} "
                    "(bench-officer, bench-finance, bench-viewer, bench-evaluator, bench-<org-id>)."
                )
            else:
                self.stdout.write("Generated users created now have no usable password (pass --password to set one).")

import sys

from django.core.management.base import BaseCommand

from grants.reconciliation import find_discrepancies


class Command(BaseCommand):
    help = (
        "List every grant whose money does not add up: allocations against award, payments against "
        "allocations, payments and commitments against allocations, spend against payments, milestones paid "
        "twice, and every kept balance against its ledger rows. Exits with status 1 if it lists any."
    )

    def handle(self, *args, **options):
        discrepancies = find_discrepancies()
        if not discrepancies:
            self.stdout.write("All grants reconcile.")
            return
        for discrepancy in discrepancies:
            grant = discrepancy.grant
            expected = f" (expected: {discrepancy.expected_because})" if discrepancy.expected_because else ""
            self.stdout.write(f"Grant {grant.pk} {grant.title}: {discrepancy.message}{expected}")
        grants = len({discrepancy.grant.pk for discrepancy in discrepancies})
        self.stdout.write(
            f"{len(discrepancies)} discrepanc{'y' if len(discrepancies) == 1 else 'ies'} "
            f"in {grants} grant{'' if grants == 1 else 's'}."
        )
        # A non-zero status so that a scheduled run can alert, unless every difference is one an officer
        # recorded as there on purpose; sys.exit rather than CommandError keeps the listing free of an error line.
        self.stdout.flush()
        if any(discrepancy.needs_action for discrepancy in discrepancies):
            sys.exit(1)

"""``manage.py worker`` with the ledger written slowly: a pause after each line, and its progress
recorded after each line, so that a test can kill the worker in the middle of a job.
Run as ``python -m tests.downloads.slow_worker <seconds a line> <worker options>``."""

import sys
import time

import django


def main():
    pause, options = float(sys.argv[1]), sys.argv[2:]
    django.setup()
    from django.core.management import call_command

    from downloads import ledger

    counted = ledger._counted

    def slowly(rows, progress, every=5_000):
        for row in counted(rows, progress, every=1):
            time.sleep(pause)
            yield row

    ledger._counted = slowly
    call_command("worker", *options)


if __name__ == "__main__":
    main()

"""How long a 10,000-row spend return takes to import, against reading the same
file with plain openpyxl (read_only).

    .venv/bin/python bench/import_spend.py              # SQLite (a temporary file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grants .venv/bin/python bench/import_spend.py

It runs on a temporary database made from the configured one (test_<name> on
PostgreSQL, a temporary file for SQLite), migrated, filled with 2,500
allocations and dropped at the end, so the configured database is never
touched. The import is the one the upload page and ``manage.py import_spend``
run: the file's checks, every row planned, then every row checked and written
in bulk by grants.spend_returns.save_spend_returns in one transaction.
"""

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_DEVELOPMENT", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import connection  # noqa: E402

GRANTS = 100


def build(rows: int):
    """A programme with one recipient holding rows / 4 allocations, and the filled-in template."""
    from accounts.models import Role, User
    from grants.financial_year import FinancialYear
    from grants.models import Allocation, AllocationBalance, Grant, Organisation, Programme, Round
    from imports.spend_returns import SPEND_RETURNS
    from imports.spreadsheet import build_template
    from projects.models import Project

    funder = Organisation.objects.create(name="Bench funder", kind="government_department", org_id="GB-GOR-BENCH")
    council = Organisation.objects.create(
        name="Benchshire County Council", kind="local_authority", org_id="GB-LAE-BEN", authority_type="CTY"
    )
    programme = Programme.objects.create(
        name="Bench programme",
        code="bench",
        funder=funder,
        budget=Decimal("1000000000"),
        start_date=dt.date(2000, 4, 1),
        end_date=dt.date(2025, 3, 31),
    )
    round_ = Round.objects.create(
        programme=programme,
        number=1,
        name="Round 1",
        budget=Decimal("1000000000"),
        start_date=dt.date(2000, 4, 1),
        end_date=dt.date(2025, 3, 31),
    )
    project = Project.objects.create(
        programme=programme,
        reference="B-1",
        title="Bench project",
        summary="For timing.",
        lead_organisation=council,
        start_date=dt.date(2000, 4, 1),
        end_date=dt.date(2025, 3, 31),
    )
    user = User.objects.create_user(
        "bench-council", "bench@example.gov.uk", None, role=Role.RECIPIENT, organisation=council
    )
    years = -(-rows // 4 // GRANTS)
    grants = Grant.objects.bulk_create(
        [
            Grant(
                project=project,
                round=round_,
                recipient=council,
                title=f"Bench grant {n}",
                amount_awarded=Decimal("10000000.00"),
                award_date=dt.date(2000, 1, 1),
                planned_start=dt.date(2000, 4, 1),
                planned_end=dt.date(2025, 3, 31),
            )
            for n in range(GRANTS)
        ]
    )
    allocations = Allocation.objects.bulk_create(
        [
            Allocation(
                grant=grant, recipient=council, financial_year=FinancialYear(2000 + year), resource=Decimal("100000.00")
            )
            for grant in grants
            for year in range(years)
        ]
    )
    # Each with its kept balance, as grants.services makes one for every allocation it saves.
    AllocationBalance.objects.bulk_create([AllocationBalance(allocation=allocation) for allocation in allocations])
    data = []
    for number, (grant, year) in enumerate((grant, year) for grant in grants for year in range(years)):
        for quarter in (1, 2, 3, 4):
            pennies = (number * 4 + quarter) * 7919 % 2_000_000
            data.append(
                [
                    f"360G-{settings.THREESIXTYGIVING_PREFIX}-{grant.pk}",
                    council.name,
                    str(FinancialYear(2000 + year)),
                    f"Q{quarter}",
                    Decimal(pennies) / 100,
                    Decimal(2_000_000 - pennies) / 100,
                    None,
                ]
            )
    data = data[:rows]
    workbook = build_template(
        SPEND_RETURNS, title="Spend returns", instructions=[], rows=data, lists={"Quarters": ["Q1", "Q2", "Q3", "Q4"]}
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return user, buffer.getvalue()


def timed(action):
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows

    from grants.models import SpendReturn
    from imports import services
    from imports.spend_returns import SpendReturnImport
    from imports.spreadsheet import check_workbook_upload, read_rows

    database = settings.DATABASES["default"]
    temporary = None
    if connection.vendor == "sqlite":
        # A file, as in use, rather than the in-memory database tests get.
        temporary = tempfile.NamedTemporaryFile(suffix=".sqlite3", delete=False)
        database.setdefault("TEST", {})["NAME"] = temporary.name
    old_name = database["NAME"]
    print(f"Making a temporary {connection.vendor} database and migrating it…", flush=True)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        user, content = build(rows)
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as file:
            file.write(content)
            file.flush()

            def plain_openpyxl():
                book = openpyxl.load_workbook(file.name, read_only=True)
                count = sum(1 for _ in book["Spend returns"].iter_rows(min_row=2, values_only=True))
                book.close()
                return count

            def our_reading():
                with open(file.name, "rb") as handle:
                    return len(read_rows(handle, SpendReturnImport.layout))

            def full_import():
                with open(file.name, "rb") as handle:
                    upload = File(handle, name="returns.xlsx")
                    check_workbook_upload(upload)
                    return services.run(SpendReturnImport(user), upload, commit=True)

            parse_seconds, parsed = timed(plain_openpyxl)
            read_seconds, read = timed(our_reading)
            import_seconds, outcome = timed(full_import)
        assert parsed == read == rows, (parsed, read, rows)
        assert not outcome.problems, outcome.problems[:5]
        stored = SpendReturn.objects.count()
        assert stored == rows, stored
        print(f"database                       {connection.vendor} ({connection.settings_dict['NAME']})")
        print(f"file                           {rows:,} rows, {len(content) / 1024:,.0f} KB")
        print(f"openpyxl read_only parse       {parse_seconds:8.2f} s")
        print(f"import's own reading and checks {read_seconds:7.2f} s")
        print(f"full import (check, plan, write){import_seconds:7.2f} s   {import_seconds / rows * 1000:.2f} ms a row")
        print(f"ratio full import / parse      {import_seconds / parse_seconds:8.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if temporary is not None:
            Path(temporary.name).unlink(missing_ok=True)


if __name__ == "__main__":
    main()

"""``manage.py import_spend`` runs the same import as the upload page; a 10,000-row
return imports completely."""

import datetime as dt
import time
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, SpendReturn
from imports.spend_returns import SPEND_RETURNS, SpendReturnImport
from imports.spreadsheet import build_template
from projects.models import Project
from tests.imports.files import fill, snapshot, template, workbook_bytes

pytestmark = pytest.mark.django_db


def gid(grant_pk):
    return f"360G-{settings.THREESIXTYGIVING_PREFIX}-{grant_pk}"


def write(tmp_path, book, name="returns.xlsx"):
    path = tmp_path / name
    path.write_bytes(workbook_bytes(book))
    return path


def run(*args):
    """The command's exit status, standard output and standard error."""
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_spend", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue(), err.getvalue()


def test_the_command_imports_a_recipients_returns(world, tmp_path):
    book = template(SpendReturnImport(world.users.derbyshire))
    book["Spend returns"]["E2"], book["Spend returns"]["F2"] = 1500.25, 298499.75
    path = write(tmp_path, book)

    status, out, err = run(str(path), "--user", "derbyshire", "--dry-run")
    assert (status, err) == (0, "")
    assert "it would import 1 new, 0 changed, 0 unchanged, 3 rows without figures left out" in out
    assert not SpendReturn.objects.exists()

    status, out, err = run(str(path), "--user", "derbyshire")
    assert status == 0 and "Imported returns.xlsx" in out
    spend_return = SpendReturn.objects.get()
    assert (spend_return.quarter, spend_return.spent, spend_return.forecast) == (1, D("1500.25"), D("298499.75"))
    assert spend_return.submitted_by == world.users.derbyshire


def test_the_command_lists_every_problem_with_its_place_and_exits_1(world, tmp_path):
    book = fill(
        template(SpendReturnImport(world.users.derbyshire)),
        "Spend returns",
        [
            (gid(world.grant.pk), "Derbyshire County Council", "2015-16", "Q1", 10, 10, None),
            (gid(world.grant.pk), "Derbyshire County Council", "2015-16", "Q2", "£1,234.505", 10, None),
            (gid(world.grant.pk), "London Borough of Harrow", "2015-16", "Q3", 10, -5, None),
        ],
    )
    before = snapshot()
    status, out, err = run(str(write(tmp_path, book)), "--user", "derbyshire")
    assert status == 1
    lines = err.strip().splitlines()
    assert lines[0] == (
        "Sheet “Spend returns”, row 3, column E (Spent in the quarter (£)): "
        "The amount must be in pounds and pence, with no more than 2 decimal places"
    )
    assert any(
        line.startswith(
            "Sheet “Spend returns”, row 4, column F (Forecast for the rest of the year (£)): "
            "The amount must be £0 or more"
        )
        for line in lines
    )
    assert any(
        "row 4, column B (Organisation): You can send spend returns only for Derbyshire" in line for line in lines
    )
    assert lines[-1] == "3 problems: nothing was imported."
    assert snapshot() == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["--user", "derbyshire"], "There is no file"),
        ([], "Name the person the returns are submitted by: --user USERNAME"),
        (["--user", "nobody"], "There is no active user called nobody"),
        (["--user", "viewer"], "viewer cannot import spend returns"),
    ],
)
def test_the_command_refuses_a_missing_file_or_user(world, tmp_path, args, message):
    from django.core.management.base import CommandError

    path = (
        str(tmp_path / "missing.xlsx")
        if "There is no file" in message
        else str(write(tmp_path, template(SpendReturnImport(world.users.derbyshire))))
    )
    with pytest.raises(CommandError, match=message):
        call_command("import_spend", path, *args)


def test_the_command_refuses_a_file_that_is_not_a_workbook(world, tmp_path):
    path = tmp_path / "returns.xlsx"
    path.write_text("Grant,Organisation\n")
    status, out, err = run(str(path), "--user", "derbyshire")
    assert status == 1 and "is not an Excel workbook, although its name ends in .xlsx" in err


def ten_thousand_rows(world):
    """2,500 allocations of Derbyshire (100 grants over 25 years) and a return for each quarter."""
    # A return is for a quarter of the project's life: this one runs as long as its grants.
    Project.objects.filter(pk=world.project.pk).update(start_date=dt.date(2000, 4, 1), end_date=dt.date(2025, 3, 31))
    grants = Grant.objects.bulk_create(
        [
            Grant(
                project=world.project,
                round=world.round,
                recipient=world.morning_lane,
                title=f"Scale-up {n}",
                amount_awarded=D("10000000.00"),
                award_date=dt.date(2000, 1, 1),
                planned_start=dt.date(2000, 4, 1),
                planned_end=dt.date(2025, 3, 31),
            )
            for n in range(100)
        ]
    )
    Allocation.objects.bulk_create(
        [
            Allocation(
                grant=grant,
                recipient=world.derbyshire,
                financial_year=FinancialYear(2000 + year),
                resource=D("100000.00"),
            )
            for grant in grants
            for year in range(25)
        ]
    )
    rows = []
    for number, (grant_pk, year) in enumerate((grant.pk, 2000 + year) for grant in grants for year in range(25)):
        for quarter in (1, 2, 3, 4):
            pennies = (number * 4 + quarter) * 7919 % 2_000_000
            rows.append(
                [
                    gid(grant_pk),
                    "Derbyshire County Council",
                    str(FinancialYear(year)),
                    f"Q{quarter}",
                    D(pennies) / 100,
                    D(2_000_000 - pennies) / 100,
                    None,
                ]
            )
    book = build_template(
        SPEND_RETURNS, title="Spend returns", instructions=[], rows=rows, lists={"Quarters": ["Q1", "Q2", "Q3", "Q4"]}
    )
    return rows, book


# Every row goes through grants.services.submit_spend_return (a locked, validated,
# audited save of about ten queries), so this takes 40s or more: see bench/import_spend.py.
@pytest.mark.slow
@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="the same import on PostgreSQL is timed by bench/import_spend.py (several minutes); SQLite proves it here",
)
def test_a_10000_row_spend_return_imports_completely(world, tmp_path):
    rows, book = ten_thousand_rows(world)
    path = write(tmp_path, book)
    started = time.perf_counter()
    status, out, err = run(str(path), "--user", "derbyshire")
    seconds = time.perf_counter() - started
    assert (status, err) == (0, ""), err[:2000]
    assert "10,000 new, 0 changed, 0 unchanged" in out
    assert SpendReturn.objects.count() == 10_000
    totals = SpendReturn.objects.aggregate(spent=Sum("spent"), forecast=Sum("forecast"))
    assert D(totals["spent"]).quantize(D("0.01")) == sum(row[4] for row in rows)
    assert D(totals["forecast"]).quantize(D("0.01")) == sum(row[5] for row in rows)
    last = rows[-1]
    stored = SpendReturn.objects.get(
        allocation__grant_id=int(last[0].rsplit("-", 1)[1]), allocation__financial_year=FinancialYear(2024), quarter=4
    )
    assert (stored.spent, stored.forecast) == (last[4], last[5])
    print(f"10,000-row spend return imported in {seconds:.1f}s")

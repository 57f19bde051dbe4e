"""Exports are safe to open in a spreadsheet: text a user typed never runs as a
formula, numbers stay numbers, and each person exports only what they may see."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from audit.models import DownloadRecord
from core.exports import csv_row, safe_cell, xlsx_text
from grants.models import Grant
from projects.models import Project

FORMULA = '=HYPERLINK("http://example.com","x")'


@pytest.mark.parametrize(
    "typed",
    [FORMULA, "+44 20 7946 0000", "-1+1", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"],
)
def test_text_that_could_start_a_formula_is_prefixed_with_a_quote(typed):
    assert safe_cell(typed) == "'" + typed


@pytest.mark.parametrize("value", ["Reclaiming Social Work", "Harrow = partner", "", "'quoted"])
def test_other_text_is_unchanged(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [Decimal("-1250.50"), Decimal("0.00"), 42, -7, dt.date(2016, 3, 31)])
def test_numbers_and_dates_pass_through_as_they_are(value):
    assert safe_cell(value) is value


def test_a_csv_row_makes_each_cell_safe():
    assert csv_row(["R1-01", FORMULA, None, Decimal("10.00")]) == ["R1-01", "'" + FORMULA, "", Decimal("10.00")]


def read_back(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return load_workbook(io.BytesIO(buffer.getvalue())).active


@pytest.mark.parametrize("typed", [FORMULA, "=1+1", "+1", "-1", "@A1", "plain text"])
def test_an_excel_cell_of_typed_text_is_a_string_never_a_formula(typed):
    workbook = Workbook()
    xlsx_text(workbook.active["A1"], typed)
    cell = read_back(workbook)["A1"]
    assert cell.data_type == "s"
    assert cell.value == typed


def test_an_excel_cell_drops_characters_a_worksheet_cannot_hold():
    workbook = Workbook()
    xlsx_text(workbook.active["A1"], "=bell\x07")
    cell = read_back(workbook)["A1"]
    assert (cell.value, cell.data_type) == ("=bell", "s")


def test_an_excel_cell_of_a_number_or_date_stays_a_number_or_date():
    workbook = Workbook()
    xlsx_text(workbook.active["A1"], Decimal("1250.50"))
    xlsx_text(workbook.active["A2"], 3)
    xlsx_text(workbook.active["A3"], dt.date(2016, 3, 31))
    sheet = read_back(workbook)
    assert (sheet["A1"].value, sheet["A1"].data_type) == (1250.5, "n")
    assert (sheet["A2"].value, sheet["A2"].data_type) == (3, "n")
    assert sheet["A3"].value == dt.datetime(2016, 3, 31)


# --- The project export ---------------------------------------------------------------


@pytest.fixture
def formula_title(world):
    world.project.title = FORMULA
    world.project.save(update_fields=["title"])
    return world.project


def csv_rows(response):
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark, for Excel
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def sheet_of(response):
    return load_workbook(io.BytesIO(response.content)).active


HEADER = ["Reference", "Title", "Lead organisation", "Status", "RAG rating", "Total awarded (£)", "Illustrative"]


def test_the_csv_export_lists_the_projects_as_text_that_cannot_run(client, world, formula_title):
    world.other_grant.illustrative = True
    world.other_grant.save(update_fields=["illustrative"])
    client.force_login(world.users.officer)
    response = client.get(reverse("exports:projects-csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="projects.csv"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert csv_rows(response) == [
        HEADER,
        ["R1-01", "'" + FORMULA, "Morning Lane Associates", "Active", "Amber", "1000000.00", ""],
        ["R1-02", "Kent family hubs", "Kent County Council", "Active", "Not rated", "500000.00", "Yes"],
    ]


def test_the_excel_export_keeps_text_as_text_and_amounts_as_numbers(client, world, formula_title):
    Grant.objects.create(
        project=world.project,
        round=world.round,
        recipient=world.morning_lane,
        title="Scale-up",
        amount_awarded=Decimal("250000.55"),
        award_date=dt.date(2016, 4, 1),
        planned_start=dt.date(2016, 4, 1),
        planned_end=dt.date(2017, 3, 31),
    )
    client.force_login(world.users.officer)
    response = client.get(reverse("exports:projects-xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="projects.xlsx"'
    sheet = sheet_of(response)
    assert [cell.value for cell in sheet[1]] == HEADER
    title = sheet["B2"]
    assert title.value == FORMULA and title.data_type == "s"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    amount = sheet["F2"]
    assert amount.data_type == "n" and amount.value == pytest.approx(1250000.55)
    assert amount.number_format == "#,##0.00"
    assert sheet["F3"].value == 500000
    assert sheet.max_row == 3


@pytest.mark.parametrize("export", ["exports:projects-csv", "exports:projects-xlsx"])
def test_an_outsider_exports_no_project_of_others(client, world, export):
    client.force_login(world.users.outsider)
    response = client.get(reverse(export))
    assert response.status_code == 200
    if export.endswith("csv"):
        assert csv_rows(response) == [HEADER]
    else:
        assert sheet_of(response).max_row == 1


@pytest.mark.parametrize(
    "persona, references",
    [("derbyshire", ["R1-01"]), ("kent", ["R1-02"]), ("evaluator", ["R1-01"]), ("viewer", ["R1-01", "R1-02"])],
)
def test_each_person_exports_the_projects_they_may_see(client, world, persona, references):
    client.force_login(getattr(world.users, persona))
    rows = csv_rows(client.get(reverse("exports:projects-csv")))
    assert [row[0] for row in rows[1:]] == references


def test_the_export_follows_the_project_lists_filters(client, world):
    client.force_login(world.users.officer)
    rows = csv_rows(client.get(reverse("exports:projects-csv"), {"q": "Kent"}))
    assert [row[0] for row in rows[1:]] == ["R1-02"]


@pytest.mark.parametrize("export", ["exports:projects-csv", "exports:projects-xlsx"])
def test_exports_need_sign_in(client, world, export):
    response = client.get(reverse(export))
    assert response.status_code == 302
    assert reverse("accounts:sign-in") in response["Location"]
    assert not DownloadRecord.objects.exists()


@pytest.mark.parametrize("export", ["exports:projects-csv", "exports:projects-xlsx"])
def test_an_export_is_recorded(client, world, export):
    client.force_login(world.users.derbyshire)
    client.get(reverse(export))
    record = DownloadRecord.objects.get()
    assert (record.user, record.kind, record.object_id) == (world.users.derbyshire, "export", None)
    assert record.description == (
        "Projects (CSV, 1 project)" if export.endswith("csv") else "Projects (Excel, 1 project)"
    )
    assert record.path == reverse(export)


@pytest.mark.parametrize("export", ["exports:projects-csv", "exports:projects-xlsx"])
def test_the_export_runs_the_same_queries_for_two_projects_as_for_six(client, world, export):
    client.force_login(world.users.officer)
    client.get(reverse(export))  # warm the session
    with CaptureQueriesContext(connection) as two:
        client.get(reverse(export))
    for number in range(3, 7):
        Project.objects.create(
            programme=world.programme,
            reference=f"R1-0{number}",
            title=f"Project {number}",
            summary="More.",
            lead_organisation=world.kent,
            start_date=dt.date(2015, 1, 1),
            end_date=dt.date(2016, 12, 31),
        )
    with CaptureQueriesContext(connection) as six:
        response = client.get(reverse(export))
    assert len(six) == len(two)
    assert response.status_code == 200


@pytest.mark.parametrize("export", ["exports:projects-csv", "exports:projects-xlsx"])
def test_an_export_is_only_fetched(client, world, export):
    client.force_login(world.users.officer)
    assert client.post(reverse(export)).status_code == 405
    assert not DownloadRecord.objects.exists()

"""Each kind of bad file gets a clear message and writes nothing: no spend return,
no allocation, no pending batch, no stored file."""

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import conditional_escape

from grants.spend_returns import submit_spend_return
from imports import spreadsheet
from imports.spend_returns import SpendReturnImport
from tests.imports.files import fill, snapshot, template, upload, workbook_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def derbyshire(client, world):
    client.force_login(world.users.derbyshire)
    # One return already made, so a refused file could also have changed it.
    submit_spend_return(
        allocation=world.allocations["GB-LAE-DBY"],
        by=world.users.derbyshire,
        quarter=1,
        spent=D("100.00"),
        forecast=D("900.00"),
    )
    return world


def gid(world):
    return f"360G-{settings.THREESIXTYGIVING_PREFIX}-{world.grant.pk}"


def good_rows(world):
    return [
        (gid(world), "Derbyshire County Council", "2015-16", "Q1", 150.5, 800, "Corrected"),
        (gid(world), "Derbyshire County Council", "2015-16", "Q2", 200, 600, None),
    ]


def good_book(world, rows=None):
    book = template(SpendReturnImport(world.users.derbyshire))
    return fill(book, "Spend returns", rows if rows is not None else good_rows(world))


def rewrite(content: bytes, part: str, change) -> bytes:
    """The same workbook with one of its XML parts edited."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data) if item.filename == part else data)
    return buffer.getvalue()


def data_part(content: bytes) -> str:
    """The XML part of the "Spend returns" sheet (the second sheet of the template)."""
    return "xl/worksheets/sheet2.xml"


def refused(client, content: bytes, *expected, name="returns.xlsx"):
    """Upload the file, and check that it is refused with every expected message and changes nothing."""
    before = snapshot()
    stored_before = sorted(p.name for p in settings.MEDIA_ROOT.rglob("*")) if settings.MEDIA_ROOT.exists() else []
    response = client.post(reverse("imports:spend-returns-upload"), {"file": upload(content, name)})
    assert response.status_code == 400
    form_errors = [str(e) for e in response.context["form"].errors.get("file", [])]
    problems = [str(p) for p in response.context["problems"]]
    shown = " | ".join(form_errors + problems)
    for message in expected:
        assert message in shown, shown
    page = response.content.decode()
    for message in form_errors + [p.message for p in response.context["problems"]]:
        assert str(conditional_escape(message)) in page
    assert snapshot() == before
    stored_after = sorted(p.name for p in settings.MEDIA_ROOT.rglob("*")) if settings.MEDIA_ROOT.exists() else []
    assert stored_after == stored_before, "a refused file is not kept"
    return shown


def test_the_good_file_these_are_made_from_is_accepted(client, derbyshire):
    response = client.post(
        reverse("imports:spend-returns-upload"), {"file": upload(workbook_bytes(good_book(derbyshire)))}
    )
    assert response.status_code == 302


def test_not_an_xlsx(client, derbyshire):
    refused(client, b"%PDF-1.4\n1 0 obj\n", "The selected file must be an Excel workbook (.xlsx)", name="returns.pdf")


def test_an_old_excel_or_csv_file(client, derbyshire):
    refused(client, b"Grant,Organisation\n", "The selected file must be an Excel workbook (.xlsx)", name="returns.csv")


def test_a_renamed_text_file(client, derbyshire):
    refused(
        client,
        b"Grant,Organisation,Financial year\n360G-MIG-1,Derbyshire,2015-16\n",
        "The selected file returns.xlsx is not an Excel workbook, although its name ends in .xlsx",
    )


def test_a_file_over_the_size_limit(client, derbyshire, settings):
    settings.UPLOAD_MAX_BYTES = 4096
    refused(client, workbook_bytes(good_book(derbyshire)), "The selected file must be smaller than 4KB")


def test_an_empty_file(client, derbyshire):
    refused(client, b"", "The selected file is empty")


def test_a_corrupt_zip(client, derbyshire):
    content = workbook_bytes(good_book(derbyshire))
    refused(
        client, content[: len(content) // 2], "The selected file returns.xlsx is damaged or is not an Excel workbook"
    )


def test_a_zip_whose_sheet_is_damaged_inside(client, derbyshire):
    content = workbook_bytes(good_book(derbyshire))
    broken = rewrite(content, data_part(content), lambda xml: xml[: len(xml) // 2])
    refused(client, broken, "The file is damaged")


def test_a_zip_that_is_not_a_workbook(client, derbyshire):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml at all")
    refused(client, buffer.getvalue(), "The file is damaged or is not an Excel workbook: it cannot be read")


def test_a_file_claiming_a_million_rows_is_refused_before_its_cells_are_read(client, derbyshire, monkeypatch):
    content = workbook_bytes(good_book(derbyshire))
    huge = rewrite(
        content,
        data_part(content),
        lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:G1048576"', xml),
    )

    def no_cells(*args, **kwargs):
        raise AssertionError("cells were read")

    monkeypatch.setattr("openpyxl.worksheet._read_only.ReadOnlyWorksheet._cells_by_row", no_cells)
    refused(client, huge, "The sheet says it has 1,048,576 rows; an import can take at most 20,000 rows of data")


def test_a_file_claiming_sixteen_thousand_columns(client, derbyshire):
    content = workbook_bytes(good_book(derbyshire))
    wide = rewrite(
        content, data_part(content), lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD3"', xml)
    )
    refused(client, wide, "The sheet says it has 16,384 columns; the template has 7")


def test_more_rows_than_the_limit_even_when_the_sheet_claims_fewer(client, derbyshire, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_DATA_ROWS", 3)
    rows = [(gid(derbyshire), "Derbyshire County Council", "2015-16", f"Q{n % 4 + 1}", 1, 1, None) for n in range(6)]
    content = workbook_bytes(good_book(derbyshire, rows))
    lying = rewrite(
        content, data_part(content), lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:G2"', xml)
    )
    refused(client, lying, "The sheet has more than 3 rows of data, the most one import can take")


def test_a_zip_bomb(client, derbyshire, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_UNPACKED_BYTES", 10_000)
    refused(client, workbook_bytes(good_book(derbyshire)), "The workbook unpacks to")


def test_a_formula_where_a_value_belongs(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["E3"] = "=100+100"
    shown = refused(
        client, workbook_bytes(book), "row 3, column E (Spent in the quarter (£)): The cell holds a formula (=100+100)"
    )
    assert "Paste Special > Values" in shown


def test_merged_cells(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"].merge_cells("E2:F2")
    refused(client, workbook_bytes(book), "The sheet has merged cells (E2:F2): unmerge them")


def test_an_extra_sheet(client, derbyshire):
    book = good_book(derbyshire)
    book.create_sheet("My notes")
    refused(client, workbook_bytes(book), "The workbook has a sheet called “My notes” that the template does not have")


def test_a_missing_sheet(client, derbyshire):
    book = good_book(derbyshire)
    del book["Lists"]
    refused(client, workbook_bytes(book), "The workbook has no sheet called “Lists”")


def test_the_data_sheet_renamed(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"].title = "Sheet1"
    refused(
        client,
        workbook_bytes(book),
        "The workbook has no sheet called “Spend returns”",
        "The workbook has a sheet called “Sheet1”",
    )


def test_an_extra_column(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["H1"] = "Notes"
    refused(
        client, workbook_bytes(book), "row 1, column H: Column H (“Notes”) is not in the template: delete the column"
    )


def test_data_in_a_column_without_a_heading(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["J3"] = 99
    refused(client, workbook_bytes(book), "row 3, column J: Column J has data but is not one of the template's columns")


def test_a_missing_column(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"].delete_cols(6)  # the forecast
    refused(
        client,
        workbook_bytes(book),
        "row 1, column F (Forecast for the rest of the year (£)): Column F should be headed "
        "“Forecast for the rest of the year (£)” but is “Comment”",
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("1e3", "The amount must be a number, like 1250.50"),
        ("1_000", "The amount must be a number, like 1250.50"),
        ("١٢٣", "The amount must be a number, like 1250.50"),
        ("1,0", "The amount must be a number, like 1250.50"),
        ("£1,000,000,000,000", "The amount must be less than £1,000,000,000,000"),
        ("9" * 400, "The amount must be less than £1,000,000,000,000"),
    ],
)
def test_an_amount_written_as_text_is_read_by_the_forms_rules(client, derbyshire, text, message):
    book = good_book(derbyshire)
    book["Spend returns"]["E2"] = text
    refused(client, workbook_bytes(book), f"row 2, column E (Spent in the quarter (£)): {message}")


@pytest.mark.parametrize("number", [1e30, 1e-30, -1e300, float("inf"), float("nan"), 10**20])
def test_an_absurd_number_in_a_money_cell_is_refused_not_an_error(client, derbyshire, number):
    book = good_book(derbyshire)
    book["Spend returns"]["E2"] = number
    refused(client, workbook_bytes(book), "row 2, column E (Spent in the quarter (£)): ")


def test_a_date_where_a_financial_year_belongs_written_as_text_or_as_a_date(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["C2"] = "31/03/2017"
    book["Spend returns"]["C3"] = dt.datetime(2017, 3, 31)
    refused(
        client,
        workbook_bytes(book),
        "row 2, column C (Financial year): “31/03/2017” is not a financial year: choose one from the list",
        "row 3, column C (Financial year): “31/03/2017” is not a financial year",
    )


def test_a_negative_amount(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["E2"] = -150.5
    refused(client, workbook_bytes(book), "row 2, column E (Spent in the quarter (£)): The amount must be £0 or more")


def test_more_than_two_decimal_places(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["E2"] = 150.505
    refused(
        client,
        workbook_bytes(book),
        "row 2, column E (Spent in the quarter (£)): "
        "The amount must be in pounds and pence, with no more than 2 decimal places",
    )


def test_an_unknown_organisation(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["B3"] = "Borsetshire County Council"
    refused(
        client,
        workbook_bytes(book),
        "row 3, column B (Organisation): “Borsetshire County Council” is not an organisation this service knows",
    )


def test_an_unknown_grant(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["A2"] = "360G-OTHER-1"
    refused(
        client,
        workbook_bytes(book),
        "row 2, column A (Grant): “360G-OTHER-1” is not a grant you can send spend returns for",
    )


def test_a_year_with_no_allocation(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["C2"] = "2019-20"
    refused(
        client,
        workbook_bytes(book),
        f"row 2, column C (Financial year): Derbyshire County Council has no allocation from {gid(derbyshire)} for 2019-20",
    )


def test_a_duplicate_row(client, derbyshire):
    rows = good_rows(derbyshire) + [good_rows(derbyshire)[1]]
    refused(
        client,
        workbook_bytes(good_book(derbyshire, rows)),
        "row 4, column D (Quarter): Row 3 is already the return for Derbyshire County Council",
    )


def test_a_row_for_an_allocation_the_user_may_not_touch(client, derbyshire):
    rows = good_rows(derbyshire) + [(gid(derbyshire), "London Borough of Harrow", "2015-16", "Q1", 1, 1, None)]
    refused(
        client,
        workbook_bytes(good_book(derbyshire, rows)),
        "row 4, column B (Organisation): You can send spend returns only for Derbyshire County Council's own "
        "allocations; this row is for London Borough of Harrow",
    )


def test_a_missing_amount_and_an_unknown_quarter(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["F2"] = None
    book["Spend returns"]["D3"] = "Q5"
    refused(
        client,
        workbook_bytes(book),
        "row 2, column F (Forecast for the rest of the year (£)): Enter the forecast for the rest of the year (£)",
        "row 3, column D (Quarter): “Q5” is not a quarter",
    )


def test_an_error_value_in_a_cell(client, derbyshire):
    book = good_book(derbyshire)
    book["Spend returns"]["E2"] = "#DIV/0!"
    book["Spend returns"]["E2"].data_type = "e"
    refused(
        client, workbook_bytes(book), "row 2, column E (Spent in the quarter (£)): The cell holds the error #DIV/0!"
    )


def test_every_problem_is_listed_at_once(client, derbyshire):
    book = good_book(derbyshire)
    sheet = book["Spend returns"]
    sheet["E2"], sheet["F3"], sheet["B3"] = "1e3", -1, "Nowhere"
    shown = refused(client, workbook_bytes(book), "row 2, column E", "row 3, column F", "row 3, column B")
    assert shown.count("|") >= 2

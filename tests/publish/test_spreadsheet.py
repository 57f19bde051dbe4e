"""The 360Giving spreadsheet: the standard's column titles, one row per grant,
money as numbers in a £ format, dates as dates, a frozen header, no totals row."""

import datetime as dt
import io
from decimal import Decimal

from django.urls import reverse
from openpyxl import load_workbook

from grants.models import Grant
from grants.services import record_payment, record_recovery
from publish.spreadsheet import workbook_for
from publish.threesixtygiving import publication
from tests.publish.conftest import load

XLSX = reverse("publish:360giving-xlsx")

LOCATION = ["Name", "Country Code", "Geographic Code", "Geographic Code Type"]
WORLD_TITLES = [
    "Identifier",
    "Title",
    "Description",
    "Currency",
    "Amount Awarded",
    "Amount Disbursed",
    "Award Date",
    "Planned Dates:Start Date",
    "Planned Dates:End Date",
    "Planned Dates:Duration (months)",
    "Recipient Org:Identifier",
    "Recipient Org:Name",
    "Recipient Org:Company Number",
    *[f"Recipient Org:Location:0:{title}" for title in LOCATION],
    *[f"Beneficiary Location:{number}:{title}" for number in (0, 1) for title in LOCATION],
    "Funding Org:Identifier",
    "Funding Org:Name",
    "Grant Programme:0:Code",
    "Grant Programme:0:Title",
    "Grant Programme:1:Code",
    "Grant Programme:1:Title",
    "Classifications:0:Vocabulary",
    "Classifications:0:Code",
    "Classifications:0:Title",
    "Last Modified",
    "Data Source",
    "For Regrant Type",
    "Location Scope",
]


def sheet_from(client):
    response = client.get(XLSX)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))["grants"]


def rows(sheet):
    header = [cell.value for cell in sheet[1]]
    return header, [dict(zip(header, [cell.value for cell in row], strict=True)) for row in sheet.iter_rows(min_row=2)]


def test_the_worlds_spreadsheet_has_the_standards_titles_in_its_order(client, world):
    header, _ = rows(sheet_from(client))
    assert header == WORLD_TITLES


def test_every_title_part_is_a_title_in_the_grant_schema():
    schema = load("360-giving-schema.json")
    titles = {"Identifier"}

    def collect(node):
        if isinstance(node, dict):
            if isinstance(node.get("title"), str):
                titles.add(node["title"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schema)
    for title in WORLD_TITLES:
        for part in title.split(":"):
            assert part.isdigit() or part in titles, (title, part)


def test_one_row_per_grant_with_real_numbers_and_dates(client, world):
    finance = world.users.finance
    paid_on = dt.date(2016, 1, 15)
    record_payment(allocation=world.allocations["GB-LAE-HRW"], amount=Decimal("12345.67"), paid_on=paid_on, by=finance)
    recovery = record_recovery(
        allocation=world.allocations["GB-LAE-HRW"],
        amount=Decimal("0.68"),
        paid_on=paid_on,
        by=finance,
        reason="Unspent",
        recovery_reason="underspend_returned",
    )
    sheet = sheet_from(client)
    _, grants = rows(sheet)
    assert len(grants) == 2
    assert sheet.freeze_panes == "A2"
    first, second = grants
    world.grant.refresh_from_db()
    assert first["Identifier"] == world.grant.threesixtygiving_id
    assert first["Amount Awarded"] == 1000000
    assert first["Amount Disbursed"] == 12344.99  # Excel stores a double; 12345.67 - 0.68
    assert sheet["E2"].number_format == '"£"#,##0.00'
    assert first["Award Date"] == dt.datetime(2015, 1, 5)
    assert sheet["G2"].is_date
    assert first["Planned Dates:Duration (months)"] == 24
    # The recovery is the last change: text in UTC with its offset, as the JSON writes it.
    assert first["Last Modified"] == recovery.recorded_at.astimezone(dt.UTC).isoformat(timespec="seconds")
    assert first["Data Source"] == "http://testserver/publish/"
    assert first["Recipient Org:Identifier"] == "GB-COH-07000001"
    assert first["Recipient Org:Location:0:Geographic Code"] is None  # a company has no GSS code
    assert [first[f"Beneficiary Location:{n}:Geographic Code Type"] for n in (0, 1)] == ["CTY", "LONB"]
    assert first["For Regrant Type"] == "FRG070"
    assert second["Identifier"] == world.other_grant.threesixtygiving_id
    assert second["Recipient Org:Location:0:Geographic Code"] == "E10000016"
    assert second["Beneficiary Location:1:Name"] is None
    assert second["For Regrant Type"] is None
    assert second["Amount Disbursed"] == 0


def test_a_single_location_everywhere_uses_the_rolled_up_titles(world):
    Grant.objects.filter(pk=world.grant.pk).update(publishable=False)
    sheet = workbook_for(publication().grants)["grants"]
    header = [cell.value for cell in sheet[1]]
    assert "Beneficiary Location:Geographic Code" in header
    assert "Grant Programme:0:Code" in header  # two programmes a grant: numbered
    assert sheet.max_row == 2


def test_text_that_looks_like_a_formula_stays_text(client, world):
    Grant.objects.filter(pk=world.grant.pk).update(title='=HYPERLINK("http://evil.example","x")')
    sheet = sheet_from(client)
    assert sheet["B2"].value == '=HYPERLINK("http://evil.example","x")'
    assert sheet["B2"].data_type == "s"

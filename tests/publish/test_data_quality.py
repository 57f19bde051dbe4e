"""What 360Giving's data quality checks look for, in both files: a data source on every grant, the
recipient's location (a council's GSS code, another organisation's postcode), a beneficiary location
on every grant, date-times in UTC with their offset, and the values invented for the demonstration
named grant by grant (and none on a wholly real grant)."""

import datetime as dt
import io
from decimal import Decimal

from django.urls import reverse
from openpyxl import load_workbook

from grants.models import Grant, Organisation, Source
from grants.services import record_payment
from projects.models import ProjectPartner
from tests.factories import GrantFactory, ProjectFactory
from tests.publish.conftest import parse, schema_errors

JSON = reverse("publish:360giving-json")
XLSX = reverse("publish:360giving-xlsx")
PAGE = "http://testserver/publish/"
ENGLAND = {"name": "England", "countryCode": "GB", "geoCode": "E92000001"}
# 10:00 in London on 1 July 2016 is 09:00 UTC: a London wall-clock time written as UTC is an hour off.
SUMMER = dt.datetime(2016, 7, 1, 9, 0, tzinfo=dt.UTC)
SENTENCE = (
    "Illustrative: the amount awarded and the dates are invented for a demonstration, "
    "not taken from the programme's record."
)


def json_grants(client):
    response = client.get(JSON)
    assert response.status_code == 200
    data = parse(response.content)
    assert schema_errors(data) == []
    return data, {record["id"]: record for record in data["grants"]}


def sheet_rows(client):
    response = client.get(XLSX)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["grants"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, [cell.value for cell in row], strict=True)) for row in sheet.iter_rows(min_row=2)]
    return header, {row["Identifier"]: row for row in rows}


def company_grant(world, **fields):
    """A grant led by a company, with no council among its partners or allocations."""
    project = ProjectFactory(programme=world.programme, lead_organisation=world.morning_lane, summary="A company's.")
    return GrantFactory(project=project, round=world.round, recipient=world.morning_lane, title="Company", **fields)


def test_every_grant_has_a_data_source_its_own_source_or_the_publications_page(client, world):
    source = Source.objects.create(
        title="Children's Social Care Innovation Programme: grants awarded",
        publisher="Department for Education",
        url="https://www.gov.uk/government/publications/innovation-programme-grants",
    )
    Grant.objects.filter(pk=world.grant.pk).update(source=source)
    Grant.objects.filter(pk=world.other_grant.pk).update(source=Source.objects.create(title="A letter, no address"))
    _, records = json_grants(client)
    assert records[world.grant.threesixtygiving_id]["dataSource"] == source.url
    assert records[world.other_grant.threesixtygiving_id]["dataSource"] == PAGE  # a source with no address
    header, rows = sheet_rows(client)
    assert header.index("Data Source") == header.index("Last Modified") + 1  # the standard's order
    assert rows[world.grant.threesixtygiving_id]["Data Source"] == source.url
    assert rows[world.other_grant.threesixtygiving_id]["Data Source"] == PAGE


def test_a_councils_location_is_its_gss_code_and_a_companys_is_its_postcode(client, world):
    Organisation.objects.filter(pk=world.morning_lane.pk).update(postcode="EC1V 4PW")
    _, records = json_grants(client)
    company = records[world.grant.threesixtygiving_id]["recipientOrganization"][0]
    assert company["postalCode"] == "EC1V 4PW"
    assert "location" not in company
    council = records[world.other_grant.threesixtygiving_id]["recipientOrganization"][0]
    assert council["location"] == [
        {"name": "Kent County Council", "countryCode": "GB", "geoCode": "E10000016", "geoCodeType": "CTY"}
    ]
    assert "postalCode" not in council
    _, rows = sheet_rows(client)
    assert rows[world.grant.threesixtygiving_id]["Recipient Org:Postal Code"] == "EC1V 4PW"
    assert rows[world.other_grant.threesixtygiving_id]["Recipient Org:Location:0:Geographic Code"] == "E10000016"
    assert rows[world.other_grant.threesixtygiving_id]["Recipient Org:Location:0:Geographic Code Type"] == "CTY"


def test_a_grant_with_no_council_names_england_as_its_beneficiary_location(client, world):
    alone = company_grant(world)
    _, records = json_grants(client)
    record = records[alone.threesixtygiving_id]
    assert record["beneficiaryLocation"] == [ENGLAND]
    assert "locationScope" not in record  # England says where, not how far: no scope is claimed
    # The grants with councils keep their councils, and not England.
    assert {location["geoCode"] for location in records[world.grant.threesixtygiving_id]["beneficiaryLocation"]} == {
        "E10000007",
        "E09000015",
    }
    _, rows = sheet_rows(client)
    assert rows[alone.threesixtygiving_id]["Beneficiary Location:0:Geographic Code"] == "E92000001"
    assert rows[alone.threesixtygiving_id]["Beneficiary Location:0:Name"] == "England"


def test_a_partner_council_without_an_allocation_is_still_the_beneficiary_location(client, world):
    alone = company_grant(world)
    ProjectPartner.objects.create(
        project=alone.project, organisation=Organisation.objects.get(org_id="GB-LAE-SRY"), role="partner_authority"
    )
    _, records = json_grants(client)
    assert [location["geoCode"] for location in records[alone.threesixtygiving_id]["beneficiaryLocation"]] == [
        "E10000030"
    ]


def test_date_times_are_utc_with_their_offset_in_both_files_and_the_summer_hour_is_right(client, world):
    Grant.objects.update(modified_at=SUMMER)
    data, records = json_grants(client)
    assert records[world.grant.threesixtygiving_id]["dateModified"] == "2016-07-01T09:00:00+00:00"
    assert data["modified"] == "2016-07-01T09:00:00+00:00"
    assert data["issued"] == "2016-07-01T09:00:00+00:00"  # the package is issued as at its last change
    _, rows = sheet_rows(client)
    assert rows[world.grant.threesixtygiving_id]["Last Modified"] == "2016-07-01T09:00:00+00:00"
    assert rows[world.grant.threesixtygiving_id]["Award Date"] == dt.datetime(2015, 1, 5)  # a plain date stays a date


def test_a_grant_with_invented_values_says_which_in_both_files(client, world):
    Grant.objects.filter(pk=world.grant.pk).update(illustrative=True, dates_are_illustrative=True)
    _, records = json_grants(client)
    record = records[world.grant.threesixtygiving_id]
    assert record["illustrativeValues"] == ["amountAwarded", "awardDate", "plannedDates"]
    assert record["description"] == f"Less time on bureaucracy. {SENTENCE}"
    real = records[world.other_grant.threesixtygiving_id]
    assert "illustrativeValues" not in real
    assert real["description"] == "Family hubs in Kent."
    header, rows = sheet_rows(client)
    assert header[-1] == "Illustrative values"  # an additional field: after the standard's
    assert rows[world.grant.threesixtygiving_id]["Illustrative values"] == "amountAwarded;awardDate;plannedDates"
    assert rows[world.grant.threesixtygiving_id]["Description"] == f"Less time on bureaucracy. {SENTENCE}"
    assert rows[world.other_grant.threesixtygiving_id]["Illustrative values"] is None
    assert rows[world.other_grant.threesixtygiving_id]["Description"] == "Family hubs in Kent."


def test_an_invented_payment_marks_the_amount_paid(client, world):
    record_payment(
        allocation=world.other_allocation,
        amount=Decimal("1000.00"),
        paid_on=dt.date(2016, 1, 15),
        by=world.users.finance,
        illustrative=True,
    )
    record_payment(
        allocation=world.allocations["GB-LAE-DBY"],
        amount=Decimal("5.00"),
        paid_on=dt.date(2016, 1, 15),
        by=world.users.finance,
    )
    _, records = json_grants(client)
    invented = records[world.other_grant.threesixtygiving_id]
    assert invented["illustrativeValues"] == ["amountDisbursed"]
    assert invented["description"] == (
        "Family hubs in Kent. Illustrative: the amount paid is invented for a demonstration, "
        "not taken from the programme's record."
    )
    assert "illustrativeValues" not in records[world.grant.threesixtygiving_id]  # its payment is real


def test_a_wholly_real_world_has_no_illustrative_column(client, world):
    header, _ = sheet_rows(client)
    assert "Illustrative values" not in header
    data, _ = json_grants(client)
    assert all("illustrativeValues" not in record for record in data["grants"])
    assert all("Illustrative" not in record["description"] for record in data["grants"])

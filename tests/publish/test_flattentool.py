"""The spreadsheet as 360Giving's own tools read it: flattentool (the converter behind the Data Quality
Tool and GrantNav) turns it back into JSON, which must validate against the 1.4 package schema and
hold the same grants and values as the JSON package, allowing only for how a spreadsheet writes them:
a number as a double, a plain date as a date-time at midnight UTC, the additional field under its
column title with its values separated by semicolons."""

import datetime as dt
import re
import warnings
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from flattentool import unflatten

from grants.models import Grant, Organisation, Source
from grants.services import record_payment, record_recovery
from tests.factories import GrantFactory, ProjectFactory
from tests.publish.conftest import parse, schema_errors

JSON = reverse("publish:360giving-json")
XLSX = reverse("publish:360giving-xlsx")
GRANT_SCHEMA = settings.BASE_DIR / "publish" / "data" / "360-giving-schema.json"
MIDNIGHT_UTC = re.compile(r"(\d{4}-\d{2}-\d{2})T00:00:00\+00:00")


def comparable(value):
    """A value as both files can hold it: numbers as Decimals, a midnight-UTC date-time as its date."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Decimal(str(value))  # compared by value: 1000000 == 1000000.0
    if isinstance(value, str) and (midnight := MIDNIGHT_UTC.fullmatch(value)):
        return midnight.group(1)
    return value


def as_in_the_spreadsheet(record: dict) -> dict:
    """Our record with its additional field as flattentool reads an unknown column: the title as the key."""
    record = dict(record)
    if "illustrativeValues" in record:
        record["Illustrative values"] = ";".join(record.pop("illustrativeValues"))
    return record


def small_programme(world):
    """The world's two grants and a third with everything the spreadsheet must carry: a postcode, a source,
    a beneficiary location that is only the country, invented values, a payment and a recovery."""
    finance = world.users.finance
    Organisation.objects.filter(pk=world.morning_lane.pk).update(postcode="EC1V 4PW", website="https://example.org/")
    source = Source.objects.create(title="Grants awarded", url="https://www.gov.uk/grants-awarded")
    Grant.objects.filter(pk=world.other_grant.pk).update(source=source, illustrative=True)
    project = ProjectFactory(programme=world.programme, lead_organisation=world.morning_lane, summary="Alone.")
    GrantFactory(
        project=project,
        round=world.round,
        recipient=world.morning_lane,
        title="Company, no council",
        amount_awarded=Decimal("123456.78"),
        dates_are_illustrative=True,
    )
    record_payment(
        allocation=world.allocations["GB-LAE-HRW"], amount=Decimal("12345.67"), paid_on=dt.date(2016, 1, 15), by=finance
    )
    record_recovery(
        allocation=world.allocations["GB-LAE-HRW"],
        amount=Decimal("0.68"),
        paid_on=dt.date(2016, 2, 15),
        by=finance,
        reason="Unspent",
        recovery_reason="underspend_returned",
    )
    record_payment(
        allocation=world.other_allocation,
        amount=Decimal("10.10"),
        paid_on=dt.date(2016, 1, 15),
        by=finance,
        illustrative=True,
    )


def test_flattentool_reads_the_spreadsheet_back_into_the_same_valid_grants(client, world, tmp_path):
    small_programme(world)
    ours = parse(client.get(JSON).content)
    assert schema_errors(ours) == []
    spreadsheet = tmp_path / "360giving.xlsx"
    spreadsheet.write_bytes(client.get(XLSX).content)
    converted = tmp_path / "360giving.json"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        unflatten(
            str(spreadsheet),
            output_name=str(converted),
            input_format="xlsx",
            schema=str(GRANT_SCHEMA),
            root_list_path="grants",
            root_id="",
            id_name="id",
            convert_titles=True,
        )
    assert [str(warning.message) for warning in caught] == []  # no cell it could not read
    theirs = parse(converted.read_bytes())
    assert schema_errors(theirs) == []
    assert len(theirs["grants"]) == len(ours["grants"]) == 3
    for flattened, record in zip(theirs["grants"], ours["grants"], strict=True):
        assert comparable(flattened) == comparable(as_in_the_spreadsheet(record)), record["id"]
    # Spot checks of what a spreadsheet most easily gets wrong, in the converted JSON.
    first, second, third = theirs["grants"]
    assert Decimal(str(first["amountDisbursed"])) == Decimal("12344.99")
    assert first["dateModified"] == ours["grants"][0]["dateModified"]  # the UTC text survives unchanged
    assert first["recipientOrganization"][0]["postalCode"] == "EC1V 4PW"
    assert [location["geoCode"] for location in first["beneficiaryLocation"]] == ["E10000007", "E09000015"]
    assert second["dataSource"] == "https://www.gov.uk/grants-awarded"
    assert second["Illustrative values"] == "amountAwarded;amountDisbursed"
    assert third["beneficiaryLocation"] == [{"name": "England", "countryCode": "GB", "geoCode": "E92000001"}]
    assert third["Illustrative values"] == "awardDate;plannedDates"

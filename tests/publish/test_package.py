"""The 360Giving JSON package: valid against the official schema offline, with
the exact values the standard asks for, only the published grants, and a
fixed number of queries however many grants there are."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grants import money
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Organisation, Payment
from grants.org_ids import internal_id
from grants.services import record_payment, record_recovery
from projects.models import ProjectPartner
from publish.threesixtygiving import duration_in_months, package, publication
from tests.factories import GrantFactory, LocalAuthorityFactory, ProjectFactory, ProjectPartnerFactory
from tests.publish.conftest import STANDARD, parse, schema_errors

ISSUED = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC)
PAID_ON = dt.date(2016, 1, 15)
PAGE = "https://grants.example.gov.uk/publish/"


def build():
    return parse(json.dumps(package(publication(page_url=PAGE), issued=ISSUED)))


def grant_in(data, grant):
    matches = [record for record in data["grants"] if record["id"] == grant.threesixtygiving_id]
    assert len(matches) == 1, grant.threesixtygiving_id
    return matches[0]


def test_the_worlds_package_validates_offline_against_the_official_schema(world):
    data = build()
    assert schema_errors(data) == []
    assert len(data["grants"]) == 2


def test_the_schema_copies_are_the_standards_1_4_2_release_and_the_service_uses_the_same_files():
    service_copy = Path(django_settings.BASE_DIR) / "publish" / "data"
    for path in STANDARD.iterdir():
        assert (service_copy / path.name).read_bytes() == path.read_bytes(), path.name
    grant_schema = json.loads((STANDARD / "360-giving-schema.json").read_text())
    assert grant_schema["$id"].endswith("/1.4.2/schema/360-giving-schema.json")


def test_the_validator_refuses_what_the_standard_refuses(world):
    data = build()
    data["grants"][0]["amountAwarded"] = "1000000.00"  # a string, not a number
    data["grants"][1]["awardDate"] = "05/01/2015"
    del data["grants"][1]["fundingOrganization"]
    errors = schema_errors(data)
    assert any("amountAwarded" in error for error in errors)
    assert any("awardDate" in error for error in errors)
    assert len(errors) == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dateModified", "2016-07-01T10:00:00"),  # a wall-clock time with no offset
        ("dateModified", "2016-02-30T09:00:00+00:00"),  # no such day
        ("dateModified", "2016-07-01"),  # a date where the standard wants a date-time
        ("awardDate", "2015-01-05T09:00:00"),  # a date-time with no offset, in the oneOf
        ("dataSource", "grants.example.gov.uk/publish/"),  # not a URI: no scheme
    ],
)
def test_the_validator_checks_formats(world, field, value):
    """jsonschema's own format checks (rfc3339-validator, rfc3986-validator), not waved through."""
    data = build()
    assert schema_errors(data) == []  # a plain award date passes: one side of the oneOf, not both
    data["grants"][0][field] = value
    errors = schema_errors(data)
    assert len(errors) == 1 and errors[0].startswith(f"['grants', 0, '{field}']"), errors


def test_the_lead_and_partner_grant_has_the_standards_fields_exactly(world, settings):
    settings.THREESIXTYGIVING_PREFIX = "DFE-CSC"
    record = grant_in(build(), world.grant)
    world.grant.refresh_from_db()
    assert record == {
        "id": f"360G-DFE-CSC-{world.grant.pk}",
        "title": "Reclaiming Social Work",
        "description": "Less time on bureaucracy.",  # the grant has none: the project's summary
        "currency": "GBP",
        "amountAwarded": 1000000,
        "amountDisbursed": 0,
        "awardDate": "2015-01-05",
        "plannedDates": [{"startDate": "2015-01-01", "endDate": "2016-12-31", "duration": 24}],
        "recipientOrganization": [
            {"id": "GB-COH-07000001", "name": "Morning Lane Associates", "companyNumber": "07000001"}
        ],
        "beneficiaryLocation": [
            {"name": "Derbyshire County Council", "countryCode": "GB", "geoCode": "E10000007", "geoCodeType": "CTY"},
            {"name": "London Borough of Harrow", "countryCode": "GB", "geoCode": "E09000015", "geoCodeType": "LONB"},
        ],
        "fundingOrganization": [{"id": "GB-GOR-D6", "name": "Department for Education"}],
        "grantProgramme": [
            {"code": "cscip", "title": "Children's Social Care Innovation Programme"},
            {"code": "cscip-round-1", "title": "Children's Social Care Innovation Programme: Round 1"},
        ],
        "classifications": [
            {"vocabulary": "360G-DFE-CSC-themes", "code": "reducing-bureaucracy", "title": "Reducing bureaucracy"}
        ],
        "dateModified": world.grant.modified_at.isoformat(timespec="seconds"),
        "dataSource": PAGE,  # the grant has no source of its own
        # Morning Lane keeps an allocation for its own work and passes the rest to the councils.
        "regrantType": "FRG070",
        "locationScope": "GLS050",
    }


def test_an_authority_lead_is_its_own_beneficiary_location_and_has_a_location(world):
    record = grant_in(build(), world.other_grant)
    kent = {"name": "Kent County Council", "countryCode": "GB", "geoCode": "E10000016", "geoCodeType": "CTY"}
    assert record["recipientOrganization"] == [{"id": "GB-LAE-KEN", "name": "Kent County Council", "location": [kent]}]
    assert record["beneficiaryLocation"] == [kent]
    assert "regrantType" not in record  # all of Kent's grant is allocated to Kent


def test_amount_disbursed_is_payments_less_recoveries_to_the_penny(world):
    finance = world.users.finance
    record_payment(allocation=world.allocations["GB-LAE-DBY"], amount=Decimal("50000.00"), paid_on=PAID_ON, by=finance)
    record_payment(allocation=world.allocations["GB-LAE-HRW"], amount=Decimal("12345.67"), paid_on=PAID_ON, by=finance)
    record_payment(allocation=world.allocations["GB-COH-07000001"], amount=Decimal("0.10"), paid_on=PAID_ON, by=finance)
    record_recovery(
        allocation=world.allocations["GB-LAE-HRW"],
        amount=Decimal("1000.01"),
        paid_on=PAID_ON,
        by=finance,
        reason="Unspent at year end",
        recovery_reason="underspend_returned",
    )
    record_payment(allocation=world.other_allocation, amount=Decimal("99.99"), paid_on=PAID_ON, by=finance)
    data = build()
    assert grant_in(data, world.grant)["amountDisbursed"] == Decimal("61345.76")  # 50000 + 12345.67 + 0.10 - 1000.01
    assert grant_in(data, world.other_grant)["amountDisbursed"] == Decimal("99.99")
    assert schema_errors(data) == []
    # The same figure as the money module's net paid, from the balances and from the ledger rows.
    for grant in (world.grant, world.other_grant):
        disbursed = grant_in(data, grant)["amountDisbursed"]
        assert disbursed == money.totals(Allocation.objects.filter(grant=grant)).net_paid
        assert disbursed == money.ledger_payment_sums(Payment.objects.filter(allocation__grant=grant))["net_paid"]


def test_amount_disbursed_is_the_kept_net_paid(world):
    """amountDisbursed reads the balances: a payment written around the services is not published until
    its balance is kept (reconciliation lists it meanwhile)."""
    Payment.objects.create(allocation=world.other_allocation, amount=Decimal("10.50"), paid_on=PAID_ON)
    assert grant_in(build(), world.other_grant)["amountDisbursed"] == 0
    money.refresh_balance(world.other_allocation.pk)
    assert grant_in(build(), world.other_grant)["amountDisbursed"] == Decimal("10.5")


def test_date_modified_is_the_later_of_the_grants_change_and_its_last_payment(world):
    long_ago = dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC)
    Grant.objects.update(modified_at=long_ago)  # update() leaves auto_now alone
    payment = record_payment(
        allocation=world.allocations["GB-LAE-DBY"], amount=Decimal("10.00"), paid_on=PAID_ON, by=world.users.finance
    )
    data = build()
    assert grant_in(data, world.grant)["dateModified"] == payment.recorded_at.isoformat(timespec="seconds")
    assert grant_in(data, world.other_grant)["dateModified"] == "2020-01-01T12:00:00+00:00"
    assert data["modified"] == payment.recorded_at.isoformat(timespec="seconds")


def test_pennies_survive_as_json_numbers(world):
    Grant.objects.filter(pk=world.grant.pk).update(amount_awarded=Decimal("4234567.89"))
    Grant.objects.filter(pk=world.other_grant.pk).update(amount_awarded=Decimal("999999999999.99"))
    content = json.dumps(package(publication(), issued=ISSUED))
    assert '"amountAwarded": 4234567.89' in content
    assert '"amountAwarded": 999999999999.99' in content
    data = parse(content)
    assert grant_in(data, world.other_grant)["amountAwarded"] == Decimal("999999999999.99")


def test_only_publishable_grants_that_are_not_withdrawn_are_published(world):
    third = GrantFactory(project=world.project, round=world.round, recipient=world.morning_lane, title="Scale-up")
    Grant.objects.filter(pk=world.other_grant.pk).update(publishable=False)
    withdrawn = GrantFactory(
        project=world.project, round=world.round, recipient=world.morning_lane, status=Grant.Status.WITHDRAWN
    )
    data = build()
    assert [record["id"] for record in data["grants"]] == [world.grant.threesixtygiving_id, third.threesixtygiving_id]
    assert withdrawn.threesixtygiving_id not in str(data)
    # The project's two published grants point at each other; the withdrawn one is not named.
    assert grant_in(data, world.grant)["relatedActivity"] == [third.threesixtygiving_id]
    assert grant_in(data, third)["relatedActivity"] == [world.grant.threesixtygiving_id]


def test_nothing_personal_is_published(world):
    record_payment(
        allocation=world.allocations["GB-LAE-DBY"],
        amount=Decimal("10.00"),
        paid_on=PAID_ON,
        by=world.users.finance,
        note="Paid by Finance Tester",
    )
    content = json.dumps(package(publication(), issued=ISSUED))
    assert "@" not in content  # no email address
    assert "Tester" not in content  # no person's name (every persona's last name)
    for user in vars(world.users).values():
        assert f'"{user.username}"' not in content


@pytest.mark.parametrize(
    ("authority_type", "gss_code", "geo_code_type"),
    [
        ("CTY", "E10000014", "CTY"),
        ("UA", "E06000044", "UA"),
        ("MD", "E08000003", "MD"),
        ("LBO", "E09000012", "LONB"),
        ("CC", "E09000001", "LONB"),
    ],
)
def test_geo_code_type_follows_the_authority_type(world, authority_type, gss_code, geo_code_type):
    authority = LocalAuthorityFactory(authority_type=authority_type, gss_code=gss_code)
    ProjectPartnerFactory(project=world.other_project, organisation=authority)
    record = grant_in(build(), world.other_grant)
    assert {location["geoCode"]: location["geoCodeType"] for location in record["beneficiaryLocation"]} == {
        "E10000016": "CTY",
        gss_code: geo_code_type,
    }


def test_every_real_authoritys_geo_code_type_is_the_ons_entity_of_its_gss_code():
    """Checked against the codelist itself: its documentation URL names the ONS entity (E10 for counties)."""
    from publish.threesixtygiving import GEO_CODE_TYPE_BY_AUTHORITY_TYPE

    with (STANDARD / "geoCodeType.csv").open(encoding="utf-8") as file:
        entities = {(row["Code"], row["Documentation (URL)"].rsplit("/", 1)[1]) for row in csv.DictReader(file)}
    authorities = Path(django_settings.BASE_DIR) / "data" / "english-childrens-services-authorities.csv"
    with authorities.open(encoding="utf-8") as file:
        rows = [row for row in csv.DictReader(file) if row["gss_code"]]
    assert len(rows) >= 153
    for row in rows:
        assert (GEO_CODE_TYPE_BY_AUTHORITY_TYPE[row["authority_type"]], row["gss_code"][:3]) in entities, row


def test_regrant_type_only_where_money_is_allocated_to_others(world):
    # Kent's project gains a partner authority, but no allocation: still no regrant.
    surrey = Organisation.objects.get(org_id="GB-LAE-SRY")
    ProjectPartner.objects.create(project=world.other_project, organisation=surrey, role="partner_authority")
    assert "regrantType" not in grant_in(build(), world.other_grant)
    # A grant whose lead keeps nothing and allocates everything to a partner: a fiscal sponsor.
    lead = world.morning_lane
    project = ProjectFactory(programme=world.programme, lead_organisation=lead)
    sponsored = GrantFactory(project=project, round=world.round, recipient=lead)
    Allocation.objects.create(
        grant=sponsored, recipient=surrey, financial_year=FinancialYear(2015), resource=Decimal("1000.00")
    )
    data = build()
    assert grant_in(data, sponsored)["regrantType"] == "FRG050"
    assert grant_in(data, world.grant)["regrantType"] == "FRG070"
    assert grant_in(data, sponsored)["beneficiaryLocation"] == [
        {"name": "Surrey County Council", "countryCode": "GB", "geoCode": "E10000030", "geoCodeType": "CTY"}
    ]


def test_package_metadata(world):
    website = "https://www.gov.uk/government/organisations/department-for-education"
    Organisation.objects.filter(pk=world.dfe.pk).update(website=website)
    data = build()
    assert data["version"] == "1.4"
    assert data["license"] == "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    assert data["issued"] == "2024-05-01T09:30:00+00:00"
    assert data["publisher"] == {
        "identifier": "GB-GOR-D6",
        "name": "Department for Education",
        "website": website,
    }
    assert data["identifier"] == "360G-MIG-grants"
    assert data["title"] == "Department for Education grants: Children's Social Care Innovation Programme"
    assert data["modified"] == max(grant.modified_at for grant in Grant.objects.all()).isoformat(timespec="seconds")
    assert schema_errors(data) == []


def test_a_web_address_without_its_scheme_is_left_out_rather_than_spoiling_the_file(world):
    Organisation.objects.filter(pk__in=[world.dfe.pk, world.morning_lane.pk]).update(website="www.example.org")
    data = build()
    assert "website" not in data["publisher"]
    assert "url" not in grant_in(data, world.grant)["recipientOrganization"][0]
    assert schema_errors(data) == []


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2015, 4, 1), dt.date(2016, 3, 31), 12),
        (dt.date(2015, 1, 1), dt.date(2016, 12, 31), 24),
        (dt.date(2015, 1, 1), dt.date(2015, 2, 15), 2),
        (dt.date(2015, 1, 1), dt.date(2015, 1, 1), 1),
        (dt.date(2015, 1, 5), dt.date(2016, 12, 31), 24),
    ],
)
def test_duration_in_months(start, end, months):
    assert duration_in_months(start, end) == months


def _queries_for_publication():
    with CaptureQueriesContext(connection) as queries:
        publication()
    return len(queries)


def test_a_programme_of_a_thousand_grants_validates_with_exact_values(world, big_programme, django_assert_num_queries):
    with django_assert_num_queries(5):  # grants, allocations, partners, the project's grants, themes
        published = publication()
    data = parse(json.dumps(package(published, issued=timezone.now())))
    assert schema_errors(data) == []
    expected = Grant.objects.filter(publishable=True).count()
    assert expected == 2 + 900
    assert len(data["grants"]) == expected
    assert len({record["id"] for record in data["grants"]}) == expected
    # Spot checks against figures computed here from the rows.
    for grant in big_programme[::97]:
        if not grant.publishable:
            assert all(record["id"] != grant.threesixtygiving_id for record in data["grants"])
            continue
        record = grant_in(data, grant)
        assert record["amountAwarded"] == grant.amount_awarded
        payments = Payment.objects.filter(allocation__grant=grant)
        net = sum((p.signed_amount for p in payments), Decimal("0.00"))
        assert record["amountDisbursed"] == net
        partners = Allocation.objects.filter(grant=grant).exclude(recipient=grant.recipient).exists()
        assert ("regrantType" in record) == partners
        lead = grant.recipient
        if lead.kind == Organisation.Kind.LOCAL_AUTHORITY:
            assert record["beneficiaryLocation"][0]["geoCode"] == lead.gss_code
    assert (
        sum(record["amountDisbursed"] for record in data["grants"])
        == sum(
            (payment.signed_amount for payment in Payment.objects.filter(allocation__grant__publishable=True)),
            Decimal("0"),
        )
        == money.totals(Allocation.objects.filter(grant__publishable=True)).net_paid
    )


def test_the_query_count_does_not_grow_with_the_grants(world):
    few = _queries_for_publication()
    from tests.publish.conftest import make_programme

    make_programme(world, grants=60)
    assert _queries_for_publication() == few


def test_validation_is_offline_a_reference_the_registry_lacks_is_an_error_not_a_download(world):
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    from tests.publish.conftest import load

    package_schema = load("360-giving-package-schema.json")
    registry = Registry().with_resource(package_schema["$id"], DRAFT202012.create_resource(package_schema))
    with pytest.raises(Unresolvable):
        Draft202012Validator(package_schema, registry=registry).validate(build())


def test_the_demo_programmes_publication_validates(db, settings):
    """The demo programme from DESIGN.md, loaded as `make run` loads it."""
    from django.core.management import call_command

    settings.DEVELOPMENT = True
    call_command("load_demo", stdout=io.StringIO())
    data = build()
    assert schema_errors(data) == []
    published = Grant.objects.filter(publishable=True).exclude(status=Grant.Status.WITHDRAWN)
    assert len(data["grants"]) == published.count() > 0
    rsw = next(record for record in data["grants"] if record["title"] == "Reclaiming Social Work")
    # No company number is known for Morning Lane: it takes one under the publisher's prefix, never an invented one.
    assert rsw["recipientOrganization"][0]["id"] == internal_id("Morning Lane Associates")
    assert rsw["fundingOrganization"] == [{"id": "GB-GOR-D6", "name": "Department for Education"}]
    assert {location["geoCode"] for location in rsw["beneficiaryLocation"]} >= {"E10000007", "E09000015"}
    assert data["publisher"]["website"] == "https://www.gov.uk/government/organisations/department-for-education"


@pytest.mark.django_db
def test_a_generated_programme_of_a_thousand_grants_validates():
    """generate_programme (issue 8) writes three grants a project: 334 projects, 1,002 grants,
    with partners, payments and recoveries in every shape the generator makes."""
    from demo.generate import generate_programme

    generate_programme(projects=334, seed=7)
    data = parse(json.dumps(package(publication(), issued=timezone.now())))
    assert schema_errors(data) == []
    published = Grant.objects.filter(publishable=True).exclude(status=Grant.Status.WITHDRAWN)
    assert len(data["grants"]) == published.count() > 900
    record = next(r for r in data["grants"] if r.get("amountDisbursed"))
    grant = published.get(pk=int(record["id"].rsplit("-", 1)[1]))
    paid = sum(p.signed_amount for p in Payment.objects.filter(allocation__grant=grant))
    assert Decimal(str(record["amountDisbursed"])).quantize(Decimal("0.01")) == paid
    assert Decimal(str(record["amountAwarded"])).quantize(Decimal("0.01")) == grant.amount_awarded

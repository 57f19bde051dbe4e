"""An offline 360Giving validator built from the test copy of the official
schemas (tests/data/360giving/, the 1.4.2 release), independent of the
service's own, and a quick way to make a programme of many grants."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from grants import money, reconciliation
from grants.financial_year import FinancialYear
from grants.models import Allocation, AllocationBalance, Grant, Organisation, Payment, RecoveryReason
from projects.models import Project, ProjectPartner

STANDARD = Path(__file__).resolve().parent.parent / "data" / "360giving"

# jsonschema's own format checks, which need rfc3339-validator (date-time) and rfc3986-validator (uri)
# installed: without them both formats pass anything, a plain "2015-01-05" then matches both sides of
# the standard's oneOf (date-time or YYYY-MM-DD) and fails, and a wrong date-time passes.
test_formats = FormatChecker()


def load(name):
    return json.loads((STANDARD / name).read_text(encoding="utf-8"))


def offline_validator():
    package_schema, grant_schema = load("360-giving-package-schema.json"), load("360-giving-schema.json")
    # Each schema's $schema is written "http://json-schema.org/draft/2020-12/schema" (no "https"), which
    # referencing does not recognise: the draft is named. No retrieve function either: a reference the
    # registry does not hold fails, it is never fetched.
    registry = Registry().with_resources(
        [
            (schema["$id"], Resource(contents=schema, specification=DRAFT202012))
            for schema in (package_schema, grant_schema)
        ]
    )
    return Draft202012Validator(package_schema, registry=registry, format_checker=test_formats)


def schema_errors(package):
    return [f"{list(error.absolute_path)}: {error.message}" for error in offline_validator().iter_errors(package)]


def parse(content):
    """JSON with every decimal read as a Decimal, so amounts compare to the penny."""
    return json.loads(content, parse_float=Decimal)


GSS_ENTITY = {"CTY": "E10", "UA": "E06", "MD": "E08", "LBO": "E09", "CC": "E09"}


def make_authorities(count_per_type=4):
    authorities = []
    for type_number, authority_type in enumerate(GSS_ENTITY):
        for number in range(count_per_type):
            authorities.append(
                Organisation(
                    name=f"Bulk {authority_type} Council {number}",
                    kind=Organisation.Kind.LOCAL_AUTHORITY,
                    org_id=f"GB-LAE-B{type_number}{number:02d}",
                    authority_type=authority_type,
                    gss_code=f"{GSS_ENTITY[authority_type]}99{type_number}{number:03d}",
                )
            )
    return Organisation.objects.bulk_create(authorities)


def make_programme(world, grants=1000):
    """``grants`` grants in the world's programme, written with bulk_create: every
    fourth led by a local authority, every other one with a partner authority holding
    an allocation, every tenth not publishable, some paid and one in seven partly
    recovered. Returns the grants created."""
    authorities = make_authorities()
    companies = Organisation.objects.bulk_create(
        Organisation(name=f"Bulk Company {number}", kind=Organisation.Kind.COMPANY, org_id=f"GB-COH-B{number:07d}")
        for number in range(20)
    )
    leads = [authorities[n % len(authorities)] if n % 4 == 0 else companies[n % len(companies)] for n in range(grants)]
    projects = Project.objects.bulk_create(
        Project(
            programme=world.programme,
            reference=f"BULK-{n:05d}",
            title=f"Bulk project {n}",
            summary=f"Summary of bulk project {n}.",
            lead_organisation=leads[n],
            start_date=dt.date(2016, 4, 1),
            end_date=dt.date(2018, 3, 31),
            status=Project.Status.ACTIVE,
        )
        for n in range(grants)
    )
    created = Grant.objects.bulk_create(
        Grant(
            project=projects[n],
            round=world.round,
            recipient=leads[n],
            title=f"Bulk grant {n}",
            description=f"Grant number {n}.",
            amount_awarded=Decimal(f"{100000 + n}.{n % 100:02d}"),
            award_date=dt.date(2016, 3, 1),
            planned_start=dt.date(2016, 4, 1),
            planned_end=dt.date(2018, 3, 31),
            publishable=n % 10 != 9,
        )
        for n in range(grants)
    )
    partners = [authorities[(n + 3) % len(authorities)] for n in range(grants)]
    ProjectPartner.objects.bulk_create(
        ProjectPartner(project=projects[n], organisation=partners[n], role=ProjectPartner.Role.PARTNER_AUTHORITY)
        for n in range(grants)
        if n % 2 == 0 and partners[n] != leads[n]
    )
    allocations = Allocation.objects.bulk_create(
        [
            Allocation(
                grant=created[n], recipient=leads[n], financial_year=FinancialYear(2016), resource=Decimal("50000.00")
            )
            for n in range(grants)
        ]
        + [
            Allocation(
                grant=created[n],
                recipient=partners[n],
                financial_year=FinancialYear(2016),
                resource=Decimal("40000.00"),
            )
            for n in range(grants)
            if n % 2 == 0 and partners[n] != leads[n]
        ]
    )
    Payment.objects.bulk_create(
        [
            Payment(allocation=allocation, amount=Decimal("1234.56"), paid_on=dt.date(2016, 6, 30))
            for allocation in allocations[::3]
        ]
        + [
            Payment(
                allocation=allocation,
                kind=Payment.Kind.RECOVERY,
                amount=Decimal("0.01"),
                paid_on=dt.date(2016, 9, 30),
                recovery_reason=RecoveryReason.OVERPAYMENT,
                note="Overpaid",
            )
            for allocation in allocations[::21]
        ]
    )
    keep_balances(Allocation.objects.filter(grant__project__reference__startswith="BULK-"))
    return created


def keep_balances(allocations):
    """Balances for allocations whose rows were written in bulk, around the services, as the services would
    keep them: from the ledger sums reconciliation checks them against, in one query."""
    AllocationBalance.objects.bulk_create(
        [
            AllocationBalance(
                allocation_id=row.pk, **{name: getattr(row, f"l_{name}") for name in money.BALANCE_FIELDS}
            )
            for row in reconciliation.balances_out_of_step(allocations)
        ]
    )


@pytest.fixture
def big_programme(world):
    return make_programme(world)

"""The programme's grants as 360Giving Data Standard 1.4 records.

What is published, and why:

- Grants marked publishable, except withdrawn ones: a withdrawn award no longer
  stands, and publishing it would state money the funder is not giving.
- Nothing personal: organisations, places and money only. No user, email or
  name of a person is read, so none can leak; the publication is the same
  whoever asks for it, signed in or not.
- ``amountDisbursed`` is the grant's net paid (``grants.money``: paid less
  recovered), to every recipient of the grant, added up in the database from
  its allocations' kept balances, so it is the figure every page shows.
- ``beneficiaryLocation``: every local authority taking part, the lead first
  if it is one, then the project's partners and any authority holding an
  allocation of the grant, each with its ONS GSS code; a grant with no
  authority names the country, England, so that no grant is without a place.
- ``recipientOrganization``: a council's location is its GSS code; any
  organisation's postcode is given when it is known.
- ``dataSource``: the publication the grant's facts were taken from (its
  Source), else this publication's own page.
- ``illustrativeValues`` (an additional field, which the standard allows):
  the values of the grant invented for a demonstration, by their field names;
  the description ends with the same in a sentence. A wholly real grant has
  neither.
- Every date-time is written in UTC with its offset.
- ``regrantType`` only where part of the grant is allocated to organisations
  other than the lead (the partner councils): "Multipurpose" when the lead
  keeps an allocation for its own work too, "Fiscal sponsor" when it keeps none.

Records are built with Python types (Decimal, date, datetime) so that the
spreadsheet can write real numbers and dates; ``json_ready`` turns them into
JSON numbers and ISO strings for the JSON package.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.utils.text import slugify

from grants import money
from grants.models import Allocation, AllocationBalance, Grant, Organisation, Payment
from projects.models import ProjectPartner
from publish.schema import code_from, is_uri

STANDARD_VERSION = "1.4"
LICENCE = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
CURRENCY = "GBP"
COUNTRY = "GB"
PENNY = Decimal("0.01")
ZERO = Decimal("0.00")

# ONS counts the City of London among the London boroughs (its GSS code, E09000001,
# is in the E09 "London Boroughs" entity), so both are LONB in the codelist.
GEO_CODE_TYPE_BY_AUTHORITY_TYPE = {
    Organisation.AuthorityType.COUNTY: "CTY",
    Organisation.AuthorityType.UNITARY: "UA",
    Organisation.AuthorityType.METROPOLITAN: "MD",
    Organisation.AuthorityType.LONDON_BOROUGH: "LONB",
    Organisation.AuthorityType.CITY_OF_LONDON: "LONB",
}
MULTIPURPOSE = "FRG070"
FISCAL_SPONSOR = "FRG050"
LOCAL_AUTHORITY_SCOPE = "GLS050"
# Where a grant names no local authority, its beneficiaries are somewhere in England, the country of every
# authority the service knows (ONS GSS code E92000001). No geoCodeType: ONS calls a country "CTRY", but the
# standard's geoCodeType codelist has no type for a country, and a code the codelist lacks is not given.
ENGLAND = {"name": "England", "countryCode": COUNTRY, "geoCode": "E92000001"}

# The values of a grant that can be invented for a demonstration, in the standard's order of fields,
# each with the words the description uses for it.
ILLUSTRATIVE_WORDS = {
    "amountAwarded": "the amount awarded",
    "amountDisbursed": "the amount paid",
    "awardDate": "the dates",
    "plannedDates": "the dates",
}


def published_grants():
    """The grants in the publication: marked publishable, and not withdrawn."""
    return Grant.objects.filter(publishable=True).exclude(status=Grant.Status.WITHDRAWN)


def invented_paid() -> Exists:
    """Whether an invented payment or recovery lies behind the grant's kept net paid (its amountDisbursed)."""
    return Exists(AllocationBalance.objects.filter(allocation__grant=OuterRef("pk"), invented_paid=True))


# The grants with any illustrative value, over grants annotated with ``invented_paid``: those for which
# ``illustrative_values`` is not empty.
ILLUSTRATIVE_GRANTS = Q(illustrative=True) | Q(dates_are_illustrative=True) | Q(invented_paid=True)


def _last_paid():
    latest = Payment.objects.filter(allocation__grant=OuterRef("pk")).order_by("-recorded_at")
    return Subquery(latest.values("recorded_at")[:1])


def last_modified(grant: Grant) -> dt.datetime:
    """When the grant or the money paid against it last changed: a payment or a recovery
    changes amountDisbursed, so a reader polling for changes must see a later date."""
    return max(grant.modified_at, grant.last_paid or grant.modified_at)


def _grants_with_everything():
    """One query for the grants and one per related set, however many grants there are. Paid and recovered
    are the grant's allocations' balances added up (grants.money), grouped by grant in that one query."""
    sums = money.balance_sums("allocations__")
    return (
        published_grants()
        .select_related("recipient", "project", "round__programme__funder", "source")
        .annotate(paid=sums["paid"], recovered=sums["recovered"], invented_paid=invented_paid(), last_paid=_last_paid())
        .prefetch_related(
            Prefetch("allocations", queryset=Allocation.objects.select_related("recipient").order_by("pk")),
            Prefetch("project__partnerships", queryset=ProjectPartner.objects.select_related("organisation")),
            Prefetch(
                "project__grants",
                queryset=published_grants().only("pk", "project_id").order_by("pk"),
                to_attr="published_grants",
            ),
            "project__themes",
        )
        .order_by("pk")
    )


def duration_in_months(start: dt.date, end: dt.date) -> int:
    """Whole months from the start to the end day inclusive, a part month counting as one:
    1 April 2015 to 31 March 2016 is 12; 1 January to 15 February is 2."""
    after = end + dt.timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if after.day < start.day:
        months -= 1
    part_month = after.day != start.day
    return max(months + (1 if part_month else 0), 0)


def _location(authority: Organisation) -> dict:
    return {
        "name": authority.display_name,
        "countryCode": COUNTRY,
        "geoCode": authority.gss_code,
        "geoCodeType": code_from("geoCodeType", GEO_CODE_TYPE_BY_AUTHORITY_TYPE[authority.authority_type]),
    }


def _web_address(organisation: Organisation) -> bool:
    # A web address typed without its scheme ("www.example.org") would make the whole file invalid.
    return bool(organisation.website) and is_uri(organisation.website)


def _is_placed_authority(organisation: Organisation) -> bool:
    return organisation.kind == Organisation.Kind.LOCAL_AUTHORITY and bool(organisation.gss_code)


def _organisation(organisation: Organisation) -> dict:
    record = {"id": organisation.org_id, "name": organisation.name}
    # The register number is the last part of a charity's or company's org-id.
    scheme, _, number = organisation.org_id.rpartition("-")
    if scheme == "GB-CHC":
        record["charityNumber"] = number
    elif scheme == "GB-COH":
        record["companyNumber"] = number
    if _web_address(organisation):
        record["url"] = organisation.website
    if organisation.postcode:
        record["postalCode"] = organisation.postcode
    if _is_placed_authority(organisation):
        record["location"] = [_location(organisation)]
    return record


def _authorities(grant: Grant) -> list[Organisation]:
    others = [partnership.organisation for partnership in grant.project.partnerships.all()]
    others += [allocation.recipient for allocation in grant.allocations.all()]
    found = {}
    for organisation in sorted(others, key=lambda organisation: organisation.display_name):
        if _is_placed_authority(organisation) and organisation.pk != grant.recipient_id:
            found.setdefault(organisation.pk, organisation)
    lead = [grant.recipient] if _is_placed_authority(grant.recipient) else []
    return lead + list(found.values())


def _regrant_type(grant: Grant) -> str | None:
    recipients = {allocation.recipient_id for allocation in grant.allocations.all()}
    if not recipients - {grant.recipient_id}:
        return None
    return code_from("regrantType", MULTIPURPOSE if grant.recipient_id in recipients else FISCAL_SPONSOR)


def illustrative_values(grant: Grant) -> list[str]:
    """The fields of the grant's record whose values are invented for a demonstration, in the standard's order."""
    invented = {
        "amountAwarded": grant.illustrative,
        "amountDisbursed": grant.invented_paid,
        "awardDate": grant.dates_are_illustrative,
        "plannedDates": grant.dates_are_illustrative,
    }
    return [field for field in ILLUSTRATIVE_WORDS if invented[field]]


def illustrative_sentence(fields: list[str]) -> str:
    """The illustrative values in words, for a reader of the description: empty for a wholly real grant."""
    words = list(dict.fromkeys(ILLUSTRATIVE_WORDS[field] for field in fields))
    if not words:
        return ""
    listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
    verb = "are" if len(words) > 1 or words[0] == "the dates" else "is"
    return f"Illustrative: {listed} {verb} invented for a demonstration, not taken from the programme's record."


def _description(grant: Grant, illustrative: list[str]) -> str:
    return " ".join(
        part for part in (grant.description or grant.project.summary, illustrative_sentence(illustrative)) if part
    )


def grant_record(grant: Grant, *, page_url: str = "") -> dict:
    """One grant as a 360Giving record, with Python values (Decimal, date, datetime).

    ``grant`` comes from ``_grants_with_everything``: it carries ``paid``, ``recovered``, ``invented_paid`` and
    ``last_paid``, and its related rows are prefetched. ``page_url`` is the publication's own page, the data
    source of a grant with no source of its own. Keys follow the standard's order, which is also the
    order of the spreadsheet's columns; the additional field comes last.
    """
    programme = grant.round.programme
    locations = [_location(authority) for authority in _authorities(grant)]
    illustrative = illustrative_values(grant)
    record = {
        "id": grant.threesixtygiving_id,
        "title": grant.title,
        "description": _description(grant, illustrative),
        "currency": CURRENCY,
        "amountAwarded": grant.amount_awarded.quantize(PENNY),
        # SQLite sums drop trailing zeros; the publication is always to the penny.
        "amountDisbursed": money.Figures(
            paid=money.to_penny(grant.paid), recovered=money.to_penny(grant.recovered)
        ).net_paid,
        "awardDate": grant.award_date,
        "plannedDates": [
            {
                "startDate": grant.planned_start,
                "endDate": grant.planned_end,
                "duration": duration_in_months(grant.planned_start, grant.planned_end),
            }
        ],
        "recipientOrganization": [_organisation(grant.recipient)],
        "beneficiaryLocation": locations or [dict(ENGLAND)],
        "fundingOrganization": [{"id": programme.funder.org_id, "name": programme.funder.name}],
        "grantProgramme": [
            {"code": programme.code, "title": programme.name},
            {"code": f"{programme.code}-round-{grant.round.number}", "title": f"{programme.name}: {grant.round.name}"},
        ],
        "classifications": [
            {
                "vocabulary": f"360G-{settings.THREESIXTYGIVING_PREFIX}-themes",
                "code": slugify(theme.name),
                "title": theme.name,
            }
            for theme in grant.project.themes.all()
        ],
        # The project's other published grants (a Round 1 award and its Round 2 scale-up).
        "relatedActivity": [
            other.threesixtygiving_id for other in grant.project.published_grants if other.pk != grant.pk
        ],
        "dateModified": last_modified(grant),
        "dataSource": (grant.source and grant.source.url) or page_url or None,
        "regrantType": _regrant_type(grant),
        # England alone says where the grant is, not how far it reaches: no scope is claimed for it.
        "locationScope": code_from("locationScope", LOCAL_AUTHORITY_SCOPE) if locations else None,
        "illustrativeValues": illustrative,
    }
    return {key: value for key, value in record.items() if value not in (None, [])}


@dataclass(frozen=True)
class Publication:
    grants: list[dict]
    publisher: Organisation | None
    programmes: list[str]
    modified: dt.datetime | None


def publication(*, page_url: str = "") -> Publication:
    """The published grants as typed records, with the publisher: the funder of most of them.
    ``page_url``, the publication's own page, is the data source of the grants with no source of their own."""
    grants = list(_grants_with_everything())
    funders = Counter(grant.round.programme.funder for grant in grants)
    publisher = min(funders, key=lambda funder: (-funders[funder], funder.name), default=None)
    return Publication(
        grants=[grant_record(grant, page_url=page_url) for grant in grants],
        publisher=publisher,
        programmes=sorted({grant.round.programme.name for grant in grants}),
        modified=max((last_modified(grant) for grant in grants), default=None),
    )


def utc_text(moment: dt.datetime) -> str:
    """A date-time as the files write it: in UTC, to the second, with its offset ("2016-07-01T09:00:00+00:00")."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def json_ready(value):
    """Decimal to a JSON number, dates to ISO 8601 strings, recursively."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_ready(item) for item in value]
    if isinstance(value, Decimal):
        # A number, never a string. Amounts have at most 14 digits, and any decimal of
        # 15 significant digits or fewer survives the trip through a double: json
        # writes back exactly the pounds and pence stored (1234.50 as 1234.5).
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def package(published: Publication, *, issued: dt.datetime, download_url: str = "", access_url: str = "") -> dict:
    """The 360Giving data package: metadata and the grants, ready for ``json.dumps``."""
    prefix = settings.THREESIXTYGIVING_PREFIX
    data = {
        "version": STANDARD_VERSION,
        "identifier": f"360G-{prefix}-grants",
        "title": f"{published.publisher.name if published.publisher else 'Published'} grants: "
        f"{', '.join(published.programmes) or 'none yet'}",
        "description": "Grants awarded, as published in the 360Giving Data Standard: one record per grant, "
        "with the amount awarded and the amount paid to date net of recoveries. A value invented for a "
        "demonstration is named in its grant's illustrativeValues (an additional field) and in its description.",
        "issued": issued,
        "license": LICENCE,
    }
    if published.modified:
        data["modified"] = published.modified
    if published.publisher:
        data["publisher"] = {"identifier": published.publisher.org_id, "name": published.publisher.name}
        if _web_address(published.publisher):
            data["publisher"]["website"] = published.publisher.website
    if download_url:
        data["downloadURL"] = download_url
    if access_url:
        data["accessURL"] = access_url
    data["grants"] = published.grants
    return json_ready(data)

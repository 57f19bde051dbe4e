"""Nothing invented passes for real in the demo: every organisation's identifier is a
register's number with the publication that gives it, or one under the publisher's own
prefix; every grant names its source or is marked illustrative; the numbers the demo
once made up appear nowhere."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from demo.records import SOURCES
from grants.models import Allocation, Grant, Organisation, Source
from grants.org_ids import internal_id, is_registered, validate_org_id
from projects.models import Project
from publish.threesixtygiving import publication

pytestmark = pytest.mark.django_db

DEMO = Path(settings.BASE_DIR) / "demo"

# Every organisation the demo adds to load_authorities' councils: (org-id, title of its identifier's source).
REGISTERED = {
    "Department for Education": ("GB-GOR-D6", "Government Organisation Register (GB-GOR)"),
    "Family Rights Group": (
        "GB-CHC-1015665",
        "FRG Limited Annual Report and Financial Statements for the year ended 31 March 2021",
    ),
}
# No registered number found in a public source (and one fictional university).
UNREGISTERED = [
    "Morning Lane Associates",
    "The Fostering Network",
    "Slough Children's Services Trust",
    "University of Bedfordshire",
    "University of Wessex",
]
# The identifiers the demo once published as if real: charity, company and UKPRN numbers it made up.
INVENTED = ["9990001", "9990002", "09999001", "10099999", "10099998"]


def test_every_org_id_in_the_demo_with_its_source(demo):
    listed = {
        organisation.name: (organisation.org_id, organisation.identifier_source)
        for organisation in Organisation.objects.select_related("identifier_source")
    }
    for name, (org_id, source) in listed.items():
        validate_org_id(org_id)
        if is_registered(org_id):
            assert source is not None and source.url, f"{org_id} ({name}) has no source"
        else:
            assert org_id == internal_id(name) and source is None, name
    others = {name: (org_id, source and source.title) for name, (org_id, source) in listed.items()}
    others = {name: value for name, value in others.items() if not value[0].startswith("GB-LAE-")}
    assert others == REGISTERED | {name: (internal_id(name), None) for name in UNREGISTERED}
    assert (
        internal_id("Morning Lane Associates") == f"360G-{settings.THREESIXTYGIVING_PREFIX}-org-morning-lane-associates"
    )


def test_every_council_keeps_its_gb_lae_code_with_mysocietys_file_as_source(demo):
    councils = Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY)
    assert councils.count() > 150
    assert not councils.exclude(org_id__startswith="GB-LAE-").exists()
    assert set(councils.values_list("identifier_source__title", "identifier_source__publisher")) == {
        ("UK local authority names and codes (uk_local_authorities_future.csv, version 1.7.3)", "mySociety (CC-BY-4.0)")
    }
    derbyshire = councils.get(org_id="GB-LAE-DBY")
    assert (derbyshire.gss_code, derbyshire.dfe_la_number) == ("E10000007", 830)


def test_the_numbers_once_invented_appear_nowhere(demo):
    held = list(Organisation.objects.values_list("org_id", flat=True))
    published = json.dumps(publication().grants, default=str)
    files = sorted((DEMO / "data").iterdir()) + sorted(DEMO.glob("*.py"))
    texts = {path.name: path.read_text(encoding="utf-8") for path in files}
    for number in INVENTED:
        assert not [org_id for org_id in held if number in org_id], number
        assert number not in published, number
        assert [name for name, text in texts.items() if number in text] == [], number
    assert "sources.json" in texts and "organisations.json" in texts


def test_every_source_in_the_data_is_loaded_with_its_address(demo):
    assert Source.objects.count() == len(SOURCES) == 20
    assert not Source.objects.filter(url="").exists()
    assert not Source.objects.filter(publisher="").exists()
    assert Source.objects.get(title="£2.4m to boost children's services announced").published_on.isoformat() == (
        "2017-03-20"
    )


def test_every_grant_has_a_source_or_is_marked_illustrative(demo):
    grants = Grant.objects.select_related("source", "project")
    assert grants.count() == 9
    for grant in grants:
        assert grant.source is not None or grant.illustrative, grant
    # The one wholly from the record, dates and all; the one whose amount is a rounding.
    wholly_real = grants.filter(source__isnull=False, illustrative=False, dates_are_illustrative=False)
    assert [(g.project.reference, g.amount_awarded, g.award_date.isoformat()) for g in wholly_real] == [
        ("CSCIP-R2-LL", 5000000, "2017-03-20")
    ]
    assert wholly_real.get().source.url == "https://innovationcsc.co.uk/projects/lifelong-links/"
    invented = grants.filter(illustrative=True)
    assert [(g.project.reference, g.amount_awarded, g.source.title[:15]) for g in invented] == [
        ("CSCIP-R2-HCK", 2000000, "Hackney Council")
    ]


def test_sloughs_grant_goes_to_the_trust_not_the_council(demo):
    project = Project.objects.get(reference="CSCIP-R2-SLG")
    trust = project.lead_organisation
    assert (trust.name, trust.kind) == ("Slough Children's Services Trust", Organisation.Kind.COMPANY)
    grant = project.grants.get()
    assert grant.recipient == trust and grant.amount_awarded == 1400000
    assert set(Allocation.objects.filter(grant=grant).values_list("recipient__name", flat=True)) == {trust.name}
    council = Organisation.objects.get(org_id="GB-LAE-SLG")
    assert not project.partnerships.filter(organisation=council).exists()
    assert not Allocation.objects.filter(recipient=council).exists()


def test_the_university_of_bedfordshire_is_hackneys_partner_with_no_unsourced_share(demo):
    project = Project.objects.get(reference="CSCIP-R2-HCK")
    university = Organisation.objects.get(name="University of Bedfordshire")
    assert project.partnerships.get(organisation=university).role == "delivery_partner"
    assert not Allocation.objects.filter(recipient=university).exists()
    assert Allocation.objects.filter(grant__project=project).values_list(
        "recipient__org_id", flat=True
    ).distinct().get() == ("GB-LAE-HCK")

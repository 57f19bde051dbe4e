"""The files are built once for each version of the data, kept in the cache and sent with an ETag
and a Last-Modified date: a reader whose copy is current is answered 304, a second reader gets the
same bytes without the files being built again, and any change to what is published (a payment, a
grant, an organisation, a partner) makes a new version."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse
from django.utils.http import http_date

from audit.models import DownloadRecord
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Organisation, Source
from grants.services import record_payment, record_recovery
from projects.models import ProjectPartner, Theme
from publish import files
from tests.factories import OrganisationFactory
from tests.publish.conftest import parse

JSON = reverse("publish:360giving-json")
XLSX = reverse("publish:360giving-xlsx")
PAID_ON = dt.date(2016, 1, 15)


def never_built(monkeypatch):
    def build(*args, **kwargs):
        raise AssertionError("the publication was built again")

    monkeypatch.setattr(files, "publication", build)


@pytest.mark.parametrize("url", [JSON, XLSX])
def test_the_files_carry_an_etag_and_last_modified_and_a_current_copy_is_answered_304(client, world, url):
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"].startswith('"') and len(first["ETag"]) == 42
    latest = max(Grant.objects.values_list("modified_at", flat=True))
    assert first["Last-Modified"] == http_date(latest.timestamp())
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert client.get(url, headers={"If-Modified-Since": first["Last-Modified"]}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


@pytest.mark.parametrize("url", [JSON, XLSX])
def test_a_second_request_gets_the_same_bytes_without_building_them(
    client, world, url, monkeypatch, django_assert_max_num_queries
):
    first = client.get(url)
    never_built(monkeypatch)
    with django_assert_max_num_queries(1):  # the version stamp, and nothing else
        second = client.get(url)
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


@pytest.mark.parametrize("url", [JSON, XLSX])
def test_the_same_data_built_again_gives_the_same_bytes(client, world, url):
    """As in another process (each gunicorn worker has its own cache): the ETag holds across them."""
    first = client.get(url)
    files.cache.clear()
    second = client.get(url)
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


def test_anonymous_and_signed_in_readers_get_the_same_bytes_and_a_signed_in_download_is_recorded(
    client, world, monkeypatch
):
    anonymous = client.get(JSON)
    never_built(monkeypatch)
    client.force_login(world.users.harrow)
    signed_in = client.get(JSON)
    assert signed_in.content == anonymous.content
    assert client.get(JSON, headers={"If-None-Match": signed_in["ETag"]}).status_code == 304
    # The 200 sent a file and is recorded; the 304 sent none.
    assert list(DownloadRecord.objects.values_list("user__username", "description")) == [
        ("harrow", "360Giving publication (JSON, 2 grants)")
    ]


def test_a_payment_makes_a_new_version(client, world):
    before = client.get(JSON)
    record_payment(
        allocation=world.allocations["GB-LAE-DBY"], amount=Decimal("50000.00"), paid_on=PAID_ON, by=world.users.finance
    )
    after = client.get(JSON, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    record = next(r for r in parse(after.content)["grants"] if r["id"] == world.grant.threesixtygiving_id)
    assert record["amountDisbursed"] == 50000
    record_recovery(
        allocation=world.allocations["GB-LAE-DBY"],
        amount=Decimal("0.01"),
        paid_on=PAID_ON,
        by=world.users.finance,
        reason="Unspent",
        recovery_reason="underspend_returned",
    )
    recovered = client.get(JSON, headers={"If-None-Match": after["ETag"]})
    assert recovered.status_code == 200
    record = next(r for r in parse(recovered.content)["grants"] if r["id"] == world.grant.threesixtygiving_id)
    assert record["amountDisbursed"] == Decimal("49999.99")


def _add_allocation(world):
    Allocation.objects.create(
        grant=world.other_grant, recipient=world.kent, financial_year=FinancialYear(2016), resource=Decimal("1.00")
    )


def _edit_grant(world):
    grant = Grant.objects.get(pk=world.grant.pk)
    grant.title = "Reclaiming Social Work, renamed"
    grant.save()


def _edit_organisation_in_the_admin(world):
    Organisation.objects.filter(pk=world.morning_lane.pk).update(postcode="EC1V 4PW")  # keeps no time of change
    LogEntry.objects.log_actions(
        user_id=world.users.officer.pk, queryset=[world.morning_lane], action_flag=CHANGE, change_message="Postcode"
    )


def _edit_organisation_outside_the_admin(world):
    # As load_authorities does: a save, with no admin log entry.
    organisation = Organisation.objects.get(pk=world.morning_lane.pk)
    organisation.postcode = "EC1V 4PW"
    organisation.save()


def _edit_source(world):
    source = Source.objects.create(title="Grants list")
    before = files.version_stamp()
    source.url = "https://www.gov.uk/government/publications/grants-list"
    source.save()
    assert files.version_stamp() != before


CHANGES = {
    "a grant saved": _edit_grant,
    "an allocation added": _add_allocation,
    "an organisation added": lambda world: OrganisationFactory(),
    "an organisation changed in the admin": _edit_organisation_in_the_admin,
    "an organisation changed outside the admin": _edit_organisation_outside_the_admin,
    "a source added": lambda world: Source.objects.create(title="Grants list"),
    "a source changed": _edit_source,
    "a partner taken away": lambda world: ProjectPartner.objects.filter(organisation=world.harrow).delete(),
    "a theme added to a project": lambda world: world.other_project.themes.add(Theme.objects.create(name="Hubs")),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_to_what_is_published_makes_a_new_version(world, change):
    before = files.version_stamp()
    assert files.version_stamp() == before  # reading changes nothing
    CHANGES[change](world)
    assert files.version_stamp() != before


def test_the_version_stamp_is_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        files.version_stamp()

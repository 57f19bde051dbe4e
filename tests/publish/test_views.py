"""The public pages: /publish/, the JSON package and the spreadsheet. Open data:
anyone may fetch them, they are the same for everyone, a signed-in user's
download is recorded, and the query count does not grow with the grants."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import DownloadRecord
from grants.models import Grant
from tests.publish.conftest import make_programme, parse, schema_errors

INDEX = reverse("publish:index")
JSON = reverse("publish:360giving-json")
XLSX = reverse("publish:360giving-xlsx")


def test_anyone_may_fetch_the_json_and_it_validates(client, world):
    response = client.get(JSON)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = parse(response.content)
    assert schema_errors(data) == []
    assert [record["id"] for record in data["grants"]] == [
        world.grant.threesixtygiving_id,
        world.other_grant.threesixtygiving_id,
    ]
    assert data["downloadURL"] == "http://testserver/publish/360giving.json"
    assert data["accessURL"] == "http://testserver/publish/"
    assert DownloadRecord.objects.count() == 0  # nobody to record


@pytest.mark.parametrize("url", [JSON, XLSX])
def test_the_publication_is_the_same_bytes_whoever_asks(client, world, url):
    anonymous = client.get(url).content
    for persona in ("harrow", "outsider", "officer"):
        client.force_login(getattr(world.users, persona))
        assert client.get(url).content == anonymous, persona


def test_a_signed_in_download_is_recorded(client, world):
    client.force_login(world.users.harrow)
    client.get(JSON)
    client.get(XLSX)
    records = list(DownloadRecord.objects.order_by("pk").values_list("user__username", "kind", "description"))
    assert records == [
        ("harrow", "export", "360Giving publication (JSON, 2 grants)"),
        ("harrow", "export", "360Giving publication (Excel, 2 grants)"),
    ]


def test_the_spreadsheet_has_one_row_per_published_grant(client, world):
    Grant.objects.filter(pk=world.other_grant.pk).update(publishable=False)
    response = client.get(XLSX)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="360giving.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content))["grants"]
    assert sheet.max_row == 2
    assert sheet["A2"].value == world.grant.threesixtygiving_id


@pytest.mark.parametrize("url", [INDEX, JSON, XLSX])
def test_the_pages_only_read(client, world, url):
    assert client.post(url).status_code == 405


def test_nothing_published_is_a_plain_404_and_the_page_says_so(client, world):
    Grant.objects.update(publishable=False)
    assert client.get(JSON).status_code == 404
    assert client.get(XLSX).status_code == 404
    response = client.get(INDEX)
    assert response.status_code == 200
    assert "No grants are published yet." in response.content.decode()
    assert JSON not in response.content.decode()


def test_the_index_page_counts_the_grants_and_names_the_licence(client, world):
    Grant.objects.filter(pk=world.other_grant.pk).update(illustrative=True)
    withdrawn = Grant.objects.create(
        project=world.project,
        round=world.round,
        recipient=world.morning_lane,
        title="Withdrawn",
        amount_awarded=Decimal("5.00"),
        award_date=world.grant.award_date,
        planned_start=world.grant.planned_start,
        planned_end=world.grant.planned_end,
        status=Grant.Status.WITHDRAWN,
    )
    assert withdrawn.pk
    page = client.get(INDEX).content.decode()
    assert '<dd class="govuk-summary-list__value" id="grant-count">2</dd>' in page
    assert '<dd class="govuk-summary-list__value" id="total-awarded">£1,500,000.00</dd>' in page
    assert "Open Government Licence v3.0" in page
    assert 'href="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"' in page
    assert f'href="{JSON}"' in page and f'href="{XLSX}"' in page
    assert "Department for Education publishes" in page
    assert "1 of these grants carries amounts or dates invented" in page


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [INDEX, JSON, XLSX])
def test_the_query_count_does_not_grow_with_the_grants(client, world, url):
    few = _queries(client, url)
    make_programme(world, grants=50)
    assert _queries(client, url) == few

"""Cursor paging: every row once, in id order, stable when rows are added between pages; a cursor that is
not one of ours, or a limit outside 1-200, is a problem, never a 500; no OFFSET in the SQL."""

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.paging import decode_cursor, encode_cursor
from grants.models import Organisation
from tests.api.conftest import bearer_client, make_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/probe/organisations"


def _charity(number):
    return Organisation.objects.create(
        name=f"Charity {number}", short_name=f"C{number}", kind="charity", org_id=f"GB-CHC-{900000 + number}"
    )


@pytest.fixture
def client(world, probe_api):
    for number in range(7):
        _charity(number)
    return bearer_client(make_token(world.users.officer)[1])


def _all_pages(client, limit, between=None):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get(URL, params).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if between:
            between(pages)
        if cursor is None:
            return seen, pages


def test_pages_cover_every_row_once_in_id_order(client):
    everyone = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    seen, pages = _all_pages(client, 3)
    assert seen == everyone
    assert pages == -(-len(everyone) // 3)


def test_the_default_page_is_50_and_the_last_says_so(client):
    body = client.get(URL).json()
    assert len(body["items"]) == Organisation.objects.count() <= 50
    assert body["next_cursor"] is None


def test_rows_added_between_pages_are_neither_repeated_nor_skipped(client):
    before = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    added = []

    def add(page):
        if page <= 2:
            added.append(_charity(100 + page).pk)

    seen, _ = _all_pages(client, 4, between=add)
    assert len(seen) == len(set(seen))
    assert seen == before + added  # new rows have higher ids: they come at the end, each once


def test_no_offset_and_no_count(client):
    first = client.get(URL, {"limit": 2}).json()
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"limit": 2, "cursor": first["next_cursor"]})
    sql = " ".join(query["sql"].upper() for query in queries.captured_queries)
    assert "OFFSET" not in sql
    assert "LIMIT 3" in sql  # the page and one row more, to know whether there is a next page
    assert "COUNT(" not in sql


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "%%%",
        base64.urlsafe_b64encode(b"5").decode(),  # an id without our signature
        encode_cursor(3)[:-2],  # a signature cut short
        "é",
    ],
)
def test_a_cursor_we_did_not_make_is_a_problem(client, cursor):
    response = client.get(URL, {"cursor": cursor})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("limit", ["0", "201", "-1", "many", "1e3"])
def test_a_limit_outside_1_to_200_is_a_problem(client, limit):
    response = client.get(URL, {"limit": limit})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "limit"


def test_a_cursor_round_trips():
    assert decode_cursor(encode_cursor(12345)) == 12345

"""A change made through the API is in the audit history as made by the token's owner, through that token."""

import pytest
from django.urls import reverse

from api.history import REASON_MAX, reason_for
from api.models import ApiToken
from grants.models import Organisation, SpendReturn
from tests.api.conftest import bearer_client, make_token

pytestmark = pytest.mark.django_db


def test_a_write_through_the_api_names_the_owner_and_the_token(world, probe_api, client):
    token, key = make_token(world.users.finance, scope="read_write", name="Finance ledger feed")
    response = bearer_client(key).post(
        "/api/v1/probe/organisations", {"name": "Lifelong Links", "amount": "1.00"}, content_type="application/json"
    )
    assert response.status_code == 201
    organisation = Organisation.objects.get(pk=response.json()["id"])
    record = organisation.history.get()
    assert record.history_user == world.users.finance
    assert record.history_change_reason == f"Through the API (token “Finance ledger feed”, {token.prefix}…)"

    # The organisation's page shows the reason beside the person.
    client.force_login(world.users.officer)
    page = client.get(reverse("setup:organisation", args=[organisation.pk]))
    assert page.status_code == 200
    assert "Through the API (token “Finance ledger feed”" in page.content.decode()


def test_a_change_outside_the_api_has_no_such_reason(world):
    world.derbyshire.website = "https://www.derbyshire.gov.uk"
    world.derbyshire.save()
    assert world.derbyshire.history.latest().history_change_reason is None


def test_a_row_with_its_own_reason_keeps_it(world):
    world.derbyshire._change_reason = "Contract signed"
    world.derbyshire.save()
    assert world.derbyshire.history.latest().history_change_reason == "Contract signed"


def test_a_long_token_name_is_cut_to_fit_the_column(world):
    token = ApiToken(name="A" * 100, prefix="mig_abcdefgh")
    reason = reason_for(token)
    assert len(reason) == REASON_MAX
    assert reason.endswith("…”, mig_abcdefgh…)")


def test_a_spend_return_sent_through_the_api_says_so_in_its_history(world, api_client_for):
    client = api_client_for("derbyshire", scope="read_write")
    body = {"allocation_id": world.allocations["GB-LAE-DBY"].pk, "quarter": 2, "spent": "45000.50", "forecast": "0"}
    response = client.post("/api/v1/spend-returns", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert response.status_code == 201, response.content
    record = SpendReturn.objects.get(pk=response.json()["id"]).history.get()
    assert record.history_user == world.users.derbyshire
    assert (
        record.history_change_reason == f"Through the API (token “derbyshire read_write”, {client.api_token.prefix}…)"
    )

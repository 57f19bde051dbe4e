"""The API's money figures are the pages' figures, to the penny, with the same illustrative marks: both come
from grants.money (the figures, and illustrative_marks for which of them an invented demo row lies behind)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from grants import money
from grants.models import Allocation, Payment
from grants.templatetags.money_marks import marks as page_marks
from tests.api.reads_world import add_both_sides

FIGURES = (
    "allocated",
    "paid",
    "recovered",
    "net_paid",
    "committed",
    "held",
    "headroom",
    "spent",
    "forecast",
    "variance",
)


@pytest.fixture
def both_sides(world):
    return add_both_sides(world)


def test_an_allocation_with_a_payment_a_recovery_and_a_return(world, both_sides, api_client_for):
    allocation = world.allocations["GB-LAE-DBY"]
    body = api_client_for("derbyshire").get(f"/api/v1/allocations/{allocation.pk}").json()
    figures = body["money"]
    # £300,000 allocated; £50,000 paid, £5,000.25 recovered (and held: no variation has released it); the
    # £50,000 milestone still committed; £20,000.10 spent and £250,000 forecast in the latest return.
    assert figures["allocated"] == "300000.00"
    assert figures["paid"] == "50000.00"
    assert figures["recovered"] == "5000.25"
    assert figures["net_paid"] == "44999.75"
    assert figures["committed"] == "50000.00"
    assert figures["held"] == "5000.25"
    assert figures["headroom"] == "200000.00"
    assert figures["spent"] == "20000.10"
    assert figures["forecast"] == "250000.00"
    assert figures["variance"] == "29999.90"
    # 29,999.90 is just under 10% of 300,000: not an underspend.
    assert figures["has_spend_returns"] is True
    assert figures["underspend"] is False
    assert figures["overspend"] is False
    assert body["resource"] == "300000.00"
    assert body["financial_year"] == "2015-16"


def test_an_allocations_figures_are_its_pages(world, both_sides, api_client_for, client):
    allocation = world.allocations["GB-LAE-DBY"]
    client.force_login(world.users.officer)
    page = client.get(reverse("grants:allocation", kwargs={"allocation_pk": allocation.pk}))
    assert page.status_code == 200
    shown = page.context["allocation"]
    figures = api_client_for("officer").get(f"/api/v1/allocations/{allocation.pk}").json()["money"]
    for name in FIGURES:
        assert Decimal(figures[name]) == getattr(shown, name), name
    assert figures["underspend"] == (page.context["flag"] == "underspend")
    marks = page_marks(shown, list(page.context["spend_returns"]))
    assert {name: figures["illustrative"][name] for name in marks} == marks


def test_a_grants_figures_are_the_sums_of_its_allocations(world, both_sides, api_client_for, client):
    body = api_client_for("officer").get(f"/api/v1/grants/{world.grant.pk}").json()
    figures = body["money"]
    assert figures["allocated"] == "700000.00"
    assert figures["net_paid"] == "44999.75"
    assert figures["committed"] == "90000.00"
    assert figures["held"] == "5000.25"
    assert figures["headroom"] == "560000.00"
    assert figures["spent"] == "20000.10"
    assert figures["forecast"] == "250000.00"
    assert figures["variance"] == "429999.90"
    assert figures["underspend"] is True
    totals = money.totals(Allocation.objects.filter(grant=world.grant))
    client.force_login(world.users.officer)
    page = client.get(reverse("grants:detail", kwargs={"grant_pk": world.grant.pk}))
    assert page.context["totals"] == totals
    for name in FIGURES:
        assert Decimal(figures[name]) == getattr(totals, name), name


def test_a_grant_without_allocations_has_zero_figures(world, api_client_for):
    Allocation.objects.filter(grant=world.other_grant).update(grant=world.grant)  # leaves Kent's grant empty
    figures = api_client_for("officer").get(f"/api/v1/grants/{world.other_grant.pk}").json()["money"]
    assert figures["allocated"] == figures["headroom"] == figures["variance"] == "0.00"
    assert figures["has_spend_returns"] is False
    assert figures["underspend"] is False


def test_an_invented_return_marks_spend_forecast_and_variance(world, both_sides, api_client_for):
    allocation = world.allocations["GB-LAE-DBY"]
    both_sides["spend_return"].illustrative = True
    both_sides["spend_return"].save()
    money.refresh_balance(allocation.pk)
    client = api_client_for("officer")
    marks = client.get(f"/api/v1/allocations/{allocation.pk}").json()["money"]["illustrative"]
    assert {name for name, marked in marks.items() if marked} == {
        "spent",
        "forecast",
        "variance",
        "underspend",
        "overspend",
    }
    grant_marks = client.get(f"/api/v1/grants/{world.grant.pk}").json()["money"]["illustrative"]
    assert grant_marks == marks
    # Harrow's allocation has no invented row behind it.
    harrow = client.get(f"/api/v1/allocations/{world.allocations['GB-LAE-HRW'].pk}").json()["money"]
    assert not any(harrow["illustrative"].values())


def test_an_invented_payment_marks_what_is_worked_out_from_it(world, api_client_for):
    allocation = world.allocations["GB-LAE-HRW"]
    Payment.objects.create(
        allocation=allocation, amount=Decimal("1000.00"), paid_on=dt.date(2015, 7, 1), illustrative=True
    )
    money.refresh_balance(allocation.pk)
    body = api_client_for("harrow").get(f"/api/v1/allocations/{allocation.pk}").json()
    marks = body["money"]["illustrative"]
    assert {name for name, marked in marks.items() if marked} == {"paid", "recovered", "net_paid", "held", "headroom"}
    assert body["money"]["net_paid"] == "1000.00"
    assert body["money"]["has_spend_returns"] is False


def test_an_invented_allocation_marks_allocated_headroom_and_variance(world, api_client_for):
    allocation = world.allocations["GB-LAE-HRW"]
    Allocation.objects.filter(pk=allocation.pk).update(illustrative=True)
    marks = api_client_for("harrow").get(f"/api/v1/allocations/{allocation.pk}").json()["money"]["illustrative"]
    assert {name for name, marked in marks.items() if marked} == {
        "allocated",
        "held",
        "headroom",
        "variance",
        "underspend",
        "overspend",
    }


def test_payments_and_recoveries_are_decimal_strings(world, both_sides, api_client_for):
    body = api_client_for("derbyshire").get("/api/v1/payments").json()
    by_kind = {item["kind"]: item for item in body["items"]}
    assert by_kind["payment"]["amount"] == "50000.00"
    assert by_kind["recovery"]["amount"] == "5000.25"
    assert by_kind["recovery"]["recovery_reason"] == "overpayment"
    returns = api_client_for("derbyshire").get("/api/v1/spend-returns").json()["items"]
    assert [(item["spent"], item["forecast"], item["financial_year"]) for item in returns] == [
        ("20000.10", "250000.00", "2015-16")
    ]


def test_the_projects_award_and_the_programmes_budget(world, api_client_for):
    client = api_client_for("officer")
    assert client.get(f"/api/v1/projects/{world.project.pk}").json()["awarded"] == "1000000.00"
    assert client.get(f"/api/v1/programmes/{world.programme.pk}").json()["budget"] == "200000000.00"

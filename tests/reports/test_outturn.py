"""Forecast outturn on the officer dashboard: grants projected to underspend or
overspend this financial year past their thresholds are listed, others are not.
The figures are the allocations' kept balances, which the factories' rows do
not write: each allocation's balance is refreshed as the money services would."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from grants import money
from grants.financial_year import FinancialYear
from grants.models import AllocationBalance
from reports.outturn import forecast_outturn
from reports.spending_notes import Thresholds
from tests.factories import AllocationFactory, GrantFactory, SpendReturnFactory, UserFactory

DASHBOARD = reverse("projects:dashboard")


def this_year() -> FinancialYear:
    return FinancialYear.of(timezone.localdate())


def grant_with(title, *allocations, year=None):
    """A grant with allocations for the year: (amount, [(quarter, spent, forecast), ...]) each."""
    grant = GrantFactory(title=title, amount_awarded=Decimal("5000000.00"))
    for amount, returns in allocations:
        allocation = AllocationFactory(
            grant=grant,
            financial_year=year or this_year(),
            resource=Decimal(amount),
            recipient=GrantFactory().recipient,
        )
        for quarter, spent, forecast in returns:
            SpendReturnFactory(allocation=allocation, quarter=quarter, spent=Decimal(spent), forecast=Decimal(forecast))
        money.refresh_balance(allocation.pk)
    return grant


@pytest.fixture
def grants(db):
    return {
        # 100,000 allocated; spent 30,000 + 20,000 so far and 30,000 forecast in the latest return (Q2):
        # outturn 80,000, underspend 20,000, 20%.
        "over": grant_with(
            "Over the threshold",
            ("100000.00", [(1, "30000.00", "60000.00"), (2, "20000.00", "30000.00")]),
        ),
        # Two allocations: 200,000 allocated, outturn 95,000 + 90,000, underspend 15,000, 7.5%.
        "under": grant_with(
            "Under the threshold",
            ("100000.00", [(1, "45000.00", "50000.00")]),
            ("100000.00", [(1, "50000.00", "40000.00")]),
        ),
        # One allocation has a return, the other none yet: 300,000 allocated, outturn 150,000, 50%.
        "partly": grant_with(
            "Partly returned",
            ("150000.00", [(1, "50000.00", "100000.00")]),
            ("150000.00", []),
        ),
        # 100,000 allocated; spent 60,000 and 65,000 more forecast: outturn 125,000, variance -25,000, an overspend.
        "overspent": grant_with("Spending past it", ("100000.00", [(1, "60000.00", "65000.00")])),
        "no returns": grant_with("No return yet", ("100000.00", [])),
        "last year": grant_with("Last year's", ("100000.00", [(4, "10000.00", "0.00")]), year=this_year() + -1),
    }


def outturn_section(client):
    client.force_login(UserFactory(role="officer"))
    page = client.get(DASHBOARD).content.decode()
    return page[page.index('id="forecast-outturn"') : page.index("Projects by RAG rating")]


def test_grants_past_either_threshold_are_listed_and_those_within_them_are_not(client, grants):
    section = outturn_section(client)
    assert f"Grants projected to underspend or overspend in {this_year()}" in section
    assert "Over the threshold" in section and "Partly returned" in section and "Spending past it" in section
    assert "Under the threshold" not in section
    assert "No return yet" not in section and "Last year" not in section
    over = section[section.index("Over the threshold") : section.index("</tr>", section.index("Over the threshold"))]
    assert "£100,000.00" in over and "£80,000.00" in over and "£20,000.00" in over and "20.0%" in over
    assert "Underspend" in over and "Overspend" not in over
    assert section.index("Partly returned") < section.index("Spending past it") < section.index("Over the threshold")
    link = f"{reverse('reports:spending')}?financial_year={this_year()}&amp;group=project"
    assert f'href="{link}"' in section


def test_a_negative_variance_is_an_overspend_never_an_underspend(client, grants):
    section = outturn_section(client)
    start = section.index("Spending past it")
    row = section[start : section.index("</tr>", start)]
    assert "-£25,000.00" in row and "-25.0%" in row and "£125,000.00" in row
    assert "Overspend" in row and "Underspend" not in row


def test_the_figures_are_summed_per_grant_in_sql(grants):
    outturn = forecast_outturn(UserFactory(role="viewer"), year=this_year(), thresholds=Thresholds(10, 0))
    found = {item.grant.title: item for item in outturn.grants}
    assert set(found) == {"Over the threshold", "Partly returned", "Spending past it"}
    partly = found["Partly returned"]
    assert (partly.allocated, partly.outturn, partly.variance, partly.percent, partly.flag) == (
        Decimal("300000.00"),
        Decimal("150000.00"),
        Decimal("150000.00"),
        Decimal("50.0"),
        "Underspend",
    )
    overspent = found["Spending past it"]
    assert (overspent.variance, overspent.flag) == (Decimal("-25000.00"), "Overspend")
    assert outturn.total == 3 and outturn.more == 0


def test_the_figures_are_the_kept_balances(grants):
    """Read from AllocationBalance, not the spend returns: a balance moved by hand moves the outturn."""
    allocation = grants["under"].allocations.order_by("pk").first()
    AllocationBalance.objects.filter(allocation=allocation).update(forecast=Decimal("0.00"))
    titles = {item.grant.title for item in forecast_outturn(UserFactory(role="viewer"), year=this_year()).grants}
    assert "Under the threshold" in titles  # 200,000 less 95,000 + 50,000: 55,000, 27.5%


def test_the_thresholds_come_from_the_settings(grants, settings):
    def titles():
        return {item.grant.title for item in forecast_outturn(UserFactory(role="officer"), year=this_year()).grants}

    settings.UNDERSPEND_THRESHOLD_PERCENT = 5
    assert titles() == {"Over the threshold", "Under the threshold", "Partly returned", "Spending past it"}
    settings.UNDERSPEND_THRESHOLD_PERCENT = 25
    assert titles() == {"Partly returned", "Spending past it"}
    settings.OVERSPEND_THRESHOLD_PERCENT = 25  # 25,000 over is 25%: not past it
    assert titles() == {"Partly returned"}
    settings.OVERSPEND_THRESHOLD_PERCENT = 24
    assert titles() == {"Partly returned", "Spending past it"}


def test_the_list_is_bounded_and_counts_the_rest(client, grants):
    outturn = forecast_outturn(UserFactory(role="officer"), year=this_year(), thresholds=Thresholds(10, 0), limit=1)
    assert [item.grant.title for item in outturn.grants] == ["Partly returned"]
    assert outturn.total == 3 and outturn.more == 2


def test_no_grant_flagged_says_so(client, db):
    grant_with("Spending to plan", ("100000.00", [(1, "25000.00", "75000.00")]))
    client.force_login(UserFactory(role="officer"))
    page = client.get(DASHBOARD).content.decode()
    assert "No grant is projected to underspend by more than 10% or to overspend by more than 0%" in page

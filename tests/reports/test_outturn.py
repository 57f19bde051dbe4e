"""Forecast outturn on the officer dashboard: grants projected to underspend this
financial year by more than the threshold are listed, others are not."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.financial_year import FinancialYear
from reports.outturn import projected_underspends
from tests.factories import AllocationFactory, GrantFactory, SpendReturnFactory, UserFactory

DASHBOARD = reverse("projects:dashboard")


def this_year() -> FinancialYear:
    return FinancialYear.of(timezone.localdate())


def grant_with(title, *allocations, year=None):
    """A grant with allocations for the year: (amount, [(quarter, spent, forecast), ...]) each."""
    grant = GrantFactory(title=title, amount_awarded=Decimal("5000000.00"))
    for amount, returns in allocations:
        allocation = AllocationFactory(grant=grant, financial_year=year or this_year(), resource=Decimal(amount),
                                       recipient=GrantFactory().recipient)
        for quarter, spent, forecast in returns:
            SpendReturnFactory(allocation=allocation, quarter=quarter, spent=Decimal(spent), forecast=Decimal(forecast))
    return grant


@pytest.fixture
def grants(db):
    return {
        # 100,000 allocated; spent 30,000 + 20,000 so far and 30,000 forecast in the latest return (Q2):
        # outturn 80,000, underspend 20,000, 20%.
        "over": grant_with(
            "Over the threshold", ("100000.00", [(1, "30000.00", "60000.00"), (2, "20000.00", "30000.00")]),
        ),
        # Two allocations: 200,000 allocated, outturn 95,000 + 90,000, underspend 15,000, 7.5%.
        "under": grant_with(
            "Under the threshold",
            ("100000.00", [(1, "45000.00", "50000.00")]),
            ("100000.00", [(1, "50000.00", "40000.00")]),
        ),
        # One allocation has a return, the other none yet: 300,000 allocated, outturn 150,000, 50%.
        "partly": grant_with(
            "Partly returned", ("150000.00", [(1, "50000.00", "100000.00")]), ("150000.00", []),
        ),
        "no returns": grant_with("No return yet", ("100000.00", [])),
        "last year": grant_with("Last year's", ("100000.00", [(4, "10000.00", "0.00")]), year=this_year() + -1),
    }


def test_a_grant_over_the_threshold_is_listed_and_one_under_it_is_not(client, grants):
    client.force_login(UserFactory(role="officer"))
    page = client.get(DASHBOARD).content.decode()
    section = page[page.index('id="forecast-outturn"'):page.index("Projects by RAG rating")]
    assert f"Grants projected to underspend in {this_year()}" in section
    assert "Over the threshold" in section and "Partly returned" in section
    assert "Under the threshold" not in section
    assert "No return yet" not in section and "Last year" not in section
    over = section[section.index("Over the threshold"):section.index("</tr>", section.index("Over the threshold"))]
    assert "£100,000.00" in over and "£80,000.00" in over and "£20,000.00" in over and "20.0%" in over
    assert section.index("Partly returned") < section.index("Over the threshold")  # the largest underspend first
    link = f'{reverse("reports:spending")}?financial_year={this_year()}&amp;group=project'
    assert f'href="{link}"' in section


def test_the_figures_are_summed_per_grant_in_sql(grants):
    outturn = projected_underspends(UserFactory(role="viewer"), year=this_year(), threshold=10)
    found = {item.grant.title: item for item in outturn.grants}
    assert set(found) == {"Over the threshold", "Partly returned"}
    partly = found["Partly returned"]
    assert (partly.allocated, partly.outturn, partly.underspend, partly.percent) == (
        Decimal("300000.00"), Decimal("150000.00"), Decimal("150000.00"), Decimal("50.0"))
    assert outturn.total == 2 and outturn.more == 0


def test_the_threshold_comes_from_the_setting(grants, settings):
    settings.UNDERSPEND_THRESHOLD_PERCENT = 5
    titles = {item.grant.title for item in projected_underspends(UserFactory(role="officer"), year=this_year()).grants}
    assert titles == {"Over the threshold", "Under the threshold", "Partly returned"}
    settings.UNDERSPEND_THRESHOLD_PERCENT = 25
    titles = {item.grant.title for item in projected_underspends(UserFactory(role="officer"), year=this_year()).grants}
    assert titles == {"Partly returned"}


def test_the_list_is_bounded_and_counts_the_rest(client, grants):
    outturn = projected_underspends(UserFactory(role="officer"), year=this_year(), threshold=10, limit=1)
    assert [item.grant.title for item in outturn.grants] == ["Partly returned"]
    assert outturn.total == 2 and outturn.more == 1


def test_no_grant_flagged_says_so(client, db):
    grant_with("Spending to plan", ("100000.00", [(1, "25000.00", "75000.00")]))
    client.force_login(UserFactory(role="officer"))
    page = client.get(DASHBOARD).content.decode()
    assert "No grant is projected to underspend by more than 10%" in page

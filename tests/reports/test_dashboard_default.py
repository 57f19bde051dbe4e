"""The dashboard opens on the current financial year while it has money in it, otherwise on the latest
year before it that has (issue 20: a programme that ended in 2020 opened on an empty 2026-27), and its
empty panels and charts say so in words."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Max, Q
from django.test import override_settings
from django.utils import timezone

from accounts.models import Role, User
from grants.financial_year import FinancialYear
from grants.models import Allocation, Payment
from reports.chart import grouped_bar_chart
from reports.dashboard import opening_year


def opened_on(client, user) -> str:
    client.force_login(user)
    response = client.get("/projects/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    heading = re.search(r'id="forecast-outturn">Grants projected to underspend or overspend in ([0-9-]+)<', page)
    return heading.group(1), page


def test_a_programme_whose_money_is_all_in_one_past_year_opens_on_it(client, world):
    assert {allocation.financial_year for allocation in Allocation.objects.all()} == {FinancialYear(2015)}
    year, page = opened_on(client, world.users.officer)
    assert year == "2015-16"
    current = FinancialYear.of(timezone.localdate())
    assert (
        f"The dashboard opens on 2015-16, the latest financial year with money recorded: there is none in {current}"
        in page
    )
    assert 'href="/reports/spending/?financial_year=2015-16&amp;group=project"' in page


def test_a_later_payment_moves_the_opening_year_to_the_year_it_was_paid(world):
    Payment.objects.create(
        allocation=world.allocations["GB-LAE-DBY"], amount=Decimal("1000.00"), paid_on=dt.date(2017, 4, 1)
    )
    assert opening_year(world.users.officer, dt.date(2026, 12, 6))[0] == FinancialYear(2017)
    # On a day in 2016-17 a payment made in a later year is not yet there to count.
    assert opening_year(world.users.officer, dt.date(2016, 6, 1))[0] == FinancialYear(2015)


def test_a_programme_that_runs_now_opens_on_the_current_year(client, world):
    current = FinancialYear.of(timezone.localdate())
    Allocation.objects.create(
        grant=world.grant, recipient=world.derbyshire, financial_year=current, resource=Decimal("5000"), capital=0
    )
    # A later year's allocation does not pull the dashboard into the future.
    Allocation.objects.create(
        grant=world.grant, recipient=world.derbyshire, financial_year=current + 1, resource=Decimal("5000"), capital=0
    )
    year, page = opened_on(client, world.users.viewer)
    assert year == str(current)
    assert f"The dashboard opens on {current}, the current financial year." in page


def test_with_no_money_at_all_it_opens_on_the_current_year_and_says_why(db):
    officer = User.objects.create_user("officer", "officer@example.gov.uk", "x", role=Role.OFFICER)
    year, reason = opening_year(officer, dt.date(2026, 12, 6))
    assert year == FinancialYear(2026) and "no money has been recorded" in reason


def test_an_empty_chart_is_a_sentence_not_an_axis_of_pounds(client, world):
    empty = grouped_bar_chart("Money by year", ["2019-20"], [("Allocated", "#1d70b8", [Decimal("0")])])
    assert not empty.has_money
    assert grouped_bar_chart("Money", ["2015-16"], [("Allocated", "#1d70b8", [Decimal("1")])]).has_money
    client.force_login(world.users.officer)
    page = client.get("/reports/spending/", {"financial_year": "2030-31"}).content.decode()
    assert "there is no chart to draw" in page
    assert "<svg" not in page.split('id="chart-empty"')[0].split("By financial year")[-1]
    assert not re.search(r">£[0-4]</text>", page)
    page = client.get("/reports/spending/").content.decode()
    assert "<svg" in page and "there is no chart to draw" not in page


@pytest.mark.django_db
@override_settings(DEVELOPMENT=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_the_demo_programme_opens_on_its_latest_year_with_money(client):
    call_command("load_demo", stdout=io.StringIO())
    # Worked out here from the rows themselves: allocations by their year, payments by payment date.
    today = timezone.localdate()
    current = FinancialYear.of(today)
    latest_allocation = Allocation.objects.filter(
        Q(resource__gt=0) | Q(capital__gt=0), financial_year__lte=current
    ).aggregate(year=Max("financial_year"))["year"]
    last_paid = Payment.objects.filter(paid_on__lte=today).aggregate(last=Max("paid_on"))["last"]
    expected = max(latest_allocation, FinancialYear.of(last_paid))
    assert expected < current  # the demo's programme ended in 2020
    year, _ = opened_on(client, User.objects.filter(role=Role.OFFICER).first())
    assert year == str(expected)

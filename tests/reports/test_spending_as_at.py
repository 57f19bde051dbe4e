"""The spending report "as at" a day: every figure as recorded by the end of it.
Payments made and recorded by then, spend returns submitted by then (a later one
hides no earlier forecast), allocations and awards as their history had them
(those made later left out), and nothing from a financial year starting after the
day. The form's field and its messages; the day named on the page and in every
file; a fixed number of queries."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from openpyxl import load_workbook
from pypdf import PdfReader

from audit.models import DownloadRecord
from grants import money as money_module
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant
from tests.factories import GrantFactory, UserFactory
from tests.reports.conftest import Filters, backdate_history, check_every_grouping, params_for, report_for
from tests.reports.test_spending_speed import programme_of

D = Decimal
URL = reverse("reports:spending")


@pytest.mark.parametrize(
    "case",
    [
        Filters(as_at=dt.date(2015, 6, 30)),
        Filters(as_at=dt.date(2015, 12, 31)),
        Filters(as_at=dt.date(2016, 3, 31)),
        Filters(as_at=dt.date(2016, 12, 31)),
        Filters(as_at=dt.date(2017, 2, 2)),
        Filters(as_at=dt.date(2017, 2, 3)),
        Filters(as_at=dt.date(2019, 3, 31)),
        Filters(programme="p2", as_at=dt.date(2017, 6, 30)),
        Filters(organisation="northshire", year=2015, as_at=dt.date(2016, 1, 20)),
        Filters(year=2016, quarter=3, as_at=dt.date(2017, 1, 31)),
    ],
    ids=repr,
)
def test_every_grouping_as_at_a_day_matches_independent_sums_to_the_penny(money, case):
    check_every_grouping(money, case)


def test_a_payment_counts_from_the_day_it_was_recorded(money):
    """The charity's £100,000.10 paid on 15 January 2017 was recorded on 3 February 2017."""

    def paid(day):
        return report_for(money, Filters(organisation="charity", as_at=day)).totals.paid

    assert paid(dt.date(2017, 2, 3)) - paid(dt.date(2017, 2, 2)) == D("100000.10")
    assert paid(dt.date(2017, 2, 2)) == D("150000.15")


def test_a_return_submitted_later_hides_no_earlier_forecast(money):
    """The charity's 2016-17 allocation: its Q3 return (forecast £90,000.00) was submitted on 14 January 2017,
    its Q4 return (forecast £0.00, spent £60,000.60) on 14 April 2017."""
    before = report_for(money, Filters(organisation="charity", as_at=dt.date(2017, 3, 31))).totals
    assert (before.spent, before.forecast) == (D("100000.30") + D("50000.40") + D("40000.50"), D("90000.00"))
    after = report_for(money, Filters(organisation="charity", as_at=dt.date(2017, 4, 14))).totals
    assert (after.spent, after.forecast) == (before.spent + D("60000.60"), D("0.00"))


def test_allocations_and_awards_are_as_they_stood_on_the_day(money):
    """Changed and added today: the figures as at 2016 are those of 2016, today's are today's."""
    a5 = money.allocations["a5"]
    a5.resource = D("130000.12")
    a5.save()
    g1 = money.grants["g1"]
    g1.amount_awarded = D("1100000.00")
    g1.save()
    added = Allocation.objects.create(
        grant=money.grants["g2"],
        recipient=money.orgs["westham"],
        financial_year=FinancialYear(2015),
        resource=D("5000.00"),
    )
    money_module.refresh_balance(added.pk)
    then = report_for(money, Filters(as_at=dt.date(2016, 12, 31)), "organisation")
    rows = {row.labels[1]: row for row in then.rows()}
    assert "GB-LAE-WHM" not in rows  # Westham's 2015-16 allocation was made later
    assert rows["GB-LAE-NSH"].allocated == D("250000.20") + D("120000.12") + D("140000.13")
    assert then.totals.awarded == D("2600001.50")
    now = report_for(money, Filters(), "organisation")
    rows = {row.labels[1]: row for row in now.rows()}
    assert rows["GB-LAE-WHM"].allocated == D("60000.06") + D("5000.00")
    assert rows["GB-LAE-NSH"].allocated == D("250000.20") + D("130000.12") + D("140000.13")
    assert now.totals.awarded == D("2700001.50")


def test_allocations_for_a_later_year_add_nothing_to_the_variance(money):
    """As at 31 March 2016 only 2015-16's allocations count (a1, a2, a5): those for 2016-17 and 2017-18 are
    neither allocated nor unspent yet, so they are no underspend."""
    report = report_for(money, Filters(as_at=dt.date(2016, 3, 31)))
    totals = report.totals
    assert totals.allocated == D("100000.10") + D("250000.20") + D("120000.12")
    assert [row.labels[0] for row in report.years] == ["2015-16"]
    # Spent and forecast by then: a1's Q1 to Q3, a2's Q1 and Q2, a5's Q1 (its Q4 return came in April).
    assert totals.spent == D("20000.11") + D("25000.22") + D("15000.33") + D("50000.44") + D("60000.55") + D("10000.99")
    assert totals.forecast == D("20000.00") + D("100000.00") + D("90000.00")
    assert totals.variance == totals.allocated - totals.spent - totals.forecast == D("79997.78")
    assert report_for(money, Filters()).totals.allocated == D("1495001.22")  # today, every year


def test_a_grant_awarded_later_is_left_out(money):
    grant = GrantFactory(amount_awarded=D("123456.78"))
    backdate_history(Grant, dt.date(2017, 5, 1), id=grant.pk)
    assert report_for(money, Filters(as_at=dt.date(2017, 4, 30))).totals.awarded == D("2600001.50")
    assert report_for(money, Filters(as_at=dt.date(2017, 5, 1))).totals.awarded == D("2600001.50") + D("123456.78")


# --- The form ---------------------------------------------------------------------


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


@pytest.mark.parametrize(
    "value, message",
    [
        ("31/02/2016", "The “as at” date must be a real date"),
        ("yesterday", "The “as at” date must be a real date"),
        ("2016-13-01", "The “as at” date must be a real date"),
        ("x" * 500, "The “as at” date must be a real date"),
        ("31/03/1990", "The “as at” date must be on or after 1 April 1990"),
        ("01/01/0001", "The “as at” date must be on or after 1 April 1990"),
    ],
)
@pytest.mark.parametrize("file_format", ["", "csv"])
def test_a_bad_as_at_date_is_explained_and_nothing_is_shown_or_downloaded(client, money, value, message, file_format):
    response = get(client, money.users.officer, as_at=value, **({"format": file_format} if file_format else {}))
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "There is a problem" in page and message in page and 'id="id_as_at-error"' in page
    assert 'id="spending-table"' not in page
    assert not DownloadRecord.objects.exists()


def test_a_day_to_come_is_refused(client, money):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = get(client, money.users.officer, as_at=f"{tomorrow:%d/%m/%Y}")
    assert response.status_code == 400
    assert "The “as at” date must be today or in the past" in unescape(response.content.decode())


def test_today_is_allowed(client, money):
    response = get(client, money.users.officer, as_at=f"{timezone.localdate():%d/%m/%Y}")
    assert response.status_code == 200


def test_the_page_names_the_day_and_its_downloads_carry_it(client, money):
    params = params_for(Filters(year=2016, as_at=dt.date(2016, 12, 31)), money)
    page = unescape(get(client, money.users.officer, **params).content.decode())
    assert "Filtered to financial year 2016-17." in page
    assert "As at the end of 31 December 2016:" in page
    for box, value in (("day", 31), ("month", 12), ("year", 2016)):
        assert f'name="as_at-{box}" value="{value}"' in page
    for file_format in ("csv", "xlsx", "pdf"):
        assert f'href="{URL}?{urlencode({**params, "group": "project", "format": file_format})}"' in page


def test_every_file_names_the_day(client, money):
    client.force_login(money.users.finance)
    params = {**params_for(Filters(as_at=dt.date(2016, 12, 31)), money), "group": "financial_year"}

    response = client.get(URL, {**params, "format": "xlsx"})
    assert "spending-report-as-at-2016-12-31-" in response["Content-Disposition"]
    summary = {
        row[0]: row[1]
        for row in load_workbook(io.BytesIO(response.content))["Summary"].iter_rows(min_row=3, values_only=True)
    }
    assert summary["As at"] == "The end of 31 December 2016: the figures as recorded then"
    assert any(
        str(value).startswith("As at 31 December 2016: every figure is as recorded by the end of that day")
        for key, value in summary.items()
        if str(key).startswith("Note")
    )

    pdf = client.get(URL, {**params, "format": "pdf"}).content
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert "As at the end of Saturday 31 December 2016" in pages[0]
    text = re.sub(r"\s+", " ", " ".join(pages))
    assert "Allocations for financial years that start after 31 December 2016 are not counted" in text

    content = client.get(URL, {**params, "format": "csv"}).content.decode("utf-8")[1:]
    notes = [row[1] for row in csv.reader(io.StringIO(content)) if row and row[0] == "Note"]
    assert any(note.startswith("As at 31 December 2016") for note in notes)
    assert DownloadRecord.objects.filter(description__contains="as at 31 December 2016").count() == 3


# --- Queries ----------------------------------------------------------------------


def _programme_of(count):
    """``count`` projects, each a grant with two years of allocations, payments, a recovery and returns, their
    history dated 2015 and each allocation's balance kept; nothing invented."""
    programme_of(count, illustrative_from=count)


# The session and user, the row count and one page of rows with their figures (none for years and quarters,
# which are the three period queries the chart needs anyway), the programme list of the form, the totals, the
# three period queries, and the session saved.
# Each with the query that says whether the data has changed since the report was last worked out.
QUERIES = {"project": 13, "organisation": 13, "round": 13, "financial_year": 11, "quarter": 11}


def expected_queries(grouping, params):
    """With nothing cut off by a quarter or a day, spent by year comes from the kept balances: one query fewer,
    except by quarter, which needs the returns' quarters anyway. A page of projects, organisations or rounds
    has its rows' figures from one grouped query of their allocations and balances, and one more for the
    payments when a year or a day cuts them off, and one for the returns when a quarter or a day does."""
    cut_off = "as_at" in params or "quarter" in params
    paid_cut_off = cut_off or "financial_year" in params
    count = QUERIES[grouping] - (0 if cut_off or grouping == "quarter" else 1)
    if grouping in ("project", "organisation", "round"):
        count += 1 + paid_cut_off + cut_off
    return count


@pytest.mark.parametrize(
    "grouping, params",
    [
        ("project", {}),
        ("project", {"as_at": "31/12/2016"}),
        ("organisation", {"financial_year": "2016-17"}),
        ("organisation", {"as_at": "31/12/2016"}),
        ("round", {"financial_year": "2016-17", "quarter": "2", "as_at": "31/12/2016"}),
        ("financial_year", {"as_at": "31/12/2016"}),
        ("quarter", {"financial_year": "2016-17", "as_at": "31/12/2016"}),
    ],
    ids=repr,
)
def test_the_page_makes_the_same_few_queries_for_3_and_20_projects(
    client, db, django_assert_num_queries, grouping, params
):
    client.force_login(UserFactory(role="officer"))
    params = {**params, "group": grouping}
    _programme_of(3)
    client.get(URL, params)  # the first request of a session does its own bookkeeping
    cache.clear()  # counted as worked out, not as served from the cache
    with django_assert_num_queries(expected_queries(grouping, params)):
        assert client.get(URL, params).status_code == 200
    _programme_of(17)
    with django_assert_num_queries(expected_queries(grouping, params)):
        page = client.get(URL, params).content.decode()
    if grouping == "project":
        assert "20 rows" in page

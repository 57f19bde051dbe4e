"""The spending report page: who may read it, what it shows, bad filters, the
chart, and a query count that does not grow with the number of projects."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from audit.models import DownloadRecord
from grants.financial_year import FinancialYear
from tests.factories import AllocationFactory, GrantFactory, PaymentFactory, ProjectFactory, SpendReturnFactory
from tests.reports.conftest import Filters, expected, params_for

URL = reverse("reports:spending")


def money_text(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def table_body(page: str) -> str:
    return page[page.index('id="spending-table"') : page.index("</table>", page.index('id="spending-table"'))]


def footer(page: str) -> list[str]:
    foot = table_body(page)
    foot = foot[foot.index("<tfoot>") :]
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", foot, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


@pytest.mark.parametrize("persona", ["officer", "finance", "viewer", "admin"])
def test_the_funders_staff_and_viewers_read_the_report(client, money, persona):
    response = get(client, getattr(money.users, persona))
    assert response.status_code == 200
    assert "Spending report" in response.content.decode()


@pytest.mark.parametrize("persona", ["recipient", "evaluator"])
@pytest.mark.parametrize("file_format", ["", "csv", "xlsx", "pdf"])
def test_recipients_and_evaluators_are_refused_the_page_and_every_download(client, money, persona, file_format):
    response = get(client, getattr(money.users, persona), **({"format": file_format} if file_format else {}))
    assert response.status_code == 403
    assert b"Northshire" not in response.content
    assert not DownloadRecord.objects.exists()


def test_a_visitor_is_sent_to_sign_in(client, money):
    response = client.get(URL)
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]


@pytest.mark.parametrize(
    "case",
    [
        Filters(),
        Filters(organisation="northshire", year=2015),
        Filters(year=2016, quarter=3),
        Filters(programme="p2", authority_type="none"),
    ],
    ids=repr,
)
@pytest.mark.parametrize("grouping", ["project", "organisation", "financial_year", "quarter", "round"])
def test_the_page_shows_each_row_and_the_totals_to_the_penny(client, money, case, grouping):
    page = get(client, money.users.officer, group=grouping, **params_for(case, money)).content.decode()
    rows, totals = expected(case, grouping)
    body = table_body(page)
    for sums in rows.values():
        for name in ("paid", "spent"):
            assert money_text(sums[name]) in body
    variance = totals["allocated"] - totals["spent"] - totals["forecast"]
    cells = footer(page)
    assert cells[:7] == [
        cells[0],
        money_text(totals["awarded"]),
        money_text(totals["allocated"]),
        money_text(totals["paid"]),
        money_text(totals["spent"]),
        money_text(totals["forecast"]),
        money_text(variance),
    ]
    assert re.search(rf"{len(rows)} rows?\.", page)


def test_figures_that_do_not_apply_are_shown_as_a_dash_with_the_reason(client, money):
    page = get(client, money.users.officer, group="organisation").content.decode()
    first_row = table_body(page).split('<tr class="govuk-table__row">')[2]
    assert ">–</td>" in first_row  # awarded
    assert "an award belongs to a whole grant" in page
    page = get(client, money.users.officer, group="quarter").content.decode()
    assert "Allocations and forecasts are for a whole year" in page
    assert table_body(page).split('<tr class="govuk-table__row">')[2].count(">–</td>") == 6  # all but paid and spent
    assert "How these figures are worked out" in page


def test_the_page_names_the_filters_and_its_downloads_carry_them(client, money):
    params = params_for(Filters(organisation="northshire", year=2015, quarter=2), money)
    page = unescape(get(client, money.users.officer, group="round", **params).content.decode())
    assert (
        "Filtered to organisation Northshire County Council (GB-LAE-NSH), financial year 2015-16 at the end "
        "of Q2 (30 September 2015)." in page
    )
    for file_format in ("csv", "xlsx", "pdf"):
        link = f"{URL}?{urlencode({**params, 'group': 'round', 'format': file_format})}"
        assert f'href="{link}"' in page


def test_the_chart_is_an_svg_drawn_on_the_server_with_its_figures_in_a_table(client, money):
    page = get(client, money.users.officer).content.decode()
    svg = page[page.index("<svg xmlns") : page.index("</svg>", page.index("<svg xmlns"))]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "style=" not in page  # the Content Security Policy forbids inline styles
    assert "£0" in svg and "Allocated" in svg and "Paid" in svg and "Spent" in svg
    assert len(re.findall(r"<rect [^>]*height=", svg)) == 3 * 3 + 3  # a bar per year and series, and the legend
    rows, _ = expected(Filters(), "financial_year")
    figures = page[page.index('id="chart-figures"') : page.index("</table>", page.index('id="chart-figures"'))]
    for year, sums in rows.items():
        assert year in figures
        assert all(money_text(sums[name]) in figures for name in ("allocated", "paid", "spent"))


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"financial_year": "abcd"}, "financial_year", "Enter a financial year like 2016-17"),
        ({"financial_year": "2016-18"}, "financial_year", "Enter a financial year like 2016-17"),
        ({"financial_year": "2016-17", "quarter": "7"}, "quarter", "Choose a quarter from 1 to 4"),
        ({"quarter": "2"}, "quarter", "Enter a financial year to see the position at the end of one of its quarters"),
        ({"group": "colour"}, "group", "Choose to group by project, organisation, financial year, quarter or round"),
        ({"round": "two"}, "round", "Enter a round number, such as 2"),
        ({"round": "0"}, "round", "Enter a round number of 1 or more"),
        ({"programme": "99999"}, "programme", "Choose a programme from the list"),
        ({"programme": "x"}, "programme", "Choose a programme from the list"),
        ({"authority_type": "XX"}, "authority_type", "Choose an authority type from the list"),
        ({"project": "NOPE-1"}, "project", "No project has the reference “NOPE-1”"),
        ({"organisation": "Nowhere at all"}, "organisation", "No organisation matches “Nowhere at all”"),
        ({"organisation": "Council"}, "organisation", "More than one organisation matches “Council”"),
        ({"format": "docx"}, None, "Choose a download format: csv, xlsx or pdf"),
        ({"format": "csv", "quarter": "9"}, "quarter", "Choose a quarter from 1 to 4"),
    ],
)
def test_a_bad_filter_gets_a_clear_message_and_no_figures_or_download(client, money, params, field, message):
    response = get(client, money.users.officer, **params)
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "There is a problem" in page and message in page
    if field:
        assert f'id="id_{field}-error"' in page
    assert 'id="spending-table"' not in page
    assert not DownloadRecord.objects.exists()


def test_a_page_number_that_is_not_a_number_shows_the_first_page(client, money):
    assert get(client, money.users.officer, page="x").status_code == 200


@pytest.mark.parametrize("text", ["gb-lae-nsh", "Northshire County Council", "Northshire"])
def test_an_organisation_is_found_by_org_id_name_or_part_of_its_name(client, money, text):
    response = get(client, money.users.officer, organisation=text, group="organisation")
    assert response.status_code == 200
    page = response.content.decode()
    assert "GB-LAE-NSH" in table_body(page) and "GB-LAE-EBO" not in table_body(page)


def _programme_of(count):
    """``count`` projects, each a grant with two years of allocations, payments, a recovery and returns."""
    for _ in range(count):
        grant = GrantFactory(amount_awarded=Decimal("500000.00"))
        for year in (2015, 2016):
            allocation = AllocationFactory(grant=grant, financial_year=FinancialYear(year))
            PaymentFactory(allocation=allocation, amount=Decimal("1000.10"))
            PaymentFactory(allocation=allocation, kind="recovery", amount=Decimal("10.01"))
            SpendReturnFactory(allocation=allocation, quarter=1)
            SpendReturnFactory(allocation=allocation, quarter=2)


def _count(client, **params):
    cache.clear()  # counted as worked out, not as served from the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("grouping", ["project", "organisation", "financial_year", "quarter", "round"])
@pytest.mark.parametrize("file_format", ["", "xlsx", "csv"])
def test_the_query_count_is_the_same_for_5_and_50_projects(client, db, grouping, file_format):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="officer"))
    params = {"group": grouping, **({"format": file_format} if file_format else {})}
    _programme_of(5)
    assert ProjectFactory._meta.model.objects.count() == 5
    few = _count(client, **params)
    _programme_of(45)
    many = _count(client, **params)
    assert few == many
    # The session and user, a query per grouping in the file (two for quarters, and for projects, organisations
    # and rounds one more for their figures), the ledger's two, the record; the page, one more to say whether
    # the data has changed since it was last worked out; the workbook, one count of its ledger's lines, which
    # decides whether it is made in the request or by the worker.
    assert many <= {"": 13, "csv": 12, "xlsx": 19}[file_format]


def test_the_page_shows_50_rows_at_a_time_with_the_totals_of_all(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="viewer"))
    _programme_of(60)
    page = client.get(URL).content.decode()
    assert "60 rows, page 1 of 2" in page
    assert table_body(page).count('<th scope="row"') == 50 + 1
    assert "Total (every page)" in page
    assert footer(page)[2] == money_text(Decimal("100000.00") * 2 * 60)  # allocated, every page
    assert f'href="{URL}?group=project&amp;page=2#grouped"' in page
    second = client.get(URL, {"page": 2}).content.decode()
    assert table_body(second).count('<th scope="row"') == 10 + 1

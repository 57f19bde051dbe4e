"""The ledger read from plain database cursors (issue 17): the same bytes as the ledger built
from grants.ledger's lines always gave, the same order, the same scoping by user, in a number
of queries that does not grow with the ledger, on the page and in the file."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from downloads import ledger
from grants import money, services
from grants.financial_year import FinancialYear
from grants.ledger import ledger_lines
from grants.models import Allocation, Grant, Organisation, Payment, SpendReturn
from projects.models import Project

pytestmark = pytest.mark.django_db

# The file for the ``busy_ledger`` fixture, as the ledger made it before it read plain cursors:
# a spend return ahead of a payment of the same day, a recovery negative, text that a
# spreadsheet would take for a formula (a grant's title, a recipient's name, a reference)
# quoted, an invented payment marked, money to the penny on SQLite too.
EXPECTED_CSV = (
    "\ufeffDate,Kind,Project reference,Project,Grant,Recipient,Recipient org-id,Financial year,Quarter,"
    "Amount (£),Forecast for rest of year (£),Reference,Illustrative\r\n"
    "2015-04-01,Payment,R1-02,Kent family hubs,'@Kent hubs grant,'+Kent County Council,GB-LAE-KEN,"
    "2015-16,,25000.00,,'-KEN-1,Yes\r\n"
    "2015-06-01,Payment,R1-01,Reclaiming Social Work,Reclaiming Social Work,London Borough of Harrow,"
    "GB-LAE-HRW,2015-16,,12345.67,,'=HYPERLINK(evil),\r\n"
    "2015-06-30,Spend return,R1-02,Kent family hubs,'@Kent hubs grant,'+Kent County Council,GB-LAE-KEN,"
    "2015-16,Q1,7.50,100.00,,\r\n"
    "2015-06-30,Spend return,R1-01,Reclaiming Social Work,Reclaiming Social Work,Derbyshire County Council,"
    "GB-LAE-DBY,2015-16,Q1,10000.01,200000.00,,\r\n"
    "2015-06-30,Payment,R1-01,Reclaiming Social Work,Reclaiming Social Work,Morning Lane Associates,"
    "GB-COH-07000001,2015-16,,50000.00,,ML-1,\r\n"
    "2015-09-30,Spend return,R1-01,Reclaiming Social Work,Reclaiming Social Work,London Borough of Harrow,"
    "GB-LAE-HRW,2015-16,Q2,5000.50,0.00,,\r\n"
    "2015-10-01,Payment,R1-01,Reclaiming Social Work,Reclaiming Social Work,Derbyshire County Council,"
    "GB-LAE-DBY,2015-16,,50000.00,,,\r\n"
    "2016-02-01,Recovery,R1-01,Reclaiming Social Work,Reclaiming Social Work,London Borough of Harrow,"
    "GB-LAE-HRW,2015-16,,-345.67,,,\r\n"
    "2016-06-30,Spend return,R1-01,Reclaiming Social Work,Reclaiming Social Work,Derbyshire County Council,"
    "GB-LAE-DBY,2016-17,Q1,1.00,2.00,,\r\n"
)


@pytest.fixture
def busy_ledger(world):
    """Payments, a recovery and spend returns across two projects and two years."""
    officer, finance = world.users.officer, world.users.finance
    derbyshire, harrow = world.allocations["GB-LAE-DBY"], world.allocations["GB-LAE-HRW"]
    morning_lane, kent = world.allocations["GB-COH-07000001"], world.other_allocation
    Grant.objects.filter(pk=world.other_grant.pk).update(title="@Kent hubs grant")
    Organisation.objects.filter(pk=world.kent.pk).update(name="+Kent County Council")
    services.record_payment(
        allocation=kent, amount=Decimal("25000"), paid_on=dt.date(2015, 4, 1), by=finance, reference="-KEN-1"
    )
    Payment.objects.filter(reference="-KEN-1").update(illustrative=True)
    services.record_payment(
        allocation=harrow,
        amount=Decimal("12345.67"),
        paid_on=dt.date(2015, 6, 1),
        by=finance,
        reference="=HYPERLINK(evil)",
    )
    # Paid on the last day of Q1: after that quarter's spend returns in the ledger.
    services.record_payment(
        allocation=morning_lane, amount=Decimal("50000"), paid_on=dt.date(2015, 6, 30), by=finance, reference="ML-1"
    )
    services.record_payment(allocation=derbyshire, amount=Decimal("50000"), paid_on=dt.date(2015, 10, 1), by=finance)
    services.record_recovery(
        allocation=harrow,
        amount=Decimal("345.67"),
        paid_on=dt.date(2016, 2, 1),
        by=officer,
        reason="Underspend",
        recovery_reason="underspend_returned",
    )
    next_year = Allocation.objects.create(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=FinancialYear(2016),
        resource=Decimal("1000.00"),
        capital=Decimal("0"),
    )
    for allocation, quarter, spent, forecast in (
        (next_year, 1, "1.00", "2.00"),
        (harrow, 2, "5000.50", "0.00"),
        (kent, 1, "7.50", "100.00"),
        (derbyshire, 1, "10000.01", "200000.00"),
    ):
        SpendReturn.objects.create(
            allocation=allocation, quarter=quarter, spent=Decimal(spent), forecast=Decimal(forecast)
        )
    for allocation in Allocation.objects.all():  # the returns were written around the services
        money.refresh_balance(allocation.pk)
    return world


def csv_of(rows) -> str:
    return "".join(ledger.stream_csv(rows))


def test_the_csv_is_byte_for_byte_the_file_the_ledger_always_made(busy_ledger):
    assert csv_of(ledger.ledger_rows(busy_ledger.users.officer)) == EXPECTED_CSV


def test_its_rows_are_grants_ledger_lines_in_grants_ledger_order(busy_ledger):
    """The order every reader of the ledger shares (grants.ledger), and the same figures."""
    rows = list(ledger.ledger_rows(busy_ledger.users.officer))
    lines = list(ledger_lines(Payment.objects.all(), SpendReturn.objects.all()))
    assert [(row[0], row[1], row[5]) for row in rows] == [(line.date, line.kind, line.recipient_name) for line in lines]
    assert [row[9] for row in rows] == [line.spent if line.paid is None else line.paid for line in lines]
    assert all(isinstance(row[9], Decimal) and row[9].as_tuple().exponent == -2 for row in rows)


def test_rows_checked_one_by_one_make_the_same_file(busy_ledger):
    """Any rows (a list, say) are made safe line by line; the ledger's own rows once per grant
    and recipient. Both give the same file, and the rows themselves keep the text as typed."""
    rows = list(ledger.ledger_rows(busy_ledger.users.officer))
    assert csv_of(rows) == EXPECTED_CSV
    assert rows[0][4:6] == ("@Kent hubs grant", "+Kent County Council")
    assert rows[1][11] == "=HYPERLINK(evil)"


def test_the_background_file_is_the_streamed_file(busy_ledger):
    out = io.StringIO()
    written = []
    ledger.write_csv(out, ledger.ledger_rows(busy_ledger.users.officer), progress=written.append)
    assert out.getvalue() == EXPECTED_CSV
    assert written == [9]


def test_the_download_sends_the_same_bytes_in_a_few_large_pieces(client, busy_ledger):
    client.force_login(busy_ledger.users.officer)
    response = client.get(reverse("downloads:ledger-csv"))
    pieces = list(response.streaming_content)
    assert b"".join(pieces) == EXPECTED_CSV.encode("utf-8")
    assert len(pieces) == 1  # a block for the whole small file, not one a line


@pytest.mark.parametrize(
    ("persona", "recipients"),
    [
        # A partner council sees its own allocations' lines only.
        ("harrow", {"London Borough of Harrow"}),
        ("derbyshire", {"Derbyshire County Council"}),
        # The lead organisation sees every line of the projects it leads.
        (
            "morninglane",
            {"Morning Lane Associates", "Derbyshire County Council", "London Borough of Harrow"},
        ),
        ("kent", {"+Kent County Council"}),
        ("outsider", set()),
    ],
)
def test_each_council_gets_the_lines_of_its_own_allocations_only(busy_ledger, persona, recipients):
    user = getattr(busy_ledger.users, persona)
    rows = list(ledger.ledger_rows(user))
    assert {row[5] for row in rows} == recipients
    visible = Allocation.objects.for_user(user)
    expected = (
        Payment.objects.filter(allocation__in=visible).count()
        + SpendReturn.objects.filter(allocation__in=visible).count()
    )
    assert len(rows) == expected == ledger.ledger_size(user)
    # The same lines as the officer's file, in the same order.
    everyone = [row for row in ledger.ledger_rows(busy_ledger.users.officer) if row[5] in recipients]
    assert rows == everyone


def test_the_size_is_every_line_for_the_whole_programme(busy_ledger):
    assert (
        ledger.ledger_size(busy_ledger.users.officer) == 9 == len(list(ledger.ledger_rows(busy_ledger.users.officer)))
    )
    assert ledger.ledger_size(busy_ledger.users.evaluator) == 0


def add_lines(world):
    """Three more payments and three more spend returns, on Kent's allocation."""
    kent = world.other_allocation
    for day in (2, 3, 4):
        services.record_payment(
            allocation=kent, amount=Decimal("1.00"), paid_on=dt.date(2016, 1, day), by=world.users.finance
        )
    for quarter in (2, 3, 4):
        SpendReturn.objects.create(allocation=kent, quarter=quarter, spent=Decimal("1"), forecast=Decimal("0"))
    money.refresh_balance(kent.pk)


def queries_of(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


@pytest.mark.parametrize("persona", ["officer", "kent"])
def test_the_files_queries_do_not_grow_with_the_ledger(client, busy_ledger, persona):
    user = getattr(busy_ledger.users, persona)
    client.force_login(user)
    url = reverse("downloads:ledger-csv")

    def download():
        assert b"".join(client.get(url).streaming_content)

    few = queries_of(download)
    rows = len(list(ledger.ledger_rows(user)))
    add_lines(busy_ledger)
    assert len(list(ledger.ledger_rows(user))) == rows + 6
    assert queries_of(download) == few


@pytest.mark.parametrize("persona", ["officer", "kent"])
def test_the_ledger_page_counts_in_the_same_queries_however_long_the_ledger(client, busy_ledger, persona):
    client.force_login(getattr(busy_ledger.users, persona))
    url = reverse("downloads:ledger")
    few = queries_of(lambda: client.get(url))
    add_lines(busy_ledger)
    page = client.get(url).content.decode()
    assert queries_of(lambda: client.get(url)) == few
    size = ledger.ledger_size(getattr(busy_ledger.users, persona))
    assert f"{size:,} line" in page


def test_the_excel_file_keeps_the_text_as_typed_and_the_figures_as_numbers(client, busy_ledger):
    client.force_login(busy_ledger.users.officer)
    response = client.get(reverse("downloads:ledger-xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Ledger"]
    assert sheet.auto_filter.ref == "A1:M10"
    first = [cell.value for cell in sheet[2]]
    assert first[:2] == [dt.datetime(2015, 4, 1), "Payment"]
    assert first[4:6] == ["@Kent hubs grant", "+Kent County Council"]
    assert first[9] == pytest.approx(25000) and first[11] == "-KEN-1" and first[12] == "Yes"
    assert sheet["L3"].value == "=HYPERLINK(evil)" and sheet["L3"].data_type == "s"
    assert [cell.value for cell in sheet[10]][:2] == [dt.datetime(2016, 6, 30), "Spend return"]


def test_a_project_s_title_that_looks_like_a_formula_is_quoted_once_per_line(busy_ledger):
    Project.objects.filter(pk=busy_ledger.project.pk).update(title="=SUM(A1)")
    text = csv_of(ledger.ledger_rows(busy_ledger.users.officer))
    assert text.count(",'=SUM(A1),") == 7
    assert "''" not in text


def test_the_ledger_page_counts_only_as_far_as_the_largest_limit(client, busy_ledger, settings):
    """Past the largest in-request limit every format is made in the background, so the page stops counting
    there (a national ledger is near a million lines) and says "more than"; the download still counts all."""
    officer = busy_ledger.users.officer
    client.force_login(officer)
    url = reverse("downloads:ledger")
    whole = ledger.ledger_size(officer)
    assert whole == 9
    assert ledger.ledger_size(officer, at_most=whole) == whole
    assert ledger.ledger_size(officer, at_most=4) == 5  # payments and returns each counted to 5 at most

    settings.EXPORT_IN_REQUEST_ROWS = {**settings.EXPORT_IN_REQUEST_ROWS, "csv": 4, "xlsx": 3}
    page = client.get(url).content.decode()
    assert "you can see: more than 4 lines." in page
    assert page.count("(made in the background: you will see its progress)") == 2

    settings.EXPORT_IN_REQUEST_ROWS = {**settings.EXPORT_IN_REQUEST_ROWS, "csv": 9, "xlsx": 3}
    page = client.get(url).content.decode()
    assert "you can see: 9 lines." in page
    assert page.count("(made in the background: you will see its progress)") == 1

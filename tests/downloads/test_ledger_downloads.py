"""The ledger download: streamed in the request when it is small, made by the
background worker when it is large, the same file either way, and private to
the user who asked."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from downloads.models import ExportJob
from grants import money, services
from grants.models import Allocation, SpendReturn
from projects.services import review_milestone, submit_milestone

pytestmark = pytest.mark.django_db

PAID_ON = dt.date(2015, 10, 1)


@pytest.fixture
def ledger_world(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    derbyshire = world.allocations["GB-LAE-DBY"]
    harrow = world.allocations["GB-LAE-HRW"]
    submit_milestone(milestone=world.derbyshire_milestone, by=world.users.derbyshire, narrative="Done")
    review_milestone(milestone=world.derbyshire_milestone, by=world.users.officer, decision="accepted")
    services.pay_milestone(milestone=world.derbyshire_milestone, paid_on=PAID_ON, by=world.users.finance)
    services.record_payment(
        allocation=harrow,
        amount=Decimal("12345.67"),
        paid_on=dt.date(2015, 6, 1),
        by=world.users.finance,
        reference="=HYPERLINK(evil)",
    )
    services.record_recovery(
        allocation=harrow,
        amount=Decimal("345.67"),
        paid_on=dt.date(2016, 2, 1),
        by=world.users.finance,
        reason="Underspend",
        recovery_reason="underspend_returned",
    )
    SpendReturn.objects.create(
        allocation=derbyshire, quarter=1, spent=Decimal("10000.01"), forecast=Decimal("200000.00")
    )
    SpendReturn.objects.create(allocation=harrow, quarter=2, spent=Decimal("5000.50"), forecast=Decimal("0.00"))
    for allocation in (derbyshire, harrow):  # the returns were written around the services
        money.refresh_balance(allocation.pk)
    return world


def csv_rows(content: bytes):
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_officer_s_csv_lists_every_payment_recovery_and_return_to_the_penny(client, ledger_world):
    client.force_login(ledger_world.users.officer)
    response = client.get(reverse("downloads:ledger-csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-')
    header, *rows = csv_rows(streamed(response))
    assert header[:3] == ["Date", "Kind", "Project reference"]
    # One ledger order for every reader (grants.ledger): by date, a return dated by its quarter's end.
    lines = [(row[0], row[1], row[5], row[9]) for row in rows]
    assert lines == [
        ("2015-06-01", "Payment", "London Borough of Harrow", "12345.67"),
        ("2015-06-30", "Spend return", "Derbyshire County Council", "10000.01"),
        ("2015-09-30", "Spend return", "London Borough of Harrow", "5000.50"),
        (PAID_ON.isoformat(), "Payment", "Derbyshire County Council", "50000.00"),
        ("2016-02-01", "Recovery", "London Borough of Harrow", "-345.67"),
    ]
    assert rows[1][8] == "Q1" and rows[1][10] == "200000.00"
    # A reference that looks like a formula is written as text.
    assert rows[0][11] == "'=HYPERLINK(evil)"


def test_the_ledgers_lines_add_up_to_the_net_paid_and_spent_every_page_shows(client, ledger_world):
    client.force_login(ledger_world.users.officer)
    _, *rows = csv_rows(streamed(client.get(reverse("downloads:ledger-csv"))))
    paid = sum(Decimal(row[9]) for row in rows if row[1] in ("Payment", "Recovery"))
    spent = sum(Decimal(row[9]) for row in rows if row[1] == "Spend return")
    totals = money.totals(Allocation.objects.all())
    assert (paid, spent) == (totals.net_paid, totals.spent) == (Decimal("62000.00"), Decimal("15000.51"))


def test_the_ledgers_queries_do_not_grow_with_its_lines(client, ledger_world, django_assert_num_queries):
    client.force_login(ledger_world.users.officer)
    url = reverse("downloads:ledger-csv")
    with CaptureQueriesContext(connection) as few:
        streamed(client.get(url))
    for _ in range(10):
        services.record_payment(
            allocation=ledger_world.other_allocation,
            amount=Decimal("1.00"),
            paid_on=PAID_ON,
            by=ledger_world.users.finance,
        )
    with django_assert_num_queries(len(few)):
        streamed(client.get(url))


def test_a_partner_council_gets_its_own_lines_only(client, ledger_world):
    client.force_login(ledger_world.users.harrow)
    _, *rows = csv_rows(streamed(client.get(reverse("downloads:ledger-csv"))))
    assert {row[5] for row in rows} == {"London Borough of Harrow"}
    assert len(rows) == 3


def test_the_excel_ledger_keeps_numbers_dates_and_formats(client, ledger_world):
    client.force_login(ledger_world.users.officer)
    response = client.get(reverse("downloads:ledger-xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Ledger"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:M6"
    assert [cell.value for cell in sheet[1]][:2] == ["Date", "Kind"]
    first = sheet[2]
    assert first[0].value == dt.datetime(2015, 6, 1) and first[0].number_format == "dd/mm/yyyy"
    assert first[9].value == Decimal("12345.67") or first[9].value == pytest.approx(12345.67)
    assert first[9].number_format == '"£"#,##0.00'
    assert first[11].value == "=HYPERLINK(evil)" and first[11].data_type == "s"
    recovery = sheet[6]  # the last line: recovered on 1 February 2016
    assert recovery[1].value == "Recovery" and recovery[9].value == pytest.approx(-345.67)


# The worker closes its database connection between tasks, as a real worker does, so
# these tests commit instead of running inside one rolled-back transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_large_ledger_is_made_in_the_background_and_equals_the_streamed_one(
    client, ledger_world, settings, extension
):
    officer = ledger_world.users.officer
    client.force_login(officer)
    in_request = client.get(reverse(f"downloads:ledger-{extension}"))
    direct = b"".join(in_request.streaming_content)

    settings.EXPORT_IN_REQUEST_ROWS = {"csv": 2, "xlsx": 2}
    response = client.get(reverse(f"downloads:ledger-{extension}"))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("downloads:job", kwargs={"job_pk": job.pk})
    assert (job.user, job.status, job.rows_total) == (officer, "queued", 5)

    waiting = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in waiting and "0 of 5 lines written" in waiting
    # Asking again while it waits does not queue a second job.
    client.get(reverse(f"downloads:ledger-{extension}"))
    assert ExportJob.objects.count() == 1

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.rows_written) == ("done", 5)
    ready = client.get(reverse("downloads:job", kwargs={"job_pk": job.pk})).content.decode()
    assert "Your file is ready" in ready and 'http-equiv="refresh"' not in ready
    made = b"".join(client.get(reverse("downloads:job-file", kwargs={"job_pk": job.pk})).streaming_content)
    if extension == "csv":
        assert csv_rows(made) == csv_rows(direct)
    else:
        ours, theirs = load_workbook(io.BytesIO(made))["Ledger"], load_workbook(io.BytesIO(direct))["Ledger"]
        assert [[c.value for c in row] for row in ours.iter_rows()] == [
            [c.value for c in row] for row in theirs.iter_rows()
        ]


@pytest.mark.django_db(transaction=True)
def test_a_background_download_is_refused_to_another_user(client, ledger_world, settings):
    settings.EXPORT_IN_REQUEST_ROWS = {"csv": 0, "xlsx": 0}
    client.force_login(ledger_world.users.officer)
    client.get(reverse("downloads:ledger-csv"))
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job = ExportJob.objects.get(status="done")
    for other in (ledger_world.users.finance, ledger_world.users.derbyshire):
        client.force_login(other)
        assert client.get(reverse("downloads:job", kwargs={"job_pk": job.pk})).status_code == 404
        assert client.get(reverse("downloads:job-file", kwargs={"job_pk": job.pk})).status_code == 404
    client.force_login(ledger_world.users.officer)
    assert client.get(reverse("downloads:job-file", kwargs={"job_pk": job.pk})).status_code == 200


def test_evaluators_have_no_ledger(client, ledger_world):
    client.force_login(ledger_world.users.evaluator)
    assert client.get(reverse("downloads:ledger-csv")).status_code == 403

"""The programme board pack's page: who may download the PDF (and that the download is
recorded), the date form and its errors, and a query count that does not grow with the
number of projects. What the pack says is tests/reports/test_board_pack.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import DownloadRecord
from grants.models import Allocation, Grant, Payment
from projects.models import Project
from reports.board_pack import board_pack_context
from tests.factories import (
    AllocationFactory,
    EvaluationFactory,
    EvidenceRatingFactory,
    GrantFactory,
    MilestoneFactory,
    OutcomeResultFactory,
    PaymentFactory,
    ProjectFactory,
    SpendReturnFactory,
)
from tests.reports.board_pack_setup import AS_AT, history, pack, pdf_pages  # noqa: F401 (pack: the fixture)
from tests.reports.conftest import at_noon, backdate_history

D = Decimal
URL = reverse("reports:board-pack")


def download(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


# --- The page ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer", "finance", "viewer", "admin"])
def test_funder_staff_download_the_pdf_and_the_download_is_recorded(client, pack, persona):
    user = getattr(pack.users, persona)
    response = download(client, user, date="31/12/2016")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="board-pack-2016-12-31.pdf"'
    assert "31 December 2016" in pdf_pages(response.content)[0]
    record = DownloadRecord.objects.get()
    assert record.user == user and record.kind == DownloadRecord.Kind.EXPORT
    assert record.description == "Programme board pack as at 31 December 2016 (PDF)"


def test_the_form_offers_today(client, pack):
    response = download(client, pack.users.officer)
    assert response.status_code == 200
    page = response.content.decode()
    today = timezone.localdate()
    assert "Programme board pack" in page
    for box, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        assert f'name="date-{box}" value="{value}"' in page
    assert not DownloadRecord.objects.exists()


@pytest.mark.parametrize("persona", ["recipient", "evaluator"])
def test_recipients_and_evaluators_are_refused(client, pack, persona):
    response = download(client, getattr(pack.users, persona), date="31/12/2016")
    assert response.status_code == 403
    assert not DownloadRecord.objects.exists()


def test_a_visitor_is_sent_to_sign_in(client, pack):
    response = client.get(URL, {"date": "31/12/2016"})
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "Enter the date of the board pack"),
        ("31/02/2016", "The date of the board pack must be a real date"),
        ("tomorrow", "The date of the board pack must be a real date"),
        ("2016-13-01", "The date of the board pack must be a real date"),
        ("31/03/1990", "The date of the board pack must be on or after 1 April 1990"),
        ("01/01/0001", "The date of the board pack must be on or after 1 April 1990"),
        ("x" * 500, "The date of the board pack must be a real date"),
    ],
)
def test_a_bad_date_is_explained_and_nothing_is_downloaded(client, pack, value, message):
    response = download(client, pack.users.officer, date=value)
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'")
    assert "There is a problem" in page and message in page
    assert not DownloadRecord.objects.exists()


def test_a_future_date_is_refused(client, pack):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = download(client, pack.users.officer, date=f"{tomorrow:%d/%m/%Y}")
    assert response.status_code == 400
    assert "The date of the board pack must be today or in the past" in response.content.decode()


def test_today_is_allowed(client, pack):
    response = download(client, pack.users.viewer, date=f"{timezone.localdate():%d/%m/%Y}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_a_post_is_not_allowed(client, pack):
    client.force_login(pack.users.officer)
    assert client.post(URL, {"date": "31/12/2016"}).status_code == 405


# --- Query count ---------------------------------------------------------------------


def add_projects(count: int, funding_round):
    """Projects with every kind of row the pack reads: money (with a payment over its allocation,
    a discrepancy), milestones overdue and accepted with history, a RAG rating and a rated result."""
    for _ in range(count):
        project = ProjectFactory(
            programme=funding_round.programme, rag="red", rag_reason="Behind", status=Project.Status.ACTIVE
        )
        allocation = AllocationFactory(grant=GrantFactory(project=project, round=funding_round), financial_year=2016)
        for model, pk in ((Project, project.pk), (Grant, allocation.grant_id), (Allocation, allocation.pk)):
            backdate_history(model, dt.date(2016, 1, 1), id=pk)
        PaymentFactory(
            allocation=allocation,
            amount=D("150000.00"),
            paid_on=dt.date(2016, 5, 1),
            recorded_at=at_noon(dt.date(2016, 5, 1)),
        )
        Payment.objects.create(
            allocation=allocation,
            kind="recovery",
            amount=D("1.00"),
            paid_on=dt.date(2016, 6, 1),
            recovery_reason="overpayment",
            recorded_at=at_noon(dt.date(2016, 6, 1)),
        )
        SpendReturnFactory(allocation=allocation, quarter=1, submitted_at=at_noon(dt.date(2016, 7, 10)))
        MilestoneFactory(project=project, due_date=dt.date(2016, 6, 1))
        history(
            MilestoneFactory(project=project, due_date=dt.date(2016, 6, 1), status="accepted"),
            ("", "planned", dt.date(2015, 1, 1)),
            ("planned", "submitted", dt.date(2016, 5, 1)),
            ("submitted", "accepted", dt.date(2017, 1, 2)),
        )
        evaluation = EvaluationFactory(projects=[project])
        EvidenceRatingFactory(evaluation=evaluation)
        OutcomeResultFactory(
            evaluation=evaluation,
            followup_value=D("30"),
            followup_period_start=dt.date(2016, 4, 1),
            followup_period_end=dt.date(2017, 3, 31),
        )


def queries_for_download(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"date": "31/12/2016"})
    assert response.status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_number_of_projects(client, pack):
    funding_round = pack.rounds["p1r1"]
    add_projects(1, funding_round)
    small = queries_for_download(client, pack.users.officer)
    add_projects(6, funding_round)
    large = queries_for_download(client, pack.users.officer)
    assert small == large
    context = board_pack_context(AS_AT)
    assert len(context["overdue"]) == 2 + 7  # the accepted ones were awaiting review on the day
    assert len(context["awaiting_review"]) == 1 + 7
    assert len(context["rag_groups"][0].projects) == 1 + 7
    # Each added grant's allocation was overpaid on the day: its discrepancies are there as at it.
    assert len(context["discrepancies"]) > 7

"""Importing quarterly spend returns: a recipient for its own allocations only, new
returns through submit_spend_return and corrections through amend_spend_return."""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from grants.financial_year import FinancialYear
from grants.models import Allocation, SpendReturn
from grants.spend_returns import review_spend_return, submit_spend_return
from imports.models import ImportBatch
from imports.spend_returns import SpendReturnImport
from tests.imports.files import fill, problems_text, snapshot, template, upload, workbook_bytes

pytestmark = pytest.mark.django_db
UPLOAD = "imports:spend-returns-upload"


def gid(grant):
    return f"360G-{settings.THREESIXTYGIVING_PREFIX}-{grant.pk}"


def send(client, book, name="returns.xlsx", query=""):
    return client.post(reverse(UPLOAD) + query, {"file": upload(workbook_bytes(book), name)})


def confirm(client, response):
    assert response.status_code == 302, getattr(response, "context", {}) and problems_text(response)
    batch = ImportBatch.objects.latest("pk")
    return client.post(reverse("imports:batch-confirm", kwargs={"token": batch.token}))


def test_a_recipients_template_has_a_row_per_own_allocation_and_begun_quarter(client, world):
    submit_spend_return(
        allocation=world.allocations["GB-LAE-DBY"],
        by=world.users.derbyshire,
        quarter=1,
        spent=D("1234.56"),
        forecast=D("20000.00"),
        comment="Slow start",
    )
    client.force_login(world.users.derbyshire)
    response = client.get(reverse("imports:spend-returns-template"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Instructions", "Spend returns", "Lists"]
    rows = [tuple(c.value for c in row) for row in book["Spend returns"].iter_rows(min_row=2)]
    grant = gid(world.grant)
    assert rows == [
        (grant, "Derbyshire County Council", "2015-16", "Q1", 1234.56, 20000, "Slow start"),
        (grant, "Derbyshire County Council", "2015-16", "Q2", None, None, None),
        (grant, "Derbyshire County Council", "2015-16", "Q3", None, None, None),
        (grant, "Derbyshire County Council", "2015-16", "Q4", None, None, None),
    ]
    lists = book["Lists"]
    assert [c.value for c in lists["A"] if c.value] == ["Grants", grant]
    # Only Derbyshire's own organisation, not its partners in the project.
    assert [c.value for c in lists["B"] if c.value] == ["Organisations", "Derbyshire County Council"]
    assert [c.value for c in lists["C"] if c.value] == ["Financial years", "2015-16"]
    assert [c.value for c in lists["D"] if c.value] == ["Quarters", "Q1", "Q2", "Q3", "Q4"]
    instructions = [c.value for c in book["Instructions"]["A"] if c.value]
    assert (
        "Use this workbook to send quarterly spend returns for the allocations of Derbyshire County Council."
        in instructions
    )
    assert grant in [c.value for c in book["Instructions"]["A"]]


def test_a_recipient_imports_new_and_corrected_returns_to_the_penny(client, world):
    allocation = world.allocations["GB-LAE-DBY"]
    submit_spend_return(
        allocation=allocation, by=world.users.derbyshire, quarter=1, spent=D("1000.00"), forecast=D("20000.00")
    )
    client.force_login(world.users.derbyshire)
    book = template(SpendReturnImport(world.users.derbyshire))
    sheet = book["Spend returns"]
    sheet["E2"], sheet["F2"], sheet["G2"] = 1000.1, 19999.9, "Corrected"  # Q1 amended
    sheet["E3"], sheet["F3"] = 2345.67, 15000  # Q2 new
    sheet["E4"], sheet["F4"] = 0, 0  # Q3 new, nothing spent
    # Q4 left without figures: left out.
    response = send(client, book)
    preview = client.get(response["Location"])
    page = preview.content.decode()
    assert "Spent: £1,000.00 → <strong>£1,000.10</strong>" in page
    assert "Forecast: £20,000.00 → <strong>£19,999.90</strong>" in page
    assert preview.context["outcome"].skipped == 1
    assert SpendReturn.objects.count() == 1

    confirm(client, response)
    returns = {r.quarter: (r.spent, r.forecast, r.comment, r.submitted_by) for r in allocation.spend_returns.all()}
    user = world.users.derbyshire
    assert returns == {
        1: (D("1000.10"), D("19999.90"), "Corrected", user),
        2: (D("2345.67"), D("15000.00"), "", user),
        3: (D("0.00"), D("0.00"), "", user),
    }
    assert ImportBatch.objects.get().rows_new == 2


def test_amounts_typed_as_text_are_read_as_a_form_reads_them(client, world):
    client.force_login(world.users.derbyshire)
    book = template(SpendReturnImport(world.users.derbyshire))
    sheet = book["Spend returns"]
    sheet["E2"], sheet["F2"] = "£1,234.50", " 25,000 "
    confirm(client, send(client, book))
    spend_return = world.allocations["GB-LAE-DBY"].spend_returns.get()
    assert (spend_return.quarter, spend_return.spent, spend_return.forecast) == (1, D("1234.50"), D("25000.00"))


def test_a_recipient_cannot_import_a_row_for_another_organisations_allocation(client, world):
    """Morning Lane leads the project and sees Harrow's allocation, but accounts only for its own."""
    client.force_login(world.users.morninglane)
    book = template(SpendReturnImport(world.users.morninglane))
    fill(
        book,
        "Spend returns",
        [
            (gid(world.grant), "Morning Lane Associates", "2015-16", "Q1", 10, 10, None),
            (gid(world.grant), "London Borough of Harrow", "2015-16", "Q1", 10, 10, None),
            (gid(world.other_grant), "Kent County Council", "2015-16", "Q1", 10, 10, None),
        ],
    )
    before = snapshot()
    response = send(client, book)
    assert response.status_code == 400
    text = problems_text(response)
    assert (
        "row 3, column B (Organisation): You can send spend returns only for Morning Lane Associates's own "
        "allocations; this row is for London Borough of Harrow"
    ) in text
    assert f"row 4, column A (Grant): “{gid(world.other_grant)}” is not a grant you can send spend returns for" in text
    assert snapshot() == before


def test_a_reviewed_return_cannot_be_changed_and_the_whole_file_is_refused(client, world):
    allocation = world.allocations["GB-LAE-DBY"]
    reviewed = submit_spend_return(
        allocation=allocation, by=world.users.derbyshire, quarter=1, spent=D("500.00"), forecast=D("100.00")
    )
    review_spend_return(spend_return=reviewed, by=world.users.officer)
    client.force_login(world.users.derbyshire)
    book = template(SpendReturnImport(world.users.derbyshire))
    sheet = book["Spend returns"]
    sheet["E2"] = 600  # the reviewed Q1
    sheet["E3"], sheet["F3"] = 10, 10  # a good new Q2
    before = snapshot()
    response = send(client, book)
    assert "row 2, column E (Spent in the quarter (£)): This return has been reviewed" in problems_text(response)
    assert snapshot() == before


def test_a_quarter_that_has_not_begun_is_refused_by_the_service(client, world):
    next_year = FinancialYear.of(timezone.localdate()) + 1
    Allocation.objects.create(
        grant=world.grant, recipient=world.derbyshire, financial_year=next_year, resource=D("1000.00")
    )
    client.force_login(world.users.derbyshire)
    book = template(SpendReturnImport(world.users.derbyshire))
    fill(book, "Spend returns", [(gid(world.grant), "Derbyshire County Council", str(next_year), "Q1", 0, 1000, None)])
    before = snapshot()
    response = send(client, book)
    assert f"column D (Quarter): {next_year} Q1 has not started yet" in problems_text(response)
    assert snapshot() == before


def test_an_officer_imports_returns_a_council_sent_in_and_is_named_as_submitter(client, world):
    """A council may send its figures to the programme team; the officer's import records
    them through the same service, naming the officer as who submitted them."""
    client.force_login(world.users.officer)
    response = client.get(reverse("imports:spend-returns-template") + f"?grant={world.grant.pk}")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    organisations = [c.value for c in book["Lists"]["B"] if c.value]
    assert organisations == [
        "Organisations",
        "Derbyshire County Council",
        "London Borough of Harrow",
        "Morning Lane Associates",
    ]
    fill(book, "Spend returns", [(gid(world.grant), "London Borough of Harrow", "2015-16", "Q1", 10.01, 10, None)])
    confirm(client, send(client, book, query=f"?grant={world.grant.pk}"))
    saved = SpendReturn.objects.get(allocation=world.allocations["GB-LAE-HRW"], quarter=1)
    assert (saved.spent, saved.forecast, saved.submitted_by) == (D("10.01"), D("10.00"), world.users.officer)


@pytest.mark.parametrize("persona", ["finance", "viewer", "evaluator"])
def test_finance_viewers_and_evaluators_cannot_import_returns(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(reverse(UPLOAD)).status_code == 403
    assert client.get(reverse("imports:spend-returns-template")).status_code == 403


def test_a_template_for_a_grant_outside_the_users_scope_is_not_found(client, world):
    client.force_login(world.users.derbyshire)
    assert client.get(reverse("imports:spend-returns-template") + f"?grant={world.other_grant.pk}").status_code == 404
    assert client.get(reverse("imports:spend-returns-template") + "?grant=x").status_code == 404

"""Importing a grant's allocations: the template, the preview with old → new, and
the confirmation writing every row through grants.services, or none."""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse

from audit.models import DownloadRecord
from grants.financial_year import FinancialYear
from grants.models import Allocation, Payment, Variation
from imports.allocations import AllocationImport
from imports.models import ImportBatch
from tests.imports.files import fill, problems_text, snapshot, template, upload, workbook_bytes

pytestmark = pytest.mark.django_db


def upload_url(world):
    return reverse("imports:allocations-upload", kwargs={"grant_pk": world.grant.pk})


def send(client, world, workbook, name="allocations.xlsx"):
    return client.post(upload_url(world), {"file": upload(workbook_bytes(workbook), name)})


def test_the_template_lists_the_grants_allocations_with_bounded_drop_downs(client, world):
    client.force_login(world.users.officer)
    response = client.get(reverse("imports:allocations-template", kwargs={"grant_pk": world.grant.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="allocations-grant-{world.grant.pk}.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Instructions", "Allocations", "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    assert book.active.title == "Instructions"
    assert "Either every row is saved" in " ".join(str(c.value) for c in book["Instructions"]["A"] if c.value)

    data = book["Allocations"]
    assert [c.value for c in data[1]] == ["Organisation", "Financial year", "Resource (£)", "Capital (£)", "Purpose"]
    rows = sorted(tuple(c.value for c in row) for row in data.iter_rows(min_row=2))
    assert rows == [
        ("Derbyshire County Council", "2015-16", 300000, 0, None),
        ("London Borough of Harrow", "2015-16", 300000, 0, None),
        ("Morning Lane Associates", "2015-16", 100000, 0, None),
    ]
    assert data["C2"].number_format == '"£"#,##0.00'

    lists = book["Lists"]
    organisations = [c.value for c in lists["A"][1:] if c.value]
    # Only the grant's lead and its partners: not Kent, not the funder.
    assert organisations == ["Derbyshire County Council", "London Borough of Harrow", "Morning Lane Associates"]
    # The grant runs January 2015 to December 2016.
    assert [c.value for c in lists["B"][1:] if c.value] == ["2014-15", "2015-16", "2016-17"]
    validations = {str(v.sqref): (v.type, v.formula1) for v in data.data_validations.dataValidation}
    assert validations["A2:A204"] == ("list", "Lists!$A$2:$A$4")
    assert validations["B2:B204"] == ("list", "Lists!$B$2:$B$4")
    assert validations["C2:C204"][0] == "decimal"
    assert DownloadRecord.objects.get().description == "Import template: Allocations of Reclaiming Social Work"


def test_a_filled_template_previews_new_changed_and_unchanged_rows_then_imports_to_the_penny(client, world):
    client.force_login(world.users.officer)
    book = template(AllocationImport(world.users.officer, world.grant))
    fill(
        book,
        "Allocations",
        [
            ("Derbyshire County Council", "2015-16", 250000.25, 1000.5, "Family breakdown unit"),  # changed
            ("London Borough of Harrow", "2015-16", 300000, 0, None),  # unchanged
            ("Morning Lane Associates", "2015-16", 100000, None, None),  # unchanged: blank capital is £0
            ("Derbyshire County Council", "2016-17", 48999.99, None, "Second year"),  # new
        ],
    )
    before = snapshot()
    response = send(client, world, book)
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.user, batch.grant, batch.kind) == (
        "pending",
        world.users.officer,
        world.grant,
        "allocations",
    )
    assert (batch.rows_new, batch.rows_changed, batch.rows_unchanged) == (1, 1, 2)
    assert snapshot()[:2] == before[:2], "nothing is written before the confirmation"

    preview = client.get(response["Location"])
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Resource: £300,000.00 → <strong>£250,000.25</strong>" in page
    assert "Capital: £0.00 → <strong>£1,000.50</strong>" in page
    assert "Purpose: (blank) → <strong>Family breakdown unit</strong>" in page
    assert "Derbyshire County Council, 2016-17" in page
    assert [c.label for c in preview.context["outcome"].unchanged] == [
        "London Borough of Harrow, 2015-16",
        "Morning Lane Associates, 2015-16",
    ]

    confirmed = client.post(reverse("imports:batch-confirm", kwargs={"token": batch.token}))
    assert confirmed.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "applied" and batch.applied_at is not None
    derbyshire = Allocation.objects.filter(grant=world.grant, recipient=world.derbyshire)
    first = derbyshire.get(financial_year=FinancialYear(2015))
    assert (first.resource, first.capital, first.amount, first.purpose) == (
        D("250000.25"),
        D("1000.50"),
        D("251000.75"),
        "Family breakdown unit",
    )
    second = derbyshire.get(financial_year=FinancialYear(2016))
    assert (second.resource, second.capital, second.amount) == (D("48999.99"), D("0.00"), D("48999.99"))
    assert Allocation.objects.filter(grant=world.grant).count() == 4
    # The audit history names the officer (grants.services passes them on).
    assert second.history.first().history_user == world.users.officer


def test_money_can_move_between_allocations_in_one_file_when_the_award_is_full(client, world, settings):
    """The award is £1,000,000 and £700,000 is allocated: a file that takes £200,000 from
    Harrow and gives Derbyshire £400,000 more needs Harrow's reduction written first."""
    settings.VARIATION_APPROVAL_THRESHOLD = 500000  # changes this size need no second officer here
    client.force_login(world.users.officer)
    book = template(AllocationImport(world.users.officer, world.grant))
    fill(
        book,
        "Allocations",
        [
            ("Derbyshire County Council", "2015-16", 700000, 0, None),
            ("London Borough of Harrow", "2015-16", 100000, 0, None),
            ("Morning Lane Associates", "2015-16", 100000, 0, None),
        ],
    )
    response = send(client, world, book)
    batch = ImportBatch.objects.get()
    client.post(reverse("imports:batch-confirm", kwargs={"token": batch.token}))
    amounts = dict(Allocation.objects.filter(grant=world.grant).values_list("recipient__name", "amount"))
    assert amounts == {
        "Derbyshire County Council": D("700000.00"),
        "London Borough of Harrow": D("100000.00"),
        "Morning Lane Associates": D("100000.00"),
    }
    assert response.status_code == 302
    # Each change is a variation with the file as its reason.
    reasons = set(Variation.objects.filter(grant=world.grant).values_list("reason", "status"))
    assert reasons == {("Re-profiled in the allocations spreadsheet for Reclaiming Social Work", "approved")}
    assert Variation.objects.filter(grant=world.grant).count() == 2


def test_a_change_that_needs_a_second_officer_is_refused_and_nothing_changes(client, world, settings):
    settings.VARIATION_APPROVAL_THRESHOLD = 100000
    client.force_login(world.users.officer)
    book = template(AllocationImport(world.users.officer, world.grant))
    fill(book, "Allocations", [("London Borough of Harrow", "2015-16", 100000, 0, None)])  # £200,000 less
    before = snapshot()
    response = send(client, world, book)
    assert "a second programme officer must approve it" in problems_text(response)
    assert snapshot() == before
    assert not Variation.objects.exists()


def test_over_the_award_is_refused_with_the_services_message_and_nothing_changes(client, world):
    client.force_login(world.users.officer)
    book = template(AllocationImport(world.users.officer, world.grant))
    fill(
        book,
        "Allocations",
        [
            ("Derbyshire County Council", "2016-17", 200000, 0, None),  # fine on its own: £900,000
            ("London Borough of Harrow", "2016-17", 100000.01, 0, None),  # one penny over
        ],
    )
    before = snapshot()
    response = send(client, world, book)
    assert response.status_code == 400
    text = problems_text(response)
    assert "row 3, column C (Resource (£)): The grant's allocations would come to £1,000,000.01" in text
    assert snapshot() == before


def test_an_allocation_cannot_be_reduced_below_what_was_paid(client, world):
    allocation = world.allocations["GB-LAE-DBY"]
    Payment.objects.create(allocation=allocation, amount=D("50000.00"), paid_on="2015-10-01")
    client.force_login(world.users.officer)
    book = template(AllocationImport(world.users.officer, world.grant))
    fill(book, "Allocations", [("Derbyshire County Council", "2015-16", 99999.99, 0, None)])
    before = snapshot()
    response = send(client, world, book)
    # £50,000 paid and the £50,000 milestone payment still committed: no less than £100,000.
    assert (
        "£50,000.00 has been paid (net of recoveries) and £50,000.00 is committed to milestone payments"
        in problems_text(response)
    )
    assert "so it cannot be less than £100,000.00" in problems_text(response)
    assert snapshot() == before


def test_an_organisation_outside_the_project_or_unknown_is_refused(client, world):
    client.force_login(world.users.officer)
    book = template(AllocationImport(world.users.officer, world.grant))
    fill(
        book,
        "Allocations",
        [
            ("Kent County Council", "2015-16", 1000, 0, None),
            ("Borsetshire County Council", "2015-16", 1000, 0, None),
        ],
    )
    before = snapshot()
    response = send(client, world, book)
    text = problems_text(response)
    assert (
        "row 2, column A (Organisation): Kent County Council does not take part in the project Reclaiming Social Work"
    ) in text
    assert (
        "row 3, column A (Organisation): “Borsetshire County Council” is not an organisation this service knows" in text
    )
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "derbyshire", "evaluator"])
def test_only_officers_import_allocations(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(upload_url(world)).status_code == 403
    assert client.get(reverse("imports:allocations-template", kwargs={"grant_pk": world.grant.pk})).status_code == 403

"""A pending import between its preview and its confirmation: private to its
uploader, stored privately, confirmed once, checked again at confirmation."""

from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Role, User
from grants import services
from grants.financial_year import FinancialYear
from grants.models import Allocation
from imports.allocations import AllocationImport
from imports.models import ImportBatch
from imports.spend_returns import SpendReturnImport
from tests.imports.files import fill, problems_text, snapshot, template, upload, workbook_bytes

pytestmark = pytest.mark.django_db


def pending_allocations(client, world, rows):
    client.force_login(world.users.officer)
    book = fill(template(AllocationImport(world.users.officer, world.grant)), "Allocations", rows)
    response = client.post(
        reverse("imports:allocations-upload", kwargs={"grant_pk": world.grant.pk}),
        {"file": upload(workbook_bytes(book), "plan.xlsx")},
    )
    assert response.status_code == 302, problems_text(response)
    return ImportBatch.objects.latest("pk")


def urls(batch):
    return {
        name: reverse(f"imports:{name}", kwargs={"token": batch.token})
        for name in ("batch", "batch-confirm", "batch-cancel")
    }


NEW_ROW = [("Derbyshire County Council", "2016-17", 1234.56, 0, "Year two")]


def test_the_file_is_kept_privately_under_a_random_name(client, world, private_files):
    batch = pending_allocations(client, world, NEW_ROW)
    assert batch.file.name.startswith("imports/") and batch.file.name.endswith(".xlsx")
    assert "plan" not in batch.file.name
    assert (private_files / batch.file.name).is_file()
    assert batch.original_name == "plan.xlsx" and batch.size_bytes == (private_files / batch.file.name).stat().st_size
    assert len(batch.token) >= 24


# Roles that import at all (officers, recipients, evaluators) find no batch of another's: 404;
# finance and viewers import nothing, so the role alone refuses them: 403.
@pytest.mark.parametrize(
    "persona, status",
    [("admin", 404), ("finance", 403), ("viewer", 403), ("derbyshire", 404), ("morninglane", 404), ("evaluator", 404)],
)
def test_nobody_but_the_uploader_can_see_confirm_or_cancel_a_batch(client, world, persona, status):
    batch = pending_allocations(client, world, NEW_ROW)
    client.force_login(getattr(world.users, persona))
    page = urls(batch)
    assert client.get(page["batch"]).status_code == status
    assert client.post(page["batch-confirm"]).status_code == status
    assert client.post(page["batch-cancel"]).status_code == status
    batch.refresh_from_db()
    assert batch.status == "pending"
    assert not Allocation.objects.filter(financial_year=FinancialYear(2016)).exists()


def test_another_officer_gets_404(client, world):
    batch = pending_allocations(client, world, NEW_ROW)
    other = User.objects.create_user("officer2", "o2@example.gov.uk", "x", role=Role.OFFICER, organisation=world.dfe)
    client.force_login(other)
    page = urls(batch)
    assert client.get(page["batch"]).status_code == 404
    assert client.post(page["batch-confirm"]).status_code == 404
    assert client.post(page["batch-cancel"]).status_code == 404
    assert ImportBatch.objects.get().status == "pending"


def test_a_batch_is_confirmed_once(client, world):
    batch = pending_allocations(client, world, NEW_ROW)
    page = urls(batch)
    assert client.post(page["batch-confirm"]).status_code == 302
    again = client.post(page["batch-confirm"], follow=True)
    assert "This import has already been imported" in again.content.decode()
    assert Allocation.objects.filter(financial_year=FinancialYear(2016)).count() == 1
    shown = client.get(page["batch"])
    assert "1 new, 0 changed, 0 unchanged" in shown.content.decode()
    assert b"Confirm and import" not in shown.content


def test_a_cancelled_batch_writes_nothing_and_cannot_be_confirmed(client, world):
    batch = pending_allocations(client, world, NEW_ROW)
    before = snapshot()
    page = urls(batch)
    response = client.post(page["batch-cancel"])
    assert response["Location"] == reverse("grants:detail", kwargs={"grant_pk": world.grant.pk})
    batch.refresh_from_db()
    assert batch.status == "cancelled" and batch.cancelled_at is not None
    client.post(page["batch-confirm"])
    assert snapshot()[:2] == before[:2]
    assert ImportBatch.objects.get().status == "cancelled"


def test_confirming_checks_the_file_again_against_the_records_as_they_are_then(client, world):
    """Between the preview and the confirmation someone allocates the rest of the award:
    the file no longer fits, so nothing is written and the batch stays pending."""
    batch = pending_allocations(
        client,
        world,
        [
            ("Derbyshire County Council", "2016-17", 200000, 0, None),
            ("London Borough of Harrow", "2015-16", 300000, 0, "Now with a purpose"),
        ],
    )
    services.save_allocation(
        grant=world.grant,
        recipient=world.harrow,
        financial_year=FinancialYear(2016),
        resource=D("250000.00"),
        capital=D("0"),
    )
    before = snapshot()
    response = client.post(urls(batch)["batch-confirm"])
    assert response.status_code == 400
    assert "The grant's allocations would come to £1,150,000.00" in problems_text(response)
    assert snapshot() == before
    assert ImportBatch.objects.get().status == "pending"


def test_a_stored_file_changed_behind_the_service_is_refused(client, world, private_files):
    batch = pending_allocations(client, world, NEW_ROW)
    other = fill(
        template(AllocationImport(world.users.officer, world.grant)),
        "Allocations",
        [("Derbyshire County Council", "2016-17", 999999, 0, None)],
    )
    (private_files / batch.file.name).write_bytes(workbook_bytes(other))
    before = snapshot()
    response = client.post(urls(batch)["batch-confirm"])
    assert "The stored copy of the file has changed since it was uploaded" in problems_text(response)
    assert snapshot() == before


def test_the_preview_of_a_recipients_batch_and_the_way_back(client, world):
    client.force_login(world.users.harrow)
    book = template(SpendReturnImport(world.users.harrow))
    book["Spend returns"]["E2"], book["Spend returns"]["F2"] = 10, 20
    response = client.post(reverse("imports:spend-returns-upload"), {"file": upload(workbook_bytes(book))})
    batch = ImportBatch.objects.get()
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert preview.context["back_url"] == reverse("projects:yours")
    assert "London Borough of Harrow, 360G-" in preview.content.decode()
    assert batch.kind == "spend_returns" and batch.grant is None


def test_the_import_pages_are_linked_where_users_look(client, world):
    client.force_login(world.users.officer)
    page = client.get(reverse("grants:detail", kwargs={"grant_pk": world.grant.pk})).content.decode()
    assert reverse("imports:allocations-upload", kwargs={"grant_pk": world.grant.pk}) in page
    client.force_login(world.users.derbyshire)
    page = client.get(reverse("projects:yours")).content.decode()
    assert reverse("imports:spend-returns-upload") in page
    upload_page = client.get(reverse("imports:spend-returns-upload")).content.decode()
    assert reverse("imports:spend-returns-template") in upload_page


def test_the_batch_model_keeps_its_rules_in_the_database(world):
    from django.db import IntegrityError, transaction

    batch = ImportBatch.objects.create(
        user=world.users.officer,
        kind="allocations",
        grant=world.grant,
        file="imports/x.xlsx",
        original_name="x.xlsx",
        size_bytes=1,
        sha256="0" * 64,
    )
    rows = ImportBatch.objects.filter(pk=batch.pk)
    for bad, name in (
        ({"status": "applied"}, "import_batch_status_has_its_time"),
        ({"kind": "other"}, "import_batch_kind_valid"),
        ({"grant": None}, "import_batch_allocations_name_a_grant"),
        ({"kind": "results"}, "import_batch_results_name_an_evaluation"),
        ({"size_bytes": 0}, "import_batch_file_not_empty"),
    ):
        with pytest.raises(IntegrityError, match=name), transaction.atomic():
            rows.update(**bad)
    assert settings.MEDIA_ROOT

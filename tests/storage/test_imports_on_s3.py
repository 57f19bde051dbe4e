"""An import file waits in the private bucket between its preview and its confirmation,
and the confirmation reads it back from there."""

import hashlib

import pytest

from grants.financial_year import FinancialYear
from grants.models import Allocation
from imports.allocations import AllocationImport
from tests.imports.files import fill, problems_text, snapshot, template, workbook_bytes
from tests.imports.test_batches import NEW_ROW, pending_allocations, urls

pytestmark = pytest.mark.django_db


def test_the_uploaded_workbook_is_kept_in_the_bucket_and_nowhere_else(client, world, bucket, settings):
    batch = pending_allocations(client, world, NEW_ROW)
    assert batch.file.name.startswith("imports/") and batch.file.name.endswith(".xlsx")
    assert bucket.keys() == [batch.file.name]
    stored = bucket.read(batch.file.name)
    assert (len(stored), hashlib.sha256(stored).hexdigest()) == (batch.size_bytes, batch.sha256)
    assert bucket.grants_to_everyone(batch.file.name) == []
    assert bucket.status_without_credentials(batch.file.name) == 403
    assert not settings.MEDIA_ROOT.exists()


def test_the_preview_and_the_confirmation_read_the_file_back_from_the_bucket(client, world, bucket):
    batch = pending_allocations(client, world, NEW_ROW)
    page = urls(batch)
    preview = client.get(page["batch"])
    assert preview.status_code == 200
    assert "Year two" in preview.content.decode()
    assert bucket.endpoint.removeprefix("http://") not in preview.content.decode()
    assert client.post(page["batch-confirm"]).status_code == 302
    allocation = Allocation.objects.get(financial_year=FinancialYear(2016))
    assert (allocation.recipient, str(allocation.resource)) == (world.derbyshire, "1234.56")


def test_only_the_uploader_sees_the_batch(client, world, bucket):
    batch = pending_allocations(client, world, NEW_ROW)
    client.force_login(world.users.derbyshire)
    assert client.get(urls(batch)["batch"]).status_code == 404
    client.logout()
    assert client.get(urls(batch)["batch"]).status_code == 302


def test_a_file_changed_in_the_bucket_behind_the_service_is_refused(client, world, bucket):
    batch = pending_allocations(client, world, NEW_ROW)
    other = fill(
        template(AllocationImport(world.users.officer, world.grant)),
        "Allocations",
        [("Derbyshire County Council", "2016-17", 999999, 0, None)],
    )
    bucket.write(batch.file.name, workbook_bytes(other))
    before = snapshot()
    response = client.post(urls(batch)["batch-confirm"])
    assert "The stored copy of the file has changed since it was uploaded" in problems_text(response)
    assert snapshot() == before


def test_a_file_gone_from_the_bucket_asks_for_it_again(client, world, bucket):
    batch = pending_allocations(client, world, NEW_ROW)
    bucket.delete(batch.file.name)
    response = client.get(urls(batch)["batch"])
    assert "The uploaded file is no longer stored: upload it again" in problems_text(response)

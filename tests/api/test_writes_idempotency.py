"""The writes under an Idempotency-Key, end to end (api/idempotency.py): a finance system or a council's case
system that lost the answer sends the same request again and the work is done once."""

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grants import money
from grants.models import Payment, SpendReturn
from notifications.catalogue import Kind
from notifications.models import Message
from projects.models import EvidenceFile, MilestoneSubmission

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def post_json(client, url, body, key):
    return client.post(url, json.dumps(body), content_type="application/json", headers={"Idempotency-Key": key})


@pytest.fixture
def finance(api_client_for):
    return api_client_for("finance", scope="read_write")


@pytest.fixture
def payment(world):
    return {
        "allocation_id": world.allocations["GB-LAE-DBY"].pk,
        "amount": "12345.67",
        "paid_on": "2016-01-15",
        "reference": "REM-42",
    }


def test_a_payment_sent_twice_with_one_key_is_made_once(world, finance, payment):
    first = post_json(finance, "/api/v1/payments", payment, "pay-REM-42")
    again = post_json(finance, "/api/v1/payments", payment, "pay-REM-42")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Payment.objects.get().amount == Decimal("12345.67")
    assert money.ledger_figures(payment["allocation_id"]).paid == Decimal("12345.67")
    assert Message.objects.filter(kind=Kind.PAYMENT_MADE).count() == 1


def test_the_same_key_with_a_different_amount_is_refused_and_pays_nothing_more(world, finance, payment):
    post_json(finance, "/api/v1/payments", payment, "pay-REM-42")

    response = post_json(finance, "/api/v1/payments", payment | {"amount": "99999.99"}, "pay-REM-42")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "Idempotency-Key", "message": "Already used for a different request."}
    ]
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal("12345.67")]


def test_a_refusal_is_replayed_too_and_writes_nothing(world, finance, payment):
    over = payment | {"amount": "250000.01"}

    first = post_json(finance, "/api/v1/payments", over, "pay-too-much")
    again = post_json(finance, "/api/v1/payments", over, "pay-too-much")

    assert (first.status_code, again.status_code) == (422, 422)
    assert again.content == first.content
    assert not Payment.objects.exists()


def test_different_keys_are_different_payments(world, finance, payment):
    post_json(finance, "/api/v1/payments", payment, "pay-1")
    post_json(finance, "/api/v1/payments", payment, "pay-2")

    assert Payment.objects.count() == 2


def test_a_recovery_sent_twice_is_recovered_once(world, finance, payment):
    post_json(finance, "/api/v1/payments", payment, "pay-REM-42")
    recovery = {
        "allocation_id": payment["allocation_id"],
        "amount": "345.67",
        "paid_on": "2016-02-01",
        "recovery_reason": "overpayment",
        "note": "Overpaid",
    }

    first = post_json(finance, "/api/v1/recoveries", recovery, "claw-1")
    again = post_json(finance, "/api/v1/recoveries", recovery, "claw-1")

    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert money.ledger_figures(payment["allocation_id"]).net_paid == Decimal("12000.00")


def test_a_spend_return_sent_twice_is_one_return(world, api_client_for):
    derbyshire = api_client_for("derbyshire", scope="read_write")
    body = {"allocation_id": world.allocations["GB-LAE-DBY"].pk, "quarter": 1, "spent": "100.00", "forecast": "0"}

    first = post_json(derbyshire, "/api/v1/spend-returns", body, "return-2015-q1")
    again = post_json(derbyshire, "/api/v1/spend-returns", body, "return-2015-q1")

    # Without the key the second would be refused as a duplicate quarter; with it the client gets its 201 back.
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert SpendReturn.objects.count() == 1


def test_milestone_evidence_retried_with_the_same_key_is_one_submission(world, api_client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    derbyshire = api_client_for("derbyshire", scope="read_write")
    url = f"/api/v1/milestones/{world.derbyshire_milestone.pk}/submissions"

    def send():
        # A new upload object (and a new multipart boundary) each time, as a client library's retry would.
        return derbyshire.post(
            url,
            {"narrative": "The unit is running", "files": [SimpleUploadedFile("minutes.pdf", PDF)]},
            headers={"Idempotency-Key": "evidence-dby-1"},
        )

    first, again = send(), send()

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert MilestoneSubmission.objects.count() == 1
    assert EvidenceFile.objects.count() == 1
    assert len([path for path in tmp_path.rglob("*") if path.is_file()]) == 1

"""Two finance systems pay the last of an allocation's headroom through the API at the same moment (PostgreSQL row
locks): the service takes the grant's and then the allocation's lock and checks the headroom it finds under
them, so exactly one payment is made and the other is a 422 problem; the allocation is never overpaid."""

import datetime as dt
import json
import threading
from decimal import Decimal

import pytest
from django.db import connection

from grants import money
from grants.models import Allocation, Payment
from grants.services import record_payment
from tests.api.conftest import bearer_client, make_token

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


def test_two_payments_racing_for_the_last_of_the_headroom_make_one_payment(world):
    allocation = world.allocations["GB-LAE-DBY"]
    # £250,000 of headroom (its milestone commits £50,000 of the £300,000); leave £10,000 of it.
    record_payment(
        allocation=Allocation.objects.get(pk=allocation.pk),
        amount=Decimal("240000.00"),
        paid_on=dt.date(2016, 1, 4),
        by=world.users.finance,
    )
    # Two systems, each with its own token and its own key: idempotency does not join them.
    keys = [make_token(world.users.finance, scope="read_write", name=f"Ledger {n}")[1] for n in (1, 2)]
    body = json.dumps(
        {"allocation_id": allocation.pk, "amount": "10000.00", "paid_on": "2016-01-15", "reference": "REM-LAST"}
    )
    barrier = threading.Barrier(2, timeout=30)
    answers, unexpected = [], []
    lock = threading.Lock()

    def send(key, n):
        from django.db import connection as thread_connection

        try:
            client = bearer_client(key)
            barrier.wait()
            response = client.post(
                "/api/v1/payments", body, content_type="application/json", headers={"Idempotency-Key": f"last-{n}"}
            )
            with lock:
                answers.append((response.status_code, response.json()))
        except Exception as error:  # a deadlock or any other failure fails the test below
            unexpected.append(repr(error))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=send, args=(key, n)) for n, key in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert unexpected == []
    assert sorted(status for status, _ in answers) == [201, 422]
    refused = next(body for status, body in answers if status == 422)
    assert refused["errors"][0]["field"] == "amount"
    assert "at most £0.00 can be paid" in refused["errors"][0]["message"]
    assert Payment.objects.filter(reference="REM-LAST").count() == 1
    figures = money.ledger_figures(allocation.pk)
    assert (figures.paid, figures.headroom) == (Decimal("250000.00"), Decimal("0.00"))
    assert money.allocation_figures(Allocation.objects.select_related("balance").get(pk=allocation.pk)) == figures

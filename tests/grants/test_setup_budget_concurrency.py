"""Rounds added at the same moment never give a programme's rounds more than its budget (PostgreSQL row
locks). The programme's budget is £200m and Round 1 has £110m: £90m is left. Ten officers each add a
£20m round together; each save locks the programme row first, so they pass one at a time and exactly
four fit."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from grants.budgets import save_round
from grants.models import Round

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


def test_ten_rounds_added_at_once_never_pass_the_programmes_budget(world):
    barrier = threading.Barrier(10, timeout=30)
    outcomes, unexpected = [], []
    lock = threading.Lock()

    def add(number):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            save_round(
                round_=Round(
                    programme_id=world.programme.pk,
                    number=number,
                    name=f"Round {number}",
                    budget=Decimal("20000000.00"),
                    start_date=dt.date(2017, 4, 1),
                    end_date=dt.date(2019, 3, 31),
                ),
                by=world.users.officer,
            )
            outcome = "added"
        except ValidationError:
            outcome = "refused"
        except Exception as error:  # a deadlock or any other failure fails the test below
            outcome = None
            unexpected.append(repr(error))
        finally:
            thread_connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=add, args=(number,)) for number in range(2, 12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    assert sorted(outcomes) == ["added"] * 4 + ["refused"] * 6
    total = Round.objects.filter(programme=world.programme).aggregate(total=Sum("budget"))["total"]
    assert total == Decimal("190000000.00")

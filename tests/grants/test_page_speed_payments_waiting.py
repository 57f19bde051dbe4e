"""Payments waiting at scale (issue 17): which milestones wait is worked out once, and its
ids give the count, the total and the page; a page is 50 rows, the longest waiting first,
in the same queries however many wait."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants import money
from projects.models import Milestone, MilestoneReview, MilestoneSubmission

pytestmark = pytest.mark.django_db
URL = reverse("grants:payments-waiting")
ACCEPTED_FROM = timezone.make_aware(dt.datetime(2015, 10, 1, 9, 0))


def accepted_directly(world, count, *, first=0):
    """``count`` milestones of £1,000.01 accepted by the officer a day apart, written as the
    review service leaves them (a submission, its accepted review, the commitment kept)."""
    allocation = world.allocations["GB-LAE-HRW"]
    for number in range(first, first + count):
        milestone = Milestone.objects.create(
            project=world.project,
            organisation=world.harrow,
            title=f"Waiting {number:03d}",
            due_date=dt.date(2015, 9, 30),
            status=Milestone.Status.ACCEPTED,
            payment_amount=Decimal("1000.01"),
            allocation=allocation,
        )
        submission = MilestoneSubmission.objects.create(
            milestone=milestone, narrative="Done", submitted_by=world.users.harrow
        )
        MilestoneReview.objects.create(
            submission=submission,
            decision=MilestoneReview.Decision.ACCEPTED,
            reviewed_by=world.users.officer,
            reviewed_at=ACCEPTED_FROM + dt.timedelta(days=number),
        )
    money.refresh_balance(allocation.pk)


def waiting_titles(page: str) -> list[str]:
    return re.findall(r">(Waiting \d{3})</a>", page)


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_a_long_list_is_paged_with_the_count_and_total_of_all_of_it(client, world):
    accepted_directly(world, 55)
    client.force_login(world.users.finance)
    first, _ = get(client, URL)
    assert "55 payments waiting, <strong>£55,000.55</strong> in all." in first
    assert waiting_titles(first) == [f"Waiting {n:03d}" for n in range(50)]  # the longest waiting first
    assert first.count(">Pay<span") == 50
    assert "1 Oct 2015 by Officer Tester" in first
    second, _ = get(client, URL + "?page=2")
    assert "55 payments waiting, <strong>£55,000.55</strong> in all." in second
    assert waiting_titles(second) == [f"Waiting {n:03d}" for n in range(50, 55)]
    assert "Page 2 of 2" in second
    past_the_end, _ = get(client, URL + "?page=9")
    assert waiting_titles(past_the_end) == waiting_titles(second)


def test_the_page_makes_the_same_queries_for_three_waiting_as_for_a_hundred(client, world):
    accepted_directly(world, 3)
    client.force_login(world.users.finance)
    get(client, URL)
    cache.clear()  # worked out afresh each time, as after any change of the data
    few_page, few = get(client, URL)
    assert len(waiting_titles(few_page)) == 3
    accepted_directly(world, 97, first=3)
    many_page, many = get(client, URL)
    assert "100 payments waiting, <strong>£100,001.00</strong> in all." in many_page
    assert many == few <= 9


def test_the_list_is_worked_out_once_for_each_change_and_shared_by_finance(client, world):
    """Read again with nothing changed, the page comes from the cache; a payment made since, or a milestone
    accepted since, shows at once. A finance officer and a programme officer see the same list, but only
    finance gets the Pay links (each has its own copy)."""
    accepted_directly(world, 3)
    client.force_login(world.users.finance)
    first, afresh = get(client, URL)
    again, cached = get(client, URL)
    assert waiting_titles(again) == waiting_titles(first) == ["Waiting 000", "Waiting 001", "Waiting 002"]
    assert "3 payments waiting, <strong>£3,000.03</strong> in all." in again
    assert cached < afresh
    milestone = Milestone.objects.get(title="Waiting 000")
    client.post(
        reverse("grants:milestone-pay", kwargs={"milestone_pk": milestone.pk}),
        {"paid_on": "02/10/2015", "reference": "PAY-1"},
    )
    after_payment, _ = get(client, URL)
    assert waiting_titles(after_payment) == ["Waiting 001", "Waiting 002"]
    accepted_directly(world, 1, first=3)
    after_acceptance, _ = get(client, URL)
    assert waiting_titles(after_acceptance) == ["Waiting 001", "Waiting 002", "Waiting 003"]
    client.force_login(world.users.officer)
    officers, _ = get(client, URL)
    assert waiting_titles(officers) == ["Waiting 001", "Waiting 002", "Waiting 003"]
    assert ">Pay<span" in after_acceptance and ">Pay<span" not in officers


def test_a_milestone_that_cannot_be_paid_is_neither_listed_nor_counted(client, world):
    accepted_directly(world, 2)
    milestone = Milestone.objects.get(title="Waiting 000")
    money.refresh_balance(milestone.allocation_id)
    world.grant.status = "withdrawn"
    world.grant.save(update_fields=["status"])
    client.force_login(world.users.finance)
    page, _ = get(client, URL)
    assert "No payments are waiting." in page


def test_a_row_read_as_values_keeps_the_mark_of_an_illustrative_amount_and_a_nameless_reviewer(client, world):
    accepted_directly(world, 2)
    Milestone.objects.filter(title="Waiting 001").update(illustrative=True)
    officer = world.users.officer
    officer.first_name = officer.last_name = ""
    officer.save(update_fields=["first_name", "last_name"])
    client.force_login(world.users.finance)
    page, _ = get(client, URL)
    rows = page.split("<tbody")[1].split("</tr>")
    assert "app-illustrative" not in rows[0] and "£1,000.01" in rows[0]
    assert '£1,000.01<sup class="app-illustrative">' in rows[1]
    assert f"2 Oct 2015 by {officer.username}" in rows[1]
    assert "app-legend-illustrative" in page

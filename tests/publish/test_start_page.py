"""The start page a signed-out visitor sees points to the open data, and says in plain words what it
holds and how often it changes; the /publish/ page counts as illustrative the same grants the files mark."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from grants.models import Grant
from grants.services import record_payment
from tests.publish.conftest import parse

HOME = reverse("home")
INDEX = reverse("publish:index")


def test_a_signed_out_visitor_is_pointed_to_the_open_data_and_told_what_it_holds(client, db):
    page = " ".join(client.get(HOME).content.decode().split())  # as read: line breaks in the markup are spaces
    assert f'<a class="govuk-link" href="{INDEX}" id="open-data-link">grants as open data</a>' in page
    assert '<h2 class="govuk-heading-m" id="open-data">Grants as open data</h2>' in page
    for statement in (
        "Anyone can download the grants, without signing in",
        "the grants awarded: the amount, the date, the programme and round",
        "the amount paid on each grant so far, net of any money recovered",
        "the organisations given the money and the places that benefit",
        "which values are illustrative: invented for a demonstration",
        "It changes whenever a grant or a payment is recorded, and the file says when it was last modified.",
    ):
        assert statement in page, statement


def test_a_signed_in_user_gets_their_task_list_instead(client, world):
    client.force_login(world.users.officer)
    page = client.get(HOME).content.decode()
    assert 'class="govuk-task-list"' in page and 'id="open-data-link"' not in page


def test_the_publish_page_counts_the_grants_the_files_mark_illustrative(client, world):
    Grant.objects.filter(pk=world.grant.pk).update(dates_are_illustrative=True)
    record_payment(
        allocation=world.other_allocation,
        amount=Decimal("10.00"),
        paid_on=dt.date(2016, 1, 15),
        by=world.users.finance,
        illustrative=True,
    )
    grants = parse(client.get(reverse("publish:360giving-json")).content)["grants"]
    assert sum("illustrativeValues" in record for record in grants) == 2
    page = " ".join(client.get(INDEX).content.decode().split())
    assert "2 of these grants carry amounts or dates invented for the demonstration" in page
    assert "lists them in the additional field <code>illustrativeValues</code>" in page

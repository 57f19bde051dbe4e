"""The audit trail: every change to money or status keeps who, when, and the
old and new values (django-simple-history), shown on the project's changes page
and in the admin."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants import services
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Payment, SpendReturn
from grants.spend_returns import amend_spend_return, submit_spend_return
from projects.models import Project
from projects.services import review_milestone, submit_milestone

pytestmark = pytest.mark.django_db


def changes_page(client, user, project):
    client.force_login(user)
    response = client.get(reverse("projects:history", kwargs={"project_pk": project.pk}))
    assert response.status_code == 200
    return response


def test_an_allocation_edited_on_the_web_keeps_who_and_the_old_and_new_amounts(client, world):
    allocation = world.allocations["GB-LAE-DBY"]
    client.force_login(world.users.officer)
    response = client.post(
        reverse("grants:allocation-edit", kwargs={"allocation_pk": allocation.pk}),
        {
            "recipient": world.derbyshire.pk,
            "financial_year": str(FinancialYear(2015)),
            "resource": "350000.50",
            "capital": "",
            "purpose": "",
            "reason": "Derbyshire adds a second unit",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    latest = allocation.history.latest()
    assert latest.history_user == world.users.officer
    assert latest.history_type == "~"
    assert latest.resource == Decimal("350000.50")
    assert latest.prev_record.resource == Decimal("300000.00")

    page = changes_page(client, world.users.officer, world.project).content.decode()
    assert "Allocation to Derbyshire County Council for 2015-16" in page
    assert "Resource: £300,000.00 → £350,000.50" in page
    assert str(world.users.officer) in page


def test_a_payment_and_a_status_move_name_the_user_and_the_reason(client, world):
    milestone = world.derbyshire_milestone
    submit_milestone(milestone=milestone, by=world.users.derbyshire, narrative="Unit running")
    review_milestone(milestone=milestone, by=world.users.officer, decision="accepted")
    payment = services.pay_milestone(milestone=milestone, paid_on=dt.date(2015, 10, 1), by=world.users.finance)

    created = payment.history.get()
    assert created.history_type == "+"
    assert created.history_user == world.users.finance
    assert created.amount == Decimal("50000.00")

    world.grant.set_status(Grant.Status.ACTIVE, by=world.users.officer, reason="Contract signed")
    moved = world.grant.history.latest()
    assert (moved.prev_record.status, moved.status) == ("awarded", "active")
    assert moved.history_user == world.users.officer
    assert moved.history_change_reason == "Contract signed"

    page = changes_page(client, world.users.officer, world.project).content.decode()
    assert "Payment to Derbyshire County Council, 2015-16" in page
    assert "Amount: £50,000.00" in page
    assert "Reason: Contract signed" in page
    assert "Status: Awarded → Active" in page


def test_a_row_loaded_in_bulk_shows_its_first_recorded_copy(client, world):
    """bulk_create (the generator, imports of old data) writes no history; the first
    later change is listed as first recorded, with the values it then had."""
    [bulk] = Grant.objects.bulk_create(
        [
            Grant(
                project=world.project,
                round=world.round,
                recipient=world.morning_lane,
                title="Bulk grant",
                amount_awarded=Decimal("1234.56"),
                award_date=dt.date(2016, 1, 1),
                planned_start=dt.date(2016, 1, 1),
                planned_end=dt.date(2016, 12, 31),
            )
        ]
    )
    assert not bulk.history.exists()
    bulk.set_status(Grant.Status.ACTIVE, by=world.users.officer)
    page = changes_page(client, world.users.officer, world.project).content.decode()
    assert "First recorded: Grant ‘Bulk grant’" in page
    assert "Amount awarded: £1,234.56" in page


def test_a_partner_sees_the_changes_to_its_own_money_only(client, world):
    services.save_allocation(
        grant=world.grant,
        recipient=world.harrow,
        financial_year=FinancialYear(2015),
        resource=Decimal("290000.00"),
        capital=Decimal("0"),
        allocation=world.allocations["GB-LAE-HRW"],
        by=world.users.officer,
        reason="Re-profiled",
    )
    services.save_allocation(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=FinancialYear(2015),
        resource=Decimal("310000.00"),
        capital=Decimal("0"),
        allocation=world.allocations["GB-LAE-DBY"],
        by=world.users.officer,
        reason="Re-profiled",
    )
    harrow_page = changes_page(client, world.users.harrow, world.project).content.decode()
    assert "Resource: £300,000.00 → £290,000.00" in harrow_page
    assert "£310,000.00" not in harrow_page
    assert "Derbyshire" not in harrow_page

    officer_page = changes_page(client, world.users.officer, world.project).content.decode()
    assert "Resource: £300,000.00 → £290,000.00" in officer_page
    assert "Resource: £300,000.00 → £310,000.00" in officer_page


def test_a_spend_return_amendment_keeps_both_figures(client, world):
    allocation = world.allocations["GB-LAE-DBY"]
    spend_return = submit_spend_return(
        allocation=allocation,
        by=world.users.derbyshire,
        quarter=1,
        spent=Decimal("1000.00"),
        forecast=Decimal("5000.00"),
    )
    amend_spend_return(
        spend_return=spend_return, by=world.users.derbyshire, spent=Decimal("1250.25"), forecast=Decimal("5000.00")
    )
    latest = SpendReturn.objects.get(pk=spend_return.pk).history.latest()
    assert latest.history_user == world.users.derbyshire
    page = changes_page(client, world.users.derbyshire, world.project).content.decode()
    assert "Spent: £1,000.00 → £1,250.25" in page


def test_the_changes_page_is_closed_to_evaluators_and_outsiders(client, world):
    url = reverse("projects:history", kwargs={"project_pk": world.project.pk})
    client.force_login(world.users.outsider)
    assert client.get(url).status_code == 404
    client.force_login(world.users.evaluator)
    assert client.get(url).status_code == 403


def test_the_changes_page_queries_do_not_grow_with_changes(client, world):
    client.force_login(world.users.officer)
    url = reverse("projects:history", kwargs={"project_pk": world.project.pk})
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    allocation = world.allocations["GB-LAE-HRW"]
    for n in range(10):
        services.save_allocation(
            grant=world.grant,
            recipient=world.harrow,
            financial_year=FinancialYear(2015),
            resource=Decimal("200000.00") + n,
            capital=Decimal("0"),
            allocation=allocation,
            by=world.users.officer,
            reason="Re-profiled",
        )
        world.project.rag = Project.Rag.GREEN if n % 2 else Project.Rag.RED
        world.project.save()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count('class="govuk-table__row app-history"') > 20
    assert len(many) == len(few)


def test_the_admin_lists_the_history_and_cannot_revert(client, world):
    allocation = world.allocations["GB-LAE-DBY"]
    services.save_allocation(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=FinancialYear(2015),
        resource=Decimal("310000.00"),
        capital=Decimal("0"),
        allocation=allocation,
        by=world.users.officer,
        reason="Re-profiled",
    )
    superuser = world.users.admin
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    history_url = reverse("admin:grants_allocation_history", args=[allocation.pk])
    page = client.get(history_url).content.decode()
    # One row per saved copy: created by the fixture, then the officer's change.
    assert page.count("/history/") >= 2
    assert str(world.users.officer) in page
    assert "Resource" in page  # the changed field is named
    record = allocation.history.earliest()
    revert_url = reverse("admin:grants_allocation_simple_history", args=[allocation.pk, record.history_id])
    before = Allocation.objects.get(pk=allocation.pk).resource
    response = client.post(
        revert_url,
        {
            "recipient": world.derbyshire.pk,
            "financial_year": 2015,
            "resource": "300000.00",
            "capital": "0.00",
            "_change_history": "1",
        },
    )
    assert response.status_code == 200  # the history record's page again, read-only: no revert is saved
    assert Allocation.objects.get(pk=allocation.pk).resource == before == Decimal("310000.00")
    assert Payment.objects.count() == 0

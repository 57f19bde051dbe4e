"""Quarterly spend returns: a recipient submits one per quarter of its own
allocation's year, changes it until an officer reviews it, and cannot get round
the rules by sending two at once."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models.query import QuerySet
from django.urls import reverse
from django.utils import timezone

from grants.financial_year import FinancialQuarter, FinancialYear
from grants.models import SpendReturn
from grants.services import save_allocation
from grants.spend_returns import amend_spend_return, review_spend_return, submit_spend_return
from projects.models import Project


def url(name, **kwargs):
    return reverse(f"grants:{name}", kwargs=kwargs)


def text(response):
    return response.content.decode()


def return_data(**changes):
    values = {"quarter": "1", "spent": "12345.67", "forecast": "100000.00", "comment": "Unit opened in May"}
    values.update(changes)
    return values


@pytest.fixture
def derbyshire(world):
    return world.allocations["GB-LAE-DBY"]


def a_return(world, allocation, quarter=1, **values):
    return submit_spend_return(
        allocation=allocation,
        by=world.users.derbyshire,
        quarter=quarter,
        spent=values.get("spent", Decimal("100.00")),
        forecast=values.get("forecast", Decimal("200.00")),
    )


def on_day(monkeypatch, day):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)


# Submitting


def test_a_recipient_submits_a_return_for_its_own_allocation(client, world, derbyshire):
    client.force_login(world.users.derbyshire)
    page = text(client.get(url("spend-return-create", allocation_pk=derbyshire.pk)))
    assert '<option value="1">Q1: April to June 2015</option>' in page
    assert '<option value="4">Q4: January to March 2016</option>' in page
    response = client.post(url("spend-return-create", allocation_pk=derbyshire.pk), return_data())
    assert response.status_code == 302
    assert response["Location"] == url("allocation", allocation_pk=derbyshire.pk)
    spend_return = SpendReturn.objects.get(allocation=derbyshire)
    assert (spend_return.quarter, spend_return.spent, spend_return.forecast) == (
        1,
        Decimal("12345.67"),
        Decimal("100000.00"),
    )
    assert (spend_return.comment, spend_return.status, spend_return.submitted_by) == (
        "Unit opened in May",
        "submitted",
        world.users.derbyshire,
    )
    page = text(client.get(response["Location"]))
    assert "Spend return for 2015-16 Q1 submitted" in page
    assert "£12,345.67" in page and "£100,000.00" in page
    # 300,000.00 - 12,345.67 - 100,000.00
    assert "£187,654.33" in page


def test_the_lead_submits_for_its_own_allocation(client, world):
    allocation = world.allocations["GB-COH-07000001"]
    client.force_login(world.users.morninglane)
    response = client.post(url("spend-return-create", allocation_pk=allocation.pk), return_data(quarter="4"))
    assert response.status_code == 302
    assert SpendReturn.objects.get(allocation=allocation).submitted_by == world.users.morninglane


def test_one_return_per_quarter(client, world, derbyshire):
    client.force_login(world.users.derbyshire)
    client.post(url("spend-return-create", allocation_pk=derbyshire.pk), return_data())
    response = client.post(url("spend-return-create", allocation_pk=derbyshire.pk), return_data(spent="1.00"))
    assert response.status_code == 200
    assert "A return for 2015-16 Q1 has already been made: change that one instead" in text(response)
    assert SpendReturn.objects.filter(allocation=derbyshire).count() == 1
    assert SpendReturn.objects.get(allocation=derbyshire).spent == Decimal("12345.67")


def test_a_return_for_a_future_quarter_is_refused(client, world):
    next_year = FinancialYear.of(timezone.localdate()) + 1
    allocation = save_allocation(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=next_year,
        resource=Decimal("1000"),
        capital=Decimal("0"),
    )
    client.force_login(world.users.derbyshire)
    response = client.post(url("spend-return-create", allocation_pk=allocation.pk), return_data())
    assert response.status_code == 200
    assert f"{next_year} Q1 has not started yet" in text(response)
    assert not SpendReturn.objects.filter(allocation=allocation).exists()


def test_the_current_quarter_may_be_returned(client, world):
    today = timezone.localdate()
    # A return may be made for a quarter of the project's life: this project runs until next year.
    Project.objects.filter(pk=world.project.pk).update(end_date=today + dt.timedelta(days=366))
    world.grant.project.refresh_from_db()
    allocation = save_allocation(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=FinancialYear.of(today),
        resource=Decimal("1000"),
        capital=Decimal("0"),
    )
    client.force_login(world.users.derbyshire)
    quarter = FinancialQuarter.of(today).number
    response = client.post(url("spend-return-create", allocation_pk=allocation.pk), return_data(quarter=str(quarter)))
    assert response.status_code == 302
    assert SpendReturn.objects.get(allocation=allocation).quarter == quarter


@pytest.mark.parametrize("day, allowed", [(dt.date(2015, 6, 30), False), (dt.date(2015, 7, 1), True)])
def test_a_quarter_may_be_returned_from_its_first_day(client, world, derbyshire, monkeypatch, day, allowed):
    on_day(monkeypatch, day)
    client.force_login(world.users.derbyshire)
    response = client.post(url("spend-return-create", allocation_pk=derbyshire.pk), return_data(quarter="2"))
    assert SpendReturn.objects.filter(allocation=derbyshire, quarter=2).exists() is allowed
    if not allowed:
        assert "2015-16 Q2 has not started yet" in text(response)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"spent": ""}, "Enter the amount spent this quarter"),
        ({"spent": "abc"}, "The amount spent this quarter must be a number, like 1250.50"),
        ({"spent": "-1"}, "The amount spent this quarter must be £0 or more"),
        ({"spent": "1e999"}, "The amount spent this quarter must be a number, like 1250.50"),
        ({"spent": "12345678901234567"}, "The amount spent this quarter must be less than £1,000,000,000,000"),
        ({"forecast": ""}, "Enter the forecast for the rest of the year"),
        ({"forecast": "-0.01"}, "The forecast for the rest of the year must be £0 or more"),
        ({"forecast": "1,0"}, "The forecast for the rest of the year must be a number, like 1250.50"),
        ({"quarter": ""}, "Choose the quarter"),
        ({"quarter": "5"}, "Choose a quarter from the list"),
        ({"quarter": "one"}, "Choose a quarter from the list"),
        ({"comment": "c" * 2001}, "The comment must be 2,000 characters or fewer"),
    ],
)
def test_bad_input_gets_a_clear_error_and_writes_nothing(client, world, derbyshire, changes, message):
    client.force_login(world.users.derbyshire)
    response = client.post(url("spend-return-create", allocation_pk=derbyshire.pk), return_data(**changes))
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert message in text(response)
    assert not SpendReturn.objects.exists()


def test_a_zero_return_is_allowed(client, world, derbyshire):
    client.force_login(world.users.derbyshire)
    client.post(url("spend-return-create", allocation_pk=derbyshire.pk), return_data(spent="0", forecast="0.00"))
    assert SpendReturn.objects.get(allocation=derbyshire).spent == Decimal("0.00")


def test_a_partner_cannot_submit_for_another_partner(client, world, derbyshire):
    client.force_login(world.users.harrow)
    assert client.get(url("spend-return-create", allocation_pk=derbyshire.pk)).status_code == 404
    assert client.post(url("spend-return-create", allocation_pk=derbyshire.pk), return_data()).status_code == 404
    assert not SpendReturn.objects.exists()


def test_the_lead_cannot_submit_for_a_partner(client, world, derbyshire):
    client.force_login(world.users.morninglane)
    assert client.get(url("allocation", allocation_pk=derbyshire.pk)).status_code == 200
    assert client.post(url("spend-return-create", allocation_pk=derbyshire.pk), return_data()).status_code == 404
    assert not SpendReturn.objects.exists()


@pytest.mark.parametrize(
    "persona, status",
    [("outsider", 404), ("kent", 404), ("officer", 403), ("finance", 403), ("viewer", 403), ("evaluator", 403)],
)
def test_no_one_else_submits(client, world, derbyshire, persona, status):
    client.force_login(getattr(world.users, persona))
    assert client.post(url("spend-return-create", allocation_pk=derbyshire.pk), return_data()).status_code == status
    assert not SpendReturn.objects.exists()


def test_the_service_refuses_the_lead_on_a_partners_allocation(world, derbyshire):
    with pytest.raises(PermissionDenied):
        submit_spend_return(
            allocation=derbyshire, by=world.users.morninglane, quarter=1, spent=Decimal("1"), forecast=Decimal("1")
        )
    with pytest.raises(ValidationError, match="£0 or more"):
        submit_spend_return(
            allocation=derbyshire, by=world.users.derbyshire, quarter=1, spent=Decimal("-1"), forecast=Decimal("1")
        )
    assert not SpendReturn.objects.exists()


def test_a_duplicate_that_slips_past_the_check_is_a_clear_error_not_a_crash(world, derbyshire, monkeypatch):
    a_return(world, derbyshire)
    real_exists = QuerySet.exists
    # As if a second request checked before the first had written its row.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False if self.model is SpendReturn else real_exists(self))
    with pytest.raises(ValidationError, match="has already been made"):
        a_return(world, derbyshire, spent=Decimal("5"))
    monkeypatch.undo()
    assert SpendReturn.objects.get(allocation=derbyshire).spent == Decimal("100.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_returns_for_the_same_quarter_sent_at_once_make_one(world, derbyshire):
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(spent):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            a_return(world, derbyshire, spent=Decimal(spent))
            outcomes.append("made")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=submit, args=(spent,)) for spent in ("1.00", "2.00")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["A return for 2015-16 Q1 has already been made: change that one instead", "made"]
    assert SpendReturn.objects.filter(allocation=derbyshire).count() == 1


# Changing a return


def test_a_recipient_changes_its_return_until_it_is_reviewed(client, world, derbyshire):
    spend_return = a_return(world, derbyshire)
    client.force_login(world.users.derbyshire)
    page = text(client.get(url("spend-return-edit", spend_return_pk=spend_return.pk)))
    assert "Change the spend return for 2015-16 Q1" in page
    assert 'value="100.00"' in page
    assert 'name="quarter"' not in page
    response = client.post(
        url("spend-return-edit", spend_return_pk=spend_return.pk),
        return_data(spent="150.25", forecast="99.75", comment="Corrected"),
    )
    assert response.status_code == 302
    spend_return.refresh_from_db()
    assert (spend_return.quarter, spend_return.spent, spend_return.forecast, spend_return.comment) == (
        1,
        Decimal("150.25"),
        Decimal("99.75"),
        "Corrected",
    )
    assert "Spend return for 2015-16 Q1 updated" in text(client.get(response["Location"]))


def test_a_reviewed_return_cannot_be_changed(client, world, derbyshire):
    spend_return = a_return(world, derbyshire)
    review_spend_return(spend_return=spend_return, by=world.users.officer)
    client.force_login(world.users.derbyshire)
    response = client.get(url("spend-return-edit", spend_return_pk=spend_return.pk))
    assert response.status_code == 302
    assert "The return for 2015-16 Q1 has been reviewed and cannot be changed" in text(client.get(response["Location"]))
    client.post(url("spend-return-edit", spend_return_pk=spend_return.pk), return_data(spent="1.00"))
    spend_return.refresh_from_db()
    assert spend_return.spent == Decimal("100.00")
    with pytest.raises(ValidationError, match="can no longer be changed"):
        amend_spend_return(
            spend_return=spend_return, by=world.users.derbyshire, spent=Decimal("1"), forecast=Decimal("1")
        )


def test_a_return_reviewed_while_the_form_was_open_is_not_changed(client, world, derbyshire, monkeypatch):
    from grants import views

    spend_return = a_return(world, derbyshire)
    amend = amend_spend_return

    def reviewed_meanwhile(**kwargs):
        # The officer's review lands after the page read the return, before the change is saved.
        review_spend_return(spend_return=spend_return, by=world.users.officer)
        return amend(**kwargs)

    monkeypatch.setattr(views, "amend_spend_return", reviewed_meanwhile)
    client.force_login(world.users.derbyshire)
    response = client.post(url("spend-return-edit", spend_return_pk=spend_return.pk), return_data(spent="1.00"))
    assert response.status_code == 200
    assert "This return has been reviewed, so it can no longer be changed" in text(response)
    spend_return.refresh_from_db()
    assert (spend_return.status, spend_return.spent) == ("reviewed", Decimal("100.00"))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"spent": "-1"}, "must be £0 or more"),
        ({"forecast": "abc"}, "must be a number"),
        ({"spent": "1e999"}, "must be a number"),
    ],
)
def test_a_bad_change_gets_a_clear_error_and_changes_nothing(client, world, derbyshire, changes, message):
    spend_return = a_return(world, derbyshire)
    client.force_login(world.users.derbyshire)
    response = client.post(url("spend-return-edit", spend_return_pk=spend_return.pk), return_data(**changes))
    assert message in text(response)
    spend_return.refresh_from_db()
    assert (spend_return.spent, spend_return.forecast) == (Decimal("100.00"), Decimal("200.00"))


@pytest.mark.parametrize(
    "persona, status",
    [("harrow", 404), ("morninglane", 404), ("outsider", 404), ("officer", 403), ("finance", 403), ("viewer", 403)],
)
def test_only_the_recipients_users_change_its_return(client, world, derbyshire, persona, status):
    spend_return = a_return(world, derbyshire)
    client.force_login(getattr(world.users, persona))
    assert client.get(url("spend-return-edit", spend_return_pk=spend_return.pk)).status_code == status
    response = client.post(url("spend-return-edit", spend_return_pk=spend_return.pk), return_data(spent="1.00"))
    assert response.status_code == status
    spend_return.refresh_from_db()
    assert spend_return.spent == Decimal("100.00")


# Reviewing a return


@pytest.mark.parametrize("persona", ["officer", "admin"])
def test_an_officer_reviews_a_return(client, world, derbyshire, persona):
    spend_return = a_return(world, derbyshire)
    user = getattr(world.users, persona)
    client.force_login(user)
    response = client.post(url("spend-return-review", spend_return_pk=spend_return.pk))
    assert response.status_code == 302
    assert response["Location"] == url("allocation", allocation_pk=derbyshire.pk)
    spend_return.refresh_from_db()
    assert (spend_return.status, spend_return.reviewed_by) == ("reviewed", user)
    assert spend_return.reviewed_at is not None
    page = text(client.get(response["Location"]))
    assert "Spend return for 2015-16 Q1 marked as reviewed" in page
    assert "Mark as reviewed" not in page


def test_a_return_is_reviewed_once(client, world, derbyshire):
    spend_return = a_return(world, derbyshire)
    review_spend_return(spend_return=spend_return, by=world.users.admin)
    client.force_login(world.users.officer)
    response = client.post(url("spend-return-review", spend_return_pk=spend_return.pk))
    assert "This return has already been reviewed" in text(client.get(response["Location"]))
    spend_return.refresh_from_db()
    assert spend_return.reviewed_by == world.users.admin


def test_reviewing_is_a_post(client, world, derbyshire):
    spend_return = a_return(world, derbyshire)
    client.force_login(world.users.officer)
    assert client.get(url("spend-return-review", spend_return_pk=spend_return.pk)).status_code == 405
    spend_return.refresh_from_db()
    assert spend_return.status == "submitted"


@pytest.mark.parametrize("persona", ["finance", "viewer", "derbyshire", "morninglane", "evaluator"])
def test_only_officers_review_returns(client, world, derbyshire, persona):
    spend_return = a_return(world, derbyshire)
    client.force_login(getattr(world.users, persona))
    assert client.post(url("spend-return-review", spend_return_pk=spend_return.pk)).status_code == 403
    spend_return.refresh_from_db()
    assert (spend_return.status, spend_return.reviewed_by) == ("submitted", None)


def test_the_service_lets_only_officers_review(world, derbyshire):
    spend_return = a_return(world, derbyshire)
    with pytest.raises(PermissionDenied):
        review_spend_return(spend_return=spend_return, by=world.users.finance)
    spend_return.refresh_from_db()
    assert spend_return.status == "submitted"

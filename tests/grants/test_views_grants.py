"""Grant pages: officers create and change grants and move their status; everyone
who may see a grant reads its money, a partner only its own share."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.financial_year import FinancialYear
from grants.models import Grant, GrantStatusChange, Variation
from grants.services import MoneyRuleError, record_payment, record_recovery, save_allocation, save_grant

TODAY = dt.date(2016, 1, 15)


def url(name, **kwargs):
    return reverse(f"grants:{name}", kwargs=kwargs)


def text(response):
    return response.content.decode()


def value_of(page, element_id):
    """The text at the start of the element with this id (a summary list value)."""
    match = re.search(rf'id="{element_id}">\s*([^<]*)', page)
    assert match, f"no element {element_id}"
    return match.group(1).strip()


def grant_data(world, **changes):
    data = {
        "round": world.round.pk,
        "recipient": world.morning_lane.pk,
        "title": "Reclaiming Social Work: scale-up",
        "description": "The second phase, in two more councils.",
        "amount_awarded": "2500000.50",
        "award_date": "01/04/2016",
        "planned_start": "2016-04-01",
        "planned_end": "31/03/2018",
        "ggis_award_reference": "GGIS-R2-0001",
        "publishable": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# Creating a grant


@pytest.mark.parametrize("persona", ["officer", "admin"])
def test_an_officer_creates_a_grant_for_a_project(client, world, persona):
    user = getattr(world.users, persona)
    client.force_login(user)
    response = client.post(url("create", project_pk=world.project.pk), grant_data(world))
    grant = Grant.objects.get(title="Reclaiming Social Work: scale-up")
    assert response.status_code == 302
    assert response["Location"] == url("detail", grant_pk=grant.pk)
    assert grant.project == world.project
    assert grant.recipient == world.morning_lane
    assert grant.amount_awarded == Decimal("2500000.50")
    assert (grant.award_date, grant.planned_start, grant.planned_end) == (
        dt.date(2016, 4, 1),
        dt.date(2016, 4, 1),
        dt.date(2018, 3, 31),
    )
    assert grant.ggis_award_reference == "GGIS-R2-0001"
    assert grant.publishable is True
    assert grant.status == Grant.Status.AWARDED
    history = GrantStatusChange.objects.get(grant=grant)
    assert (history.old_status, history.new_status, history.changed_by) == ("", "awarded", user)
    page = text(client.get(response["Location"]))
    assert "£2,500,000.50" in page
    assert "Grant “Reclaiming Social Work: scale-up” created" in page


def test_the_recipient_defaults_to_the_projects_lead_and_only_members_are_offered(client, world):
    client.force_login(world.users.officer)
    page = text(client.get(url("create", project_pk=world.project.pk)))
    assert f'<option value="{world.morning_lane.pk}" selected>' in page
    assert f'<option value="{world.derbyshire.pk}">' in page
    assert f'<option value="{world.kent.pk}"' not in page
    assert '<a href="/projects/' in page or 'class="govuk-back-link"' in page
    for field in ("round", "title", "amount_awarded", "award_date-day", "planned_start-day", "planned_end-day"):
        assert re.search(rf'<label class="govuk-label[^"]*" for="id_{field}">', page), field


def test_a_grant_cannot_go_to_an_organisation_outside_the_project(client, world):
    client.force_login(world.users.officer)
    before = Grant.objects.count()
    response = client.post(url("create", project_pk=world.project.pk), grant_data(world, recipient=world.kent.pk))
    assert response.status_code == 200
    assert "Choose an organisation that takes part in the project" in text(response)
    assert Grant.objects.count() == before


@pytest.mark.parametrize(
    "amount, message",
    [
        ("", "Enter the amount awarded"),
        ("abc", "The amount awarded must be a number, like 1250.50"),
        ("-1", "The amount awarded must be more than £0"),
        ("0", "The amount awarded must be more than £0"),
        ("1e999", "The amount awarded must be a number, like 1250.50"),
        ("1e3", "The amount awarded must be a number, like 1250.50"),
        ("1,0", "The amount awarded must be a number, like 1250.50"),
        ("12,34,567", "The amount awarded must be a number, like 1250.50"),
        ("12345678901234567", "The amount awarded must be less than £1,000,000,000,000"),
        ("10.001", "no more than 2 decimal places"),
        ("NaN", "The amount awarded must be a number, like 1250.50"),
    ],
)
def test_a_bad_amount_awarded_gets_a_clear_error_and_creates_nothing(client, world, amount, message):
    client.force_login(world.users.officer)
    before = Grant.objects.count()
    response = client.post(url("create", project_pk=world.project.pk), grant_data(world, amount_awarded=amount))
    page = text(response)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert "govuk-input--error" in page
    assert Grant.objects.count() == before


def test_money_may_be_typed_with_a_pound_sign_and_commas(client, world):
    client.force_login(world.users.officer)
    client.post(url("create", project_pk=world.project.pk), grant_data(world, amount_awarded="£1,250,000.00"))
    assert Grant.objects.get(ggis_award_reference="GGIS-R2-0001").amount_awarded == Decimal("1250000.00")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": ""}, "Enter the grant&#x27;s title"),
        ({"title": "x" * 201}, "The title must be 200 characters or fewer"),
        ({"description": "x" * 5001}, "The description must be 5,000 characters or fewer"),
        ({"ggis_award_reference": "G" * 41}, "The GGIS reference must be 40 characters or fewer"),
        ({"award_date": ""}, "Enter the award date"),
        ({"award_date": "31/02/2016"}, "The award date must be a real date"),
        ({"award_date": "31/03/1990"}, "The award date must be on or after 1 April 1990"),
        ({"planned_end": "2016-03-31"}, "The planned end must be the same as or after the planned start"),
        ({"round": ""}, "Choose the funding round"),
        ({"round": "999999"}, "Choose one of the programme&#x27;s rounds"),
    ],
)
def test_other_bad_input_gets_a_clear_error_and_creates_nothing(client, world, changes, message):
    client.force_login(world.users.officer)
    before = Grant.objects.count()
    response = client.post(url("create", project_pk=world.project.pk), grant_data(world, **changes))
    assert response.status_code == 200
    assert message in text(response)
    assert Grant.objects.count() == before


def test_a_ggis_reference_is_used_once(client, world):
    Grant.objects.filter(pk=world.other_grant.pk).update(ggis_award_reference="GGIS-R2-0001")
    client.force_login(world.users.officer)
    before = Grant.objects.count()
    response = client.post(url("create", project_pk=world.project.pk), grant_data(world))
    assert "Another grant already has this GGIS award reference" in text(response)
    assert Grant.objects.count() == before


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "derbyshire", "evaluator", "outsider"])
def test_only_officers_create_grants(client, world, persona):
    client.force_login(getattr(world.users, persona))
    before = Grant.objects.count()
    assert client.get(url("create", project_pk=world.project.pk)).status_code == 403
    assert client.post(url("create", project_pk=world.project.pk), grant_data(world)).status_code == 403
    assert Grant.objects.count() == before


def test_signing_in_is_needed(client, world):
    response = client.get(url("create", project_pk=world.project.pk))
    assert response.status_code == 302
    assert reverse("accounts:sign-in") in response["Location"]


def test_a_grant_for_a_project_that_does_not_exist_is_not_found(client, world):
    client.force_login(world.users.officer)
    assert client.get(url("create", project_pk=999999)).status_code == 404


# Changing a grant


def test_an_officer_changes_a_grant_down_to_exactly_what_is_allocated(client, world, settings):
    settings.VARIATION_APPROVAL_THRESHOLD = 300000  # a change this size needs no second officer here
    client.force_login(world.users.officer)
    data = grant_data(
        world,
        title="Reclaiming Social Work (Round 1)",
        amount_awarded="700000.00",
        ggis_award_reference="",
        reason="Round 1 scaled back",
    )
    response = client.post(url("edit", grant_pk=world.grant.pk), data)
    assert response.status_code == 302
    world.grant.refresh_from_db()
    assert world.grant.amount_awarded == Decimal("700000.00")
    assert world.grant.title == "Reclaiming Social Work (Round 1)"
    page = text(client.get(url("detail", grant_pk=world.grant.pk)))
    assert value_of(page, "unallocated") == "£0.00"
    variation = Variation.objects.get(grant=world.grant)
    assert (variation.amount_before, variation.amount_after, variation.reason) == (
        Decimal("1000000.00"),
        Decimal("700000.00"),
        "Round 1 scaled back",
    )
    assert (variation.status, variation.requested_by, variation.decided_by) == (
        "approved",
        world.users.officer,
        world.users.officer,
    )
    assert "Round 1 scaled back" in page


def test_a_large_change_of_award_waits_for_a_second_officer(client, world, settings):
    settings.VARIATION_APPROVAL_THRESHOLD = 100000
    client.force_login(world.users.officer)
    data = grant_data(world, amount_awarded="1200000.00", ggis_award_reference="", reason="Scale-up to a sixth council")
    response = client.post(url("edit", grant_pk=world.grant.pk), data)
    assert response.status_code == 302
    world.grant.refresh_from_db()
    assert world.grant.amount_awarded == Decimal("1000000.00")  # nothing changes yet
    variation = Variation.objects.get(grant=world.grant, status="pending")
    page = text(client.get(url("variations")))
    assert "Scale-up to a sixth council" in page and "You asked for this" in page
    # The officer who asked cannot approve it.
    client.post(url("variation-decide", variation_pk=variation.pk), {"decision": "approve"})
    world.grant.refresh_from_db()
    assert world.grant.amount_awarded == Decimal("1000000.00")
    client.force_login(world.users.admin)
    response = client.post(url("variation-decide", variation_pk=variation.pk), {"decision": "approve", "note": ""})
    assert response.status_code == 302
    world.grant.refresh_from_db()
    variation.refresh_from_db()
    assert world.grant.amount_awarded == Decimal("1200000.00")
    assert (variation.status, variation.decided_by) == ("approved", world.users.admin)


def test_a_change_of_award_without_a_reason_is_refused_and_changes_nothing(client, world):
    client.force_login(world.users.officer)
    data = grant_data(world, amount_awarded="900000.00", ggis_award_reference="", reason="")
    response = client.post(url("edit", grant_pk=world.grant.pk), data)
    assert response.status_code == 200
    assert "Give the reason for the variation" in text(response)
    world.grant.refresh_from_db()
    assert world.grant.amount_awarded == Decimal("1000000.00")
    assert not Variation.objects.exists()


def test_the_amount_awarded_cannot_drop_below_what_is_allocated(client, world):
    client.force_login(world.users.officer)
    response = client.post(
        url("edit", grant_pk=world.grant.pk), grant_data(world, amount_awarded="699999.99", title="Changed")
    )
    page = text(response)
    assert response.status_code == 200
    assert "£700,000.00 of this grant is already allocated, so the amount awarded cannot be less than that" in page
    assert 'id="id_amount_awarded-error"' in page
    world.grant.refresh_from_db()
    assert (world.grant.amount_awarded, world.grant.title) == (Decimal("1000000.00"), "Reclaiming Social Work")


def test_the_edit_form_shows_the_grants_current_values(client, world):
    client.force_login(world.users.officer)
    page = text(client.get(url("edit", grant_pk=world.grant.pk)))
    assert 'value="1000000.00"' in page
    assert 'value="Reclaiming Social Work"' in page


def test_saving_a_grant_never_writes_back_a_stale_status(world):
    stale = Grant.objects.get(pk=world.grant.pk)
    world.grant.set_status(Grant.Status.ACTIVE, by=world.users.officer, reason="Started")
    stale.title = "Renamed"
    save_grant(grant=stale, by=world.users.officer)
    world.grant.refresh_from_db()
    assert (world.grant.status, world.grant.title) == ("active", "Renamed")


def test_the_service_refuses_an_award_below_the_allocations(world):
    world.grant.amount_awarded = Decimal("1.00")
    with pytest.raises(MoneyRuleError, match="already allocated"):
        save_grant(grant=world.grant, by=world.users.officer)
    assert Grant.objects.get(pk=world.grant.pk).amount_awarded == Decimal("1000000.00")


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "harrow", "evaluator"])
def test_only_officers_change_grants(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(url("edit", grant_pk=world.grant.pk)).status_code == 403
    response = client.post(url("edit", grant_pk=world.grant.pk), grant_data(world, amount_awarded="800000.00"))
    assert response.status_code == 403
    world.grant.refresh_from_db()
    assert world.grant.amount_awarded == Decimal("1000000.00")


# The grant page


def test_the_grant_page_shows_allocations_by_year_with_totals_headroom_and_paid(client, world):
    save_allocation(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=FinancialYear(2016),
        resource=Decimal("100000.00"),
        capital=Decimal("25000.25"),
    )
    harrow = world.allocations["GB-LAE-HRW"]
    record_payment(allocation=harrow, amount=Decimal("1000.10"), paid_on=TODAY, by=world.users.finance)
    record_recovery(
        allocation=harrow,
        amount=Decimal("0.10"),
        paid_on=TODAY,
        by=world.users.finance,
        reason="Over",
        recovery_reason="overpayment",
    )
    client.force_login(world.users.officer)
    page = text(client.get(url("detail", grant_pk=world.grant.pk)))
    assert value_of(page, "amount-awarded") == "£1,000,000.00"
    assert value_of(page, "allocated") == "£825,000.25"
    assert value_of(page, "unallocated") == "£174,999.75"
    assert value_of(page, "paid") == "£1,000.00"
    assert "Total for 2015-16" in page and "Total for 2016-17" in page
    assert "<strong>£700,000.00</strong>" in page  # 2015-16 allocated
    assert "<strong>£125,000.25</strong>" in page  # 2016-17 allocated
    assert "<strong>£25,000.25</strong>" in page  # 2016-17 capital
    for allocation in world.allocations.values():
        assert url("allocation", allocation_pk=allocation.pk) in page
    assert url("edit", grant_pk=world.grant.pk) in page
    assert url("allocation-create", grant_pk=world.grant.pk) in page
    assert url("status", grant_pk=world.grant.pk) in page


@pytest.mark.parametrize("persona", ["finance", "viewer", "admin", "morninglane"])
def test_funder_staff_viewers_and_the_lead_see_every_allocation(client, world, persona):
    client.force_login(getattr(world.users, persona))
    page = text(client.get(url("detail", grant_pk=world.grant.pk)))
    assert value_of(page, "unallocated") == "£300,000.00"
    assert all(url("allocation", allocation_pk=a.pk) in page for a in world.allocations.values())
    assert url("edit", grant_pk=world.grant.pk) not in page or persona == "admin"


def test_a_partner_sees_the_grant_but_only_its_own_allocation(client, world):
    client.force_login(world.users.harrow)
    page = text(client.get(url("detail", grant_pk=world.grant.pk)))
    assert "Your organisation's allocations" in page
    assert url("allocation", allocation_pk=world.allocations["GB-LAE-HRW"].pk) in page
    assert url("allocation", allocation_pk=world.allocations["GB-LAE-DBY"].pk) not in page
    assert "Derbyshire" not in page
    assert 'id="unallocated"' not in page and 'id="allocated"' not in page
    assert url("edit", grant_pk=world.grant.pk) not in page


@pytest.mark.parametrize("persona", ["outsider", "kent"])
def test_a_grant_outside_the_users_projects_is_not_found(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(url("detail", grant_pk=world.grant.pk)).status_code == 404


def test_an_evaluator_gets_no_money_pages(client, world):
    client.force_login(world.users.evaluator)
    assert client.get(url("detail", grant_pk=world.grant.pk)).status_code == 403


def test_the_grant_page_makes_the_same_queries_however_many_allocations(client, world, django_assert_max_num_queries):
    client.force_login(world.users.officer)
    with CaptureQueriesContext(connection) as few:
        client.get(url("detail", grant_pk=world.grant.pk))
    for year in (2016, 2017, 2018):
        for org in (world.morning_lane, world.derbyshire, world.harrow):
            allocation = save_allocation(
                grant=world.grant,
                recipient=org,
                financial_year=FinancialYear(year),
                resource=Decimal("1000"),
                capital=Decimal("0"),
            )
            record_payment(allocation=allocation, amount=Decimal("10"), paid_on=TODAY, by=world.users.finance)
    with CaptureQueriesContext(connection) as many:
        client.get(url("detail", grant_pk=world.grant.pk))
    assert len(many) == len(few)
    with django_assert_max_num_queries(12):
        client.get(url("detail", grant_pk=world.grant.pk))


# Grant status


def test_an_officer_moves_a_grant_to_a_legal_status_with_a_reason(client, world):
    client.force_login(world.users.officer)
    page = text(client.get(url("status", grant_pk=world.grant.pk)))
    assert '<option value="active">Active</option>' in page
    assert '<option value="closed">' not in page
    response = client.post(url("status", grant_pk=world.grant.pk), {"status": "active", "reason": "Work has begun"})
    assert response.status_code == 302
    world.grant.refresh_from_db()
    assert world.grant.status == "active"
    change = GrantStatusChange.objects.get(grant=world.grant)
    assert (change.old_status, change.new_status, change.changed_by, change.reason) == (
        "awarded",
        "active",
        world.users.officer,
        "Work has begun",
    )
    page = text(client.get(response["Location"]))
    assert "Grant status changed from Awarded to Active" in page
    assert "Work has begun" in page


def test_an_illegal_status_move_is_refused(client, world):
    client.force_login(world.users.officer)
    response = client.post(url("status", grant_pk=world.grant.pk), {"status": "closed", "reason": "Done"})
    assert response.status_code == 200
    assert "A grant that is awarded cannot move to that status" in text(response)
    world.grant.refresh_from_db()
    assert world.grant.status == "awarded"
    assert not GrantStatusChange.objects.filter(grant=world.grant).exists()


def test_a_move_offered_on_a_page_that_has_since_gone_stale_is_refused(client, world):
    client.force_login(world.users.officer)
    assert '<option value="active">' in text(client.get(url("status", grant_pk=world.grant.pk)))
    world.grant.set_status("withdrawn", by=world.users.admin, reason="Withdrawn by the minister")
    response = client.post(url("status", grant_pk=world.grant.pk), {"status": "active", "reason": "Begun"})
    assert "A grant that is withdrawn cannot move to that status" in text(response)
    world.grant.refresh_from_db()
    assert world.grant.status == "withdrawn"
    assert GrantStatusChange.objects.filter(grant=world.grant).count() == 1


@pytest.mark.parametrize(
    "reason, message",
    [("", "Enter the reason for the change"), ("x" * 1001, "The reason must be 1,000 characters or fewer")],
)
def test_a_status_change_needs_a_short_reason(client, world, reason, message):
    client.force_login(world.users.officer)
    response = client.post(url("status", grant_pk=world.grant.pk), {"status": "active", "reason": reason})
    assert message in text(response)
    world.grant.refresh_from_db()
    assert world.grant.status == "awarded"


def test_a_closed_grant_offers_no_status_change(client, world):
    world.grant.set_status("withdrawn", by=world.users.officer, reason="Withdrawn")
    client.force_login(world.users.officer)
    page = text(client.get(url("status", grant_pk=world.grant.pk)))
    assert "A withdrawn grant cannot move to another status." in page
    assert '<form method="post" novalidate>' not in page


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "evaluator"])
def test_only_officers_change_a_grants_status(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(url("status", grant_pk=world.grant.pk)).status_code == 403
    assert client.post(url("status", grant_pk=world.grant.pk), {"status": "active", "reason": "x"}).status_code == 403
    world.grant.refresh_from_db()
    assert world.grant.status == "awarded"


def test_invented_award_dates_are_marked_but_a_real_amount_is_not(client, world):
    world.grant.dates_are_illustrative = True
    world.grant.save()
    client.force_login(world.users.officer)
    page = client.get(f"/grants/{world.grant.pk}/").content.decode()
    amount = page[page.index('id="amount-awarded"') :]
    amount = amount[: amount.index("</dd>")]
    assert "£1,000,000.00" in amount and "Illustrative" not in amount
    assert page.count('class="app-illustrative"') == 2  # the award date and the planned dates
    assert page.count("Illustrative: invented for the demonstration") == 1  # the legend under them

"""Officers add and edit milestones: delivered by the lead or a partner of the
project, paid from that organisation's allocation of the same project."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from grants.financial_year import FinancialYear
from grants.services import record_payment, save_allocation
from projects.models import Milestone, MilestoneStatusChange, Project
from projects.services import submit_milestone


def create_url(project):
    return reverse("projects:milestone-create", kwargs={"project_pk": project.pk})


def edit_url(milestone):
    return reverse("projects:milestone-edit", kwargs={"milestone_pk": milestone.pk})


def valid(world, **changes):
    data = {
        "title": "Caseload audit",
        "description": "An audit of caseloads.",
        "due_date": "2016-03-31",
        "organisation": world.harrow.pk,
        "payment_amount": "1250.50",
        "allocation": world.allocations["GB-LAE-HRW"].pk,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def officer(client, world):
    client.force_login(world.users.officer)
    return client


def options(page, name):
    select = page[page.index(f'name="{name}"') :]
    select = select[: select.index("</select>")]
    return re.findall(r'<option value="(\d+)"', select)


def test_only_this_projects_organisations_and_allocations_are_offered(officer, world):
    page = officer.get(create_url(world.project)).content.decode()
    assert set(options(page, "organisation")) == {
        str(o.pk) for o in (world.morning_lane, world.derbyshire, world.harrow)
    }
    assert set(options(page, "allocation")) == {str(a.pk) for a in world.allocations.values()}
    assert "London Borough of Harrow, 2015-16, Reclaiming Social Work: £300,000.00" in page
    assert (
        '<a href="{}" class="govuk-back-link">Back</a>'.format(
            reverse("projects:detail", kwargs={"project_pk": world.project.pk})
        )
        in page
    )


def test_an_officer_adds_a_milestone_with_a_payment(officer, world):
    response = officer.post(create_url(world.project), valid(world))
    milestone = Milestone.objects.get(title="Caseload audit")
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:milestone", kwargs={"milestone_pk": milestone.pk})
    assert milestone.project == world.project
    assert milestone.organisation == world.harrow
    assert milestone.due_date == dt.date(2016, 3, 31)
    assert milestone.payment_amount == Decimal("1250.50")
    assert milestone.allocation == world.allocations["GB-LAE-HRW"]
    assert milestone.status == Milestone.Status.PLANNED
    history = MilestoneStatusChange.objects.get(milestone=milestone)
    assert (history.old_status, history.new_status, history.changed_by) == ("", "planned", world.users.officer)


def test_a_milestone_need_not_release_a_payment(officer, world):
    assert officer.post(create_url(world.project), valid(world, payment_amount="", allocation="")).status_code == 302
    milestone = Milestone.objects.get(title="Caseload audit")
    assert milestone.payment_amount is None and milestone.allocation is None


def test_the_amount_and_date_are_read_as_people_type_them_in_the_gov_uk_date_boxes(officer, world):
    data = valid(world, payment_amount="£25,000")
    del data["due_date"]
    data.update({"due_date-day": "31", "due_date-month": "3", "due_date-year": "2016"})
    assert officer.post(create_url(world.project), data).status_code == 302
    milestone = Milestone.objects.get(title="Caseload audit")
    assert (milestone.due_date, milestone.payment_amount) == (dt.date(2016, 3, 31), Decimal("25000.00"))


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": ""}, "title", "Enter the milestone&#x27;s title"),
        ({"title": "x" * 201}, "title", "Title must be 200 characters or fewer"),
        ({"description": "x" * 5001}, "description", "Description must be 5,000 characters or fewer"),
        ({"due_date": ""}, "due_date", "Enter the due date"),
        ({"due_date": "2016-02-30"}, "due_date", "The due date must be a real date"),
        ({"due_date": "30/2/16"}, "due_date", "The year must include 4 numbers"),
        ({"due_date": "1/1/1999"}, "due_date", "The due date must be on or after 1 January 2000"),
        ({"organisation": ""}, "organisation", "Choose the organisation that delivers the milestone"),
        ({"organisation": "kent"}, "organisation", "Choose the lead or a partner of this project"),
        ({"allocation": "kent"}, "allocation", "Choose an allocation from the list"),
        ({"allocation": "GB-LAE-DBY"}, "allocation", "Choose one of London Borough of Harrow’s allocations"),
        ({"allocation": ""}, "allocation", "Choose the allocation the payment is drawn from"),
        ({"payment_amount": ""}, "payment_amount", "Enter the payment amount, or choose ‘No payment’"),
        (
            {"payment_amount": "300000.01"},
            "payment_amount",
            "The payment amount cannot be more than the allocation it is drawn from (£300,000.00)",
        ),
        ({"payment_amount": "abc"}, "payment_amount", "The payment amount must be a number, like 1250.50"),
        ({"payment_amount": "1,0"}, "payment_amount", "The payment amount must be a number, like 1250.50"),
        ({"payment_amount": "Infinity"}, "payment_amount", "The payment amount must be a number, like 1250.50"),
        ({"payment_amount": "1e3"}, "payment_amount", "The payment amount must be a number, like 1250.50"),
        ({"payment_amount": "-5"}, "payment_amount", "The payment amount must be more than £0"),
        ({"payment_amount": "0"}, "payment_amount", "The payment amount must be more than £0"),
        ({"payment_amount": "1e999"}, "payment_amount", "The payment amount must be a number, like 1250.50"),
        (
            {"payment_amount": "123456789012345"},
            "payment_amount",
            "The payment amount must be less than £1,000,000,000,000",
        ),
        (
            {"payment_amount": "12.345"},
            "payment_amount",
            "The payment amount must be in pounds and pence, with no more than 2 decimal places",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_adds_nothing(officer, world, changes, field, message):
    if changes.get("organisation") == "kent":
        changes["organisation"] = world.kent.pk
    if changes.get("allocation") == "kent":
        changes["allocation"] = world.other_allocation.pk
    elif changes.get("allocation") == "GB-LAE-DBY":
        changes["allocation"] = world.allocations["GB-LAE-DBY"].pk
    before = Milestone.objects.count()
    response = officer.post(create_url(world.project), valid(world, **changes))
    page = response.content.decode()
    assert response.status_code == 200
    first_box = "-day" if field == "due_date" else ""  # a date's summary link goes to its day box
    assert f'<a href="#id_{field}{first_box}">{message}' in page
    assert f'id="id_{field}-error"' in page
    assert Milestone.objects.count() == before


def test_an_officer_edits_a_planned_milestone(officer, world):
    milestone = world.harrow_milestone
    page = officer.get(edit_url(milestone)).content.decode()
    assert 'value="Harrow unit recruited"' in page and 'value="40000.00"' in page
    response = officer.post(
        edit_url(milestone), valid(world, title="Harrow unit fully recruited", payment_amount="45000")
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.title == "Harrow unit fully recruited"
    assert milestone.payment_amount == Decimal("45000.00")
    assert milestone.due_date == dt.date(2016, 3, 31)


def test_once_evidence_is_in_who_delivers_it_and_what_it_pays_are_settled(officer, world):
    milestone = world.harrow_milestone
    submit_milestone(milestone=milestone, by=world.users.harrow, narrative="Recruited")
    page = officer.get(edit_url(milestone)).content.decode()
    assert "This cannot change once evidence has been submitted" in page
    assert re.search(r'<select name="organisation"[^>]*disabled', page)
    response = officer.post(
        edit_url(milestone),
        valid(
            world,
            title="Renamed",
            organisation=world.derbyshire.pk,
            payment_amount="1.00",
            allocation=world.allocations["GB-LAE-DBY"].pk,
        ),
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.title == "Renamed"
    assert milestone.organisation == world.harrow
    assert milestone.payment_amount == Decimal("40000.00")
    assert milestone.allocation == world.allocations["GB-LAE-HRW"]
    assert milestone.status == Milestone.Status.SUBMITTED


def test_an_edit_with_bad_money_changes_nothing(officer, world):
    response = officer.post(edit_url(world.harrow_milestone), valid(world, payment_amount="-1"))
    assert response.status_code == 200
    world.harrow_milestone.refresh_from_db()
    assert world.harrow_milestone.payment_amount == Decimal("40000.00")


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "harrow", "evaluator"])
def test_other_roles_cannot_add_or_edit_milestones(client, world, persona):
    client.force_login(getattr(world.users, persona))
    before = Milestone.objects.count()
    assert client.get(create_url(world.project)).status_code == 403
    assert client.post(create_url(world.project), valid(world)).status_code == 403
    assert client.get(edit_url(world.harrow_milestone)).status_code == 403
    assert client.post(edit_url(world.harrow_milestone), valid(world, title="Hacked")).status_code == 403
    assert Milestone.objects.count() == before
    world.harrow_milestone.refresh_from_db()
    assert world.harrow_milestone.title == "Harrow unit recruited"


def test_unknown_projects_and_milestones_are_not_found(officer, world):
    assert officer.get(reverse("projects:milestone-create", kwargs={"project_pk": 999999})).status_code == 404
    assert officer.get(reverse("projects:milestone-edit", kwargs={"milestone_pk": 999999})).status_code == 404


# Commitments (issue 13): a milestone's payment is committed from its allocation when planned.


def test_a_planned_payment_is_committed_from_its_allocation(officer, world):
    harrow = world.allocations["GB-LAE-HRW"]  # £300,000 with £40,000 committed to "Harrow unit recruited"
    officer.post(create_url(world.project), valid(world, payment_amount="1250.50"))
    harrow.balance.refresh_from_db()
    assert harrow.balance.committed == Decimal("41250.50")


def test_a_payment_beyond_the_headroom_is_refused_and_adds_nothing(officer, world):
    harrow = world.allocations["GB-LAE-HRW"]
    response = officer.post(create_url(world.project), valid(world, payment_amount="260000.01"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The allocation&#x27;s headroom is £260,000.00" in page
    assert "committed to milestones £40,000.00" in page
    assert "at most £260,000.00" in page and "variation of the allocation" in page
    assert not Milestone.objects.filter(title="Caseload audit").exists()
    harrow.balance.refresh_from_db()
    assert harrow.balance.committed == Decimal("40000.00")
    # Exactly the headroom is allowed.
    assert officer.post(create_url(world.project), valid(world, payment_amount="260000.00")).status_code == 302


def test_raising_a_planned_payment_counts_its_own_commitment_once(officer, world):
    milestone = world.harrow_milestone  # £40,000 of Harrow's £300,000
    record_payment(
        allocation=world.allocations["GB-LAE-HRW"],
        amount=Decimal("100000"),
        paid_on=dt.date(2016, 1, 15),
        by=world.users.finance,
    )
    # Headroom £160,000, plus the milestone's own £40,000: at most £200,000.
    response = officer.post(edit_url(milestone), valid(world, title=milestone.title, payment_amount="200000.01"))
    assert "at most £200,000.00" in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.payment_amount == Decimal("40000.00")
    assert (
        officer.post(edit_url(milestone), valid(world, title=milestone.title, payment_amount="200000.00")).status_code
        == 302
    )
    milestone.refresh_from_db()
    assert milestone.payment_amount == Decimal("200000.00")
    world.allocations["GB-LAE-HRW"].balance.refresh_from_db()
    assert world.allocations["GB-LAE-HRW"].balance.committed == Decimal("200000.00")


def test_moving_a_payment_to_another_allocation_frees_the_first(officer, world):
    second = save_allocation(
        grant=world.grant,
        recipient=world.harrow,
        financial_year=FinancialYear(2016),
        resource=Decimal("50000"),
        capital=Decimal("0"),
        by=world.users.officer,
    )
    milestone = world.harrow_milestone
    data = valid(world, title=milestone.title, payment_amount="40000.00", allocation=second.pk)
    assert officer.post(edit_url(milestone), data).status_code == 302
    first = world.allocations["GB-LAE-HRW"]
    first.balance.refresh_from_db()
    second.balance.refresh_from_db()
    assert (first.balance.committed, second.balance.committed) == (Decimal("0.00"), Decimal("40000.00"))


def test_a_closed_projects_grants_take_no_new_milestone_payment(officer, world):
    Project.objects.filter(pk=world.project.pk).update(status=Project.Status.CLOSED)
    response = officer.post(create_url(world.project), valid(world))
    assert "only a recovery can be recorded" in response.content.decode()
    assert not Milestone.objects.filter(title="Caseload audit").exists()

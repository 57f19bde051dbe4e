"""Finance pages: the payments waiting list, paying an accepted milestone, a payment
no milestone releases (or one in advance), and recoveries."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from grants.models import AllocationBalance, Payment
from grants.services import record_payment
from projects.models import Milestone, Project
from projects.services import close_project, review_milestone, submit_milestone

TODAY = dt.date(2016, 1, 15)
BAD_AMOUNTS = [
    ("", "Enter the amount"),
    ("abc", "must be a number, like 1250.50"),
    ("-1", "must be more than £0"),
    ("0", "must be more than £0"),
    ("1e999", "must be a number, like 1250.50"),
    ("12345678901234567", "must be less than £1,000,000,000,000"),
]


def url(name, **kwargs):
    return reverse(f"grants:{name}", kwargs=kwargs)


def text(response):
    return response.content.decode()


def value_of(page, element_id):
    match = re.search(rf'id="{element_id}">\s*([^<]*)', page)
    assert match, f"no element {element_id}"
    return match.group(1).strip()


def accept(world, milestone, officer=None):
    submitter = {world.derbyshire.pk: world.users.derbyshire, world.harrow.pk: world.users.harrow}
    submit_milestone(milestone=milestone, by=submitter[milestone.organisation_id], narrative="Delivered as planned")
    review_milestone(milestone=milestone, by=officer or world.users.officer, decision="accepted")
    milestone.refresh_from_db()
    return milestone


def pay_data(**changes):
    values = {"paid_on": "15/01/2016", "reference": "REM-2016-0042"}
    values.update(changes)
    return values


# Payments waiting


def test_nothing_waits_until_a_milestone_is_accepted(client, world):
    client.force_login(world.users.finance)
    page = text(client.get(url("payments-waiting")))
    assert "No payments are waiting." in page


def test_accepted_milestones_wait_with_who_accepted_them_when_and_how_much(client, world):
    accept(world, world.derbyshire_milestone)
    accept(world, world.harrow_milestone, officer=world.users.admin)
    client.force_login(world.users.finance)
    page = text(client.get(url("payments-waiting")))
    assert 'class="govuk-table"' in page
    assert "2 payments waiting, <strong>£90,000.00</strong> in all." in page
    assert "Family breakdown unit running" in page and "Harrow unit recruited" in page
    assert "£50,000.00" in page and "£40,000.00" in page
    assert "Derbyshire County Council" in page and "London Borough of Harrow" in page
    assert "Reclaiming Social Work" in page
    assert "by Officer Tester" in page and "by Admin Tester" in page
    assert timezone.localdate().strftime("%-d %b %Y") in page
    assert url("milestone-pay", milestone_pk=world.derbyshire_milestone.pk) in page
    assert "Hubs open" not in page  # Kent's milestone has not been accepted


def test_payments_waiting_never_lists_a_payment_that_cannot_be_made(client, world):
    """A milestone accepted where the money is gone (a balance broken before commitments were kept, or
    the project closed since) is not offered to finance: it could only end in a refusal."""
    accept(world, world.derbyshire_milestone)
    accept(world, world.harrow_milestone)
    # Derbyshire's allocation already fully paid, as the rows of an old import might leave it.
    AllocationBalance.objects.filter(allocation=world.allocations["GB-LAE-DBY"]).update(paid=Decimal("300000.00"))
    client.force_login(world.users.finance)
    page = text(client.get(url("payments-waiting")))
    assert "Family breakdown unit running" not in page
    assert "1 payment waiting, <strong>£40,000.00</strong> in all." in page
    # Closed as an officer closes it (the page, read above, is shared until the data changes).
    world.project.set_status(Project.Status.CLOSING, by=world.users.officer)
    close_project(project=world.project, by=world.users.officer, exception="Ended early")
    assert "No payments are waiting." in text(client.get(url("payments-waiting")))


def test_accepting_says_whether_finance_can_pay(client, world):
    client.force_login(world.users.officer)
    submit_milestone(milestone=world.harrow_milestone, by=world.users.harrow, narrative="Recruited")
    review = reverse("projects:milestone-review", kwargs={"milestone_pk": world.harrow_milestone.pk})
    page = text(client.get(client.post(review, {"decision": "accepted"})["Location"]))
    assert "A finance officer can now release its payment of £40,000.00" in page


def test_a_paid_milestone_no_longer_waits(client, world):
    accept(world, world.derbyshire_milestone)
    accept(world, world.harrow_milestone)
    client.force_login(world.users.finance)
    client.post(url("milestone-pay", milestone_pk=world.derbyshire_milestone.pk), pay_data())
    page = text(client.get(url("payments-waiting")))
    assert "1 payment waiting, <strong>£40,000.00</strong> in all." in page
    assert "Family breakdown unit running" not in page


@pytest.mark.parametrize("persona", ["officer", "admin", "viewer"])
def test_funder_staff_and_viewers_read_the_list_but_only_finance_gets_pay_links(client, world, persona):
    accept(world, world.derbyshire_milestone)
    client.force_login(getattr(world.users, persona))
    response = client.get(url("payments-waiting"))
    assert response.status_code == 200
    assert "Family breakdown unit running" in text(response)
    assert url("milestone-pay", milestone_pk=world.derbyshire_milestone.pk) not in text(response)


@pytest.mark.parametrize("persona", ["morninglane", "derbyshire", "evaluator", "outsider"])
def test_recipients_and_evaluators_do_not_get_the_list(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(url("payments-waiting")).status_code == 403


def test_the_list_makes_the_same_queries_however_many_rows(client, world, django_assert_max_num_queries):
    accept(world, world.derbyshire_milestone)
    client.force_login(world.users.finance)
    with CaptureQueriesContext(connection) as few:
        client.get(url("payments-waiting"))
    for number in range(4):
        milestone = Milestone.objects.create(
            project=world.project,
            organisation=world.harrow,
            title=f"Extra {number}",
            due_date=TODAY,
            payment_amount=Decimal("1000.00"),
            allocation=world.allocations["GB-LAE-HRW"],
        )
        accept(world, milestone)
    with CaptureQueriesContext(connection) as many:
        page = text(client.get(url("payments-waiting")))
    assert "5 payments waiting, <strong>£54,000.00</strong> in all." in page
    assert len(many) == len(few)
    with django_assert_max_num_queries(9):  # and one to count the pages
        client.get(url("payments-waiting"))


# Paying a milestone


def test_finance_pays_an_accepted_milestone_and_it_shows_on_the_allocation_to_the_penny(client, world):
    milestone = accept(world, world.derbyshire_milestone)
    client.force_login(world.users.finance)
    page = text(client.get(url("milestone-pay", milestone_pk=milestone.pk)))
    assert value_of(page, "amount") == "£50,000.00"
    assert "Officer Tester" in page
    assert "Derbyshire County Council, 2015-16" in page
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Payment date</legend>' in page
    assert re.search(r'<label class="govuk-label[^"]*" for="id_paid_on-day">Day', page)
    assert re.search(r'<label class="govuk-label[^"]*" for="id_reference">Remittance reference', page)
    response = client.post(url("milestone-pay", milestone_pk=milestone.pk), pay_data())
    allocation = world.allocations["GB-LAE-DBY"]
    assert response.status_code == 302
    assert response["Location"] == url("allocation", allocation_pk=allocation.pk)
    payment = Payment.objects.get(milestone=milestone)
    assert (payment.amount, payment.allocation, payment.kind) == (Decimal("50000.00"), allocation, "payment")
    assert (payment.paid_on, payment.reference, payment.recorded_by) == (TODAY, "REM-2016-0042", world.users.finance)
    assert payment.in_advance is False
    page = text(client.get(response["Location"]))
    assert "Payment of £50,000.00 to Derbyshire County Council recorded" in page
    assert value_of(page, "paid") == "£50,000.00"
    assert value_of(page, "committed") == "£0.00"  # the milestone's commitment became the payment
    assert value_of(page, "headroom") == "£250,000.00"
    assert "REM-2016-0042" in page


def test_a_milestone_is_paid_only_once(client, world):
    milestone = accept(world, world.derbyshire_milestone)
    client.force_login(world.users.finance)
    client.post(url("milestone-pay", milestone_pk=milestone.pk), pay_data())
    page = text(client.get(url("milestone-pay", milestone_pk=milestone.pk)))
    assert "This milestone's payment of £50,000.00 was made on 15 January 2016." in page
    response = client.post(url("milestone-pay", milestone_pk=milestone.pk), pay_data(reference="REM-AGAIN"))
    assert response.status_code == 200
    assert "This milestone&#x27;s payment has already been made" in text(response)
    assert Payment.objects.filter(milestone=milestone).count() == 1


def test_an_officer_who_accepted_cannot_pay_it(client, world):
    milestone = accept(world, world.derbyshire_milestone)
    client.force_login(world.users.officer)
    assert client.get(url("milestone-pay", milestone_pk=milestone.pk)).status_code == 403
    assert client.post(url("milestone-pay", milestone_pk=milestone.pk), pay_data()).status_code == 403
    assert not Payment.objects.exists()


def test_the_person_who_accepted_is_refused_even_after_moving_to_finance(client, world):
    milestone = accept(world, world.derbyshire_milestone)
    person = world.users.officer
    person.role = Role.FINANCE
    person.save()
    client.force_login(person)
    page = text(client.get(url("milestone-pay", milestone_pk=milestone.pk)))
    assert "You accepted this milestone, so someone else must approve its payment." in page
    assert 'name="reference"' not in page
    response = client.post(url("milestone-pay", milestone_pk=milestone.pk), pay_data())
    assert response.status_code == 200
    assert "You accepted this milestone, so someone else must approve its payment" in text(response)
    assert not Payment.objects.exists()


def test_a_milestone_that_is_not_accepted_is_not_paid_here(client, world):
    client.force_login(world.users.finance)
    page = text(client.get(url("milestone-pay", milestone_pk=world.derbyshire_milestone.pk)))
    assert "This milestone has not been accepted yet." in page
    assert 'name="reference"' not in page
    response = client.post(url("milestone-pay", milestone_pk=world.derbyshire_milestone.pk), pay_data())
    assert "This milestone has not been accepted: a payment in advance needs a recorded reason" in text(response)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"paid_on": ""}, "Enter the payment date"),
        ({"paid_on": "32/01/2016"}, "The payment date must be a real date"),
        (
            {"paid_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()},
            "The payment date must be today or in the past",
        ),
        ({"reference": ""}, "Enter the remittance reference"),
        ({"reference": "R" * 61}, "The reference must be 60 characters or fewer"),
    ],
)
def test_bad_payment_details_get_a_clear_error_and_pay_nothing(client, world, changes, message):
    milestone = accept(world, world.derbyshire_milestone)
    client.force_login(world.users.finance)
    response = client.post(url("milestone-pay", milestone_pk=milestone.pk), pay_data(**changes))
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert message in text(response)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("persona", ["admin", "viewer", "derbyshire", "morninglane", "evaluator"])
def test_only_finance_pays_milestones(client, world, persona):
    milestone = accept(world, world.derbyshire_milestone)
    client.force_login(getattr(world.users, persona))
    assert client.get(url("milestone-pay", milestone_pk=milestone.pk)).status_code == 403
    assert client.post(url("milestone-pay", milestone_pk=milestone.pk), pay_data()).status_code == 403
    assert not Payment.objects.exists()


def test_a_milestone_that_does_not_exist_is_not_found(client, world):
    client.force_login(world.users.finance)
    assert client.get(url("milestone-pay", milestone_pk=999999)).status_code == 404


# A payment no accepted milestone releases


def payment_data(**changes):
    values = {
        "amount": "1234.56",
        "paid_on": "2016-01-15",
        "reference": "REM-7",
        "milestone": "",
        "advance_reason": "",
        "note": "Set-up costs",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def test_finance_records_a_payment_against_an_allocation(client, world):
    allocation = world.allocations["GB-LAE-HRW"]
    client.force_login(world.users.finance)
    page = text(client.get(url("payment-create", allocation_pk=allocation.pk)))
    # The milestone not yet accepted may be paid ahead of.
    assert (
        f'<option value="{world.harrow_milestone.pk}">Harrow unit recruited (£40,000.00, due 30 September 2015)' in page
    )
    response = client.post(url("payment-create", allocation_pk=allocation.pk), payment_data())
    assert response.status_code == 302
    payment = Payment.objects.get(allocation=allocation)
    assert (payment.amount, payment.paid_on, payment.reference, payment.note) == (
        Decimal("1234.56"),
        TODAY,
        "REM-7",
        "Set-up costs",
    )
    assert (payment.milestone, payment.in_advance, payment.recorded_by) == (None, False, world.users.finance)
    page = text(client.get(response["Location"]))
    assert value_of(page, "paid") == "£1,234.56"
    assert value_of(page, "committed") == "£40,000.00"  # Harrow's milestone, planned
    assert value_of(page, "headroom") == "£258,765.44"  # 300,000 - 1,234.56 - 40,000


def test_a_payment_in_advance_of_a_milestone_records_its_reason(client, world):
    allocation = world.allocations["GB-LAE-HRW"]
    client.force_login(world.users.finance)
    response = client.post(
        url("payment-create", allocation_pk=allocation.pk),
        payment_data(
            amount="40000.00",
            milestone=world.harrow_milestone.pk,
            in_advance="on",
            advance_reason="Recruitment costs fall before the review",
        ),
    )
    assert response.status_code == 302
    payment = Payment.objects.get(allocation=allocation)
    assert (payment.milestone, payment.in_advance) == (world.harrow_milestone, True)
    assert payment.advance_reason == "Recruitment costs fall before the review"
    page = text(client.get(response["Location"]))
    assert "In advance" in page and "Recruitment costs fall before the review" in page


def test_a_payment_in_advance_needs_a_reason(client, world):
    allocation = world.allocations["GB-LAE-HRW"]
    client.force_login(world.users.finance)
    response = client.post(url("payment-create", allocation_pk=allocation.pk), payment_data(in_advance="on"))
    assert "Give the reason for paying in advance" in text(response)
    response = client.post(
        url("payment-create", allocation_pk=allocation.pk), payment_data(milestone=world.harrow_milestone.pk)
    )
    assert "A payment ahead of a milestone that has not been accepted is a payment in advance" in text(response)
    assert not Payment.objects.exists()


def test_an_accepted_milestone_is_not_paid_from_this_form(client, world):
    milestone = accept(world, world.harrow_milestone)
    client.force_login(world.users.finance)
    page = text(client.get(url("payment-create", allocation_pk=milestone.allocation_id)))
    assert f'<option value="{milestone.pk}"' not in page
    response = client.post(
        url("payment-create", allocation_pk=milestone.allocation_id),
        payment_data(milestone=milestone.pk, in_advance="on", advance_reason="x"),
    )
    assert "Choose one of this allocation&#x27;s unpaid milestones" in text(response)
    assert not Payment.objects.exists()


def test_payments_never_pass_the_allocations_headroom(client, world):
    allocation = world.allocations["GB-LAE-HRW"]  # £300,000, of which £40,000 is committed to a milestone
    record_payment(allocation=allocation, amount=Decimal("259999.99"), paid_on=TODAY, by=world.users.finance)
    client.force_login(world.users.finance)
    response = client.post(url("payment-create", allocation_pk=allocation.pk), payment_data(amount="0.02"))
    page = text(response)
    assert "The allocation&#x27;s headroom is £0.01" in page
    assert "committed to milestones £40,000.00" in page
    assert "so at most £0.01 can be paid" in page and "vary the allocation" in page
    assert Payment.objects.filter(allocation=allocation).count() == 1


@pytest.mark.parametrize("amount, message", BAD_AMOUNTS)
def test_a_bad_payment_amount_gets_a_clear_error_and_pays_nothing(client, world, amount, message):
    client.force_login(world.users.finance)
    response = client.post(
        url("payment-create", allocation_pk=world.allocations["GB-LAE-HRW"].pk), payment_data(amount=amount)
    )
    assert response.status_code == 200
    assert message in text(response)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"paid_on": (timezone.localdate() + dt.timedelta(days=1)).strftime("%d/%m/%Y")},
            "The payment date must be today or in the past",
        ),
        ({"paid_on": "yesterday"}, "The payment date must be a real date"),
        ({"reference": "R" * 61}, "The reference must be 60 characters or fewer"),
        ({"note": "n" * 1001}, "The note must be 1,000 characters or fewer"),
        ({"in_advance": "on", "advance_reason": "r" * 1001}, "The reason must be 1,000 characters or fewer"),
        ({"milestone": "999999"}, "Choose one of this allocation&#x27;s unpaid milestones"),
    ],
)
def test_other_bad_payment_details_get_a_clear_error(client, world, changes, message):
    client.force_login(world.users.finance)
    response = client.post(
        url("payment-create", allocation_pk=world.allocations["GB-LAE-HRW"].pk), payment_data(**changes)
    )
    assert message in text(response)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "admin", "viewer", "harrow", "evaluator"])
def test_only_finance_records_payments(client, world, persona):
    allocation = world.allocations["GB-LAE-HRW"]
    client.force_login(getattr(world.users, persona))
    assert client.get(url("payment-create", allocation_pk=allocation.pk)).status_code == 403
    assert client.post(url("payment-create", allocation_pk=allocation.pk), payment_data()).status_code == 403
    assert not Payment.objects.exists()


# Recoveries


def recovery_data(**changes):
    values = {
        "amount": "250.50",
        "paid_on": "15/01/2016",
        "recovery_reason": "underspend_returned",
        "reason": "Underspend returned",
        "reference": "REC-1",
    }
    values.update(changes)
    return values


def test_finance_records_a_recovery_and_net_paid_falls(client, world):
    allocation = world.allocations["GB-LAE-HRW"]
    record_payment(allocation=allocation, amount=Decimal("1000.00"), paid_on=TODAY, by=world.users.finance)
    client.force_login(world.users.finance)
    response = client.post(url("recovery-create", allocation_pk=allocation.pk), recovery_data())
    assert response.status_code == 302
    recovery = Payment.objects.get(allocation=allocation, kind="recovery")
    assert (recovery.amount, recovery.note, recovery.reference, recovery.recorded_by) == (
        Decimal("250.50"),
        "Underspend returned",
        "REC-1",
        world.users.finance,
    )
    page = text(client.get(response["Location"]))
    assert "Recovery of £250.50 from London Borough of Harrow recorded" in page
    assert value_of(page, "paid") == "£749.50"
    assert "-£250.50" in page
    assert recovery.recovery_reason == "underspend_returned"
    # Recovered money is held: not payable again until an officer varies the allocation.
    assert value_of(page, "held") == "£250.50"
    assert value_of(page, "headroom") == "£259,000.00"  # 300,000 - 749.50 - 40,000 committed - 250.50 held


def test_no_more_can_be_recovered_than_was_paid(client, world):
    allocation = world.allocations["GB-LAE-HRW"]
    record_payment(allocation=allocation, amount=Decimal("1000.00"), paid_on=TODAY, by=world.users.finance)
    client.force_login(world.users.finance)
    response = client.post(url("recovery-create", allocation_pk=allocation.pk), recovery_data(amount="1000.01"))
    assert "Only £1,000.00 has been paid against this allocation" in text(response)
    assert not Payment.objects.filter(kind="recovery").exists()


@pytest.mark.parametrize("amount, message", BAD_AMOUNTS)
def test_a_bad_recovery_amount_gets_a_clear_error(client, world, amount, message):
    allocation = world.allocations["GB-LAE-HRW"]
    record_payment(allocation=allocation, amount=Decimal("1000.00"), paid_on=TODAY, by=world.users.finance)
    client.force_login(world.users.finance)
    response = client.post(url("recovery-create", allocation_pk=allocation.pk), recovery_data(amount=amount))
    assert message.replace("the amount", "the amount recovered") in text(response)
    assert not Payment.objects.filter(kind="recovery").exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"reason": ""}, "Enter the reason for the recovery"),
        ({"reason": "r" * 1001}, "The reason must be 1,000 characters or fewer"),
        ({"paid_on": ""}, "Enter the date the money was recovered"),
        (
            {"paid_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()},
            "The date the money was recovered must be today or in the past",
        ),
    ],
)
def test_other_bad_recovery_details_get_a_clear_error(client, world, changes, message):
    allocation = world.allocations["GB-LAE-HRW"]
    record_payment(allocation=allocation, amount=Decimal("1000.00"), paid_on=TODAY, by=world.users.finance)
    client.force_login(world.users.finance)
    response = client.post(url("recovery-create", allocation_pk=allocation.pk), recovery_data(**changes))
    assert message in text(response)
    assert not Payment.objects.filter(kind="recovery").exists()


@pytest.mark.parametrize("persona", ["officer", "viewer", "harrow", "morninglane"])
def test_only_finance_records_recoveries(client, world, persona):
    allocation = world.allocations["GB-LAE-HRW"]
    record_payment(allocation=allocation, amount=Decimal("1000.00"), paid_on=TODAY, by=world.users.finance)
    client.force_login(getattr(world.users, persona))
    assert client.get(url("recovery-create", allocation_pk=allocation.pk)).status_code == 403
    assert client.post(url("recovery-create", allocation_pk=allocation.pk), recovery_data()).status_code == 403
    assert not Payment.objects.filter(kind="recovery").exists()


def test_payments_waiting_are_listed_fifty_a_page_with_the_whole_count_and_total(client, world):
    """The page stays the same size however many payments wait; the count and total cover them all."""
    for n in range(51):
        milestone = Milestone.objects.create(
            project=world.project,
            organisation=world.harrow,
            title=f"Extra milestone {n:02d}",
            due_date=dt.date(2015, 9, 30),
            payment_amount=Decimal("1.01"),
            allocation=world.allocations["GB-LAE-HRW"],
        )
        milestone.record_initial_status(by=world.users.officer)
        submit_milestone(milestone=milestone, by=world.users.harrow, narrative="Done")
        review_milestone(milestone=milestone, by=world.users.officer, decision="accepted")
    client.force_login(world.users.finance)
    first = client.get(reverse("grants:payments-waiting")).content.decode()
    second = client.get(reverse("grants:payments-waiting") + "?page=2").content.decode()
    listed = [set(re.findall(r"Extra milestone \d\d", page)) for page in (first, second)]
    assert (len(listed[0]), len(listed[1])) == (50, 1) and not listed[0] & listed[1]
    assert "51 payments waiting, <strong>£51.51</strong> in all." in first
    assert "Page 1 of 2" in first and "Page 2 of 2" in second

"""What each event tells whom: milestone evidence submitted and reviewed, a payment made, a spend
return submitted, an evaluation report added. Each message goes to Django's outbox after the commit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role, User
from evaluations.services import add_report
from grants.services import pay_milestone, record_payment
from grants.spend_returns import ReturnEntry, save_spend_returns, submit_spend_return
from notifications.catalogue import Kind
from notifications.models import Message
from notifications.services import long_date, save_preferences
from projects import notices
from projects.services import review_milestone, submit_milestone

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SITE = "http://127.0.0.1:8000"


@pytest.fixture
def sending(send_at_once, django_capture_on_commit_callbacks):
    """Run a service and send what it recorded, as after its commit; the outbox is cleared first."""

    def run(service, **arguments):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            return service(**arguments)

    return run


def outbox_to(address):
    return [message for message in mail.outbox if address in message.to]


def submit_and_review(world, sending, decision, reason=""):
    milestone = world.derbyshire_milestone
    sending(submit_milestone, milestone=milestone, by=world.users.derbyshire, narrative="The unit is running.")
    return sending(review_milestone, milestone=milestone, by=world.users.officer, decision=decision, reason=reason)


def test_submitted_evidence_is_told_to_programme_officers_only(world, sending):
    milestone = world.derbyshire_milestone
    sending(submit_milestone, milestone=milestone, by=world.users.derbyshire, narrative="The unit is running.")
    assert {address for message in mail.outbox for address in message.to} == {"officer@example.gov.uk"}
    (message,) = mail.outbox
    assert message.subject == f"1 submission waiting for review on {long_date(timezone.localdate())}"
    assert "Family breakdown unit running, Derbyshire County Council (Reclaiming Social Work)" in message.body
    assert f"{SITE}/projects/milestones/{milestone.pk}/review/" in message.body
    assert message.body.startswith("Dear Officer Tester,")


def test_a_return_reaches_the_milestone_organisation_with_the_reason(world, sending):
    review = submit_and_review(world, sending, "returned", reason="The attendance figures are missing.")
    assert [message.to for message in mail.outbox] == [["derbyshire@example.gov.uk"]]  # not Harrow, not the lead
    (message,) = mail.outbox
    assert message.subject == "Milestone evidence returned: Family breakdown unit running (Reclaiming Social Work)"
    today = timezone.localdate()
    for text in (
        "Dear Derbyshire Tester,",
        "Officer Tester returned the evidence Derbyshire County Council submitted",
        f"of Reclaiming Social Work on {today.day} {today:%B %Y}.",
        "The attendance figures are missing.",
        "The milestone was due on 30 September 2015.",
        "Its payment of £50,000.00 is released once the evidence is accepted.",
    ):
        assert text in message.body
    assert message.body.rstrip().endswith(f"{SITE}/projects/milestones/{world.derbyshire_milestone.pk}/")
    row = Message.objects.get(kind=Kind.MILESTONE_RETURNED)
    assert row.key == f"milestone:{world.derbyshire_milestone.pk}:returned:{review.pk}"
    assert row.status == Message.Status.SENT


def test_each_event_is_told_once(world, sending):
    review = submit_and_review(world, sending, "returned", reason="Missing figures.")
    sending(notices.milestone_reviewed, review=review)  # told again, as a retried request would
    assert mail.outbox == []
    assert Message.objects.filter(kind=Kind.MILESTONE_RETURNED).count() == 1
    # A second return of a new submission is a new event.
    submit_and_review(world, sending, "returned", reason="Still missing.")
    assert [m.subject for m in mail.outbox if "returned" in m.subject] and len(
        outbox_to("derbyshire@example.gov.uk")
    ) == 1
    assert Message.objects.filter(kind=Kind.MILESTONE_RETURNED).count() == 2


def test_an_acceptance_with_a_payment_tells_the_organisation_and_finance(world, sending):
    submit_and_review(world, sending, "accepted")
    (accepted,) = outbox_to("derbyshire@example.gov.uk")
    assert accepted.subject == "Milestone evidence accepted: Family breakdown unit running (Reclaiming Social Work)"
    assert "releases a payment of £50,000.00" in accepted.body
    (waiting,) = outbox_to("finance@example.gov.uk")
    assert (
        waiting.subject == "Payment of £50,000.00 to Derbyshire County Council waiting: Family breakdown unit running"
    )
    assert "from its 2015-16 allocation" in waiting.body
    assert f"{SITE}/grants/milestones/{world.derbyshire_milestone.pk}/pay/" in waiting.body
    assert outbox_to("harrow@example.gov.uk") == [] and outbox_to("morninglane@example.gov.uk") == []
    assert len(mail.outbox) == 2
    # The daily reminder of payments waiting uses the same key, so finance hears of it once.
    assert (
        Message.objects.get(kind=Kind.PAYMENT_WAITING).key
        == f"milestone:{world.derbyshire_milestone.pk}:payment_waiting"
    )


def test_a_payment_tells_the_paid_organisation_with_amount_date_and_remittance(world, sending):
    submit_and_review(world, sending, "accepted")
    payment = sending(
        pay_milestone,
        milestone=world.derbyshire_milestone,
        paid_on=dt.date(2015, 10, 31),
        by=world.users.finance,
        reference="REM-2015-0042",
    )
    assert [message.to for message in mail.outbox] == [["derbyshire@example.gov.uk"]]
    (message,) = mail.outbox
    assert message.subject == "Payment of £50,000.00 made to Derbyshire County Council (reference REM-2015-0042)"
    assert (
        "A payment of £50,000.00 to Derbyshire County Council was made on 31 October 2015 for the milestone "
        '"Family breakdown unit running", from the 2015-16 allocation of the grant "Reclaiming Social Work" '
        "for Reclaiming Social Work." in " ".join(message.body.split())
    )
    assert "Remittance reference: REM-2015-0042" in message.body
    assert f"{SITE}/grants/allocations/{payment.allocation_id}/" in message.body


def test_a_payment_without_a_milestone_or_reference(world, sending):
    sending(
        record_payment,
        allocation=world.allocations["GB-LAE-HRW"],
        amount=Decimal("1234.5"),
        paid_on=dt.date(2015, 6, 1),
        by=world.users.finance,
        in_advance=True,
        advance_reason="Set-up costs",
    )
    (message,) = mail.outbox
    assert message.to == ["harrow@example.gov.uk"]
    assert message.subject == "Payment of £1,234.50 made to London Borough of Harrow"
    assert "Remittance reference: none was given" in message.body


def test_a_spend_return_is_told_to_programme_officers(world, sending):
    spend_return = sending(
        submit_spend_return,
        allocation=world.allocations["GB-LAE-DBY"],
        by=world.users.derbyshire,
        quarter=1,
        spent=Decimal("60000"),
        forecast=Decimal("200000"),
    )
    (message,) = mail.outbox
    assert message.to == ["officer@example.gov.uk"]
    assert (
        "Derbyshire County Council, 2015-16 Q1 (Reclaiming Social Work): spent £60,000.00, forecast £200,000.00"
        in message.body
    )
    assert f"{SITE}/grants/returns/{spend_return.pk}/review/" in message.body


def test_a_sheet_of_spend_returns_is_told_to_officers_in_one_message(world, sending):
    entries = [
        ReturnEntry(allocation=world.allocations[org_id], quarter=1, spent=Decimal(spent), forecast=Decimal("1000.50"))
        for org_id, spent in (("GB-LAE-DBY", "60000"), ("GB-LAE-HRW", "1250.5"))
    ]
    assert sending(save_spend_returns, by=world.users.officer, entries=entries) == {}
    (message,) = mail.outbox
    assert message.to == ["officer@example.gov.uk"]
    assert message.subject == f"2 submissions waiting for review on {long_date(timezone.localdate())}"
    assert "2 spend returns are waiting" in message.body
    assert "Derbyshire County Council, 2015-16 Q1 (Reclaiming Social Work): spent £60,000.00" in message.body
    assert "London Borough of Harrow, 2015-16 Q1 (Reclaiming Social Work): spent £1,250.50" in message.body
    assert message.body.rstrip().endswith(f"{SITE}/spend-returns/to-review/")
    # A sheet with a refused row writes nothing and tells no one.
    bad = [ReturnEntry(allocation=world.allocations["GB-LAE-DBY"], quarter=2, spent=Decimal("-1"), forecast=Decimal(0))]
    assert sending(save_spend_returns, by=world.users.officer, entries=bad)
    assert mail.outbox == [] and Message.objects.filter(kind="submission_waiting").count() == 1


def test_a_new_evaluation_report_tells_other_evaluators_and_officers(world, sending, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    colleague = User.objects.create_user(
        "colleague",
        "colleague@example.gov.uk",
        "a-long-test-password-1",
        role=Role.EVALUATOR,
        organisation=world.university,
        first_name="Cole",
        last_name="League",
    )
    User.objects.create_user(
        "unassigned",
        "unassigned@example.gov.uk",
        "a-long-test-password-1",
        role=Role.EVALUATOR,
        organisation=world.university,
    )
    world.evaluation.evaluators.add(colleague)
    sending(
        add_report,
        evaluation=world.evaluation,
        by=world.users.evaluator,
        title="Interim findings",
        kind="interim",
        published_on=dt.date(2016, 7, 1),
        upload=SimpleUploadedFile("interim.pdf", PDF, content_type="application/pdf"),
    )
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "colleague@example.gov.uk",
        "officer@example.gov.uk",
    ]
    message = outbox_to("colleague@example.gov.uk")[0]
    assert message.subject == "New interim report: Interim findings (Evaluation of Reclaiming Social Work)"
    assert (
        'Evaluator Tester added a new interim report, "Interim findings", to Evaluation of Reclaiming Social Work'
        in message.body
    )
    assert "(of Reclaiming Social Work). It was published on 1 July 2016." in message.body
    assert f"{SITE}/evaluations/{world.evaluation.pk}/" in message.body


def test_a_switched_off_kind_is_not_sent_and_a_required_one_is(world, sending):
    save_preferences(
        user=world.users.derbyshire, switched_off=[Kind.MILESTONE_ACCEPTED, Kind.MILESTONE_RETURNED], weekly=False
    )
    submit_and_review(world, sending, "returned", reason="Missing figures.")
    assert len(outbox_to("derbyshire@example.gov.uk")) == 1  # a return cannot be switched off
    submit_and_review(world, sending, "accepted")
    assert outbox_to("derbyshire@example.gov.uk") == []
    assert not Message.objects.filter(kind=Kind.MILESTONE_ACCEPTED).exists()
    assert len(outbox_to("finance@example.gov.uk")) == 1  # finance did not switch anything off


def test_a_failed_event_records_no_message(world, sending):
    """The message is written in the event's transaction: an event refused leaves no message behind."""
    world.derbyshire_milestone.status = "accepted"
    world.derbyshire_milestone.save()
    with pytest.raises(Exception):
        sending(submit_milestone, milestone=world.derbyshire_milestone, by=world.users.derbyshire, narrative="Again")
    assert Message.objects.count() == 0 and mail.outbox == []

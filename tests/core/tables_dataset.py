"""A fixed dataset that puts rows in every table of the service, and the pages that show them: the
GOV.UK row renderer is checked against django-tables2's own cell machinery on these pages."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from downloads.models import ExportJob
from evaluations.models import OutcomeMeasure
from grants import money
from grants.models import Organisation, Variation
from notifications.catalogue import Kind
from notifications.models import Message
from projects.models import Milestone, MilestoneReview, MilestoneSubmission

AT = timezone.make_aware(dt.datetime(2015, 10, 1, 9, 30))


def fill(world):
    """Rows for the tables the ``world`` fixture leaves empty, with the awkward cases: text that needs
    escaping, empty values that fall back to a column's default, each branch of the render methods."""
    allocation = world.allocations["GB-LAE-HRW"]
    for number, title in enumerate(("Waiting <one> & more", "Waiting two")):
        milestone = Milestone.objects.create(
            project=world.project,
            organisation=world.harrow,
            title=title,
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
            reviewed_at=AT + dt.timedelta(days=number),
        )
    money.refresh_balance(allocation.pk)

    common = {"grant": world.grant, "amount_before": Decimal("100.00"), "requested_by": world.users.officer}
    Variation.objects.create(
        **common,
        allocation=allocation,
        amount_after=Decimal("90.00"),
        reason="Late <start>",
        status=Variation.Status.APPROVED,
        requested_at=AT,
        decided_by=world.users.finance,
        decided_at=AT + dt.timedelta(days=2),
        decision_note="Agreed & noted",
    )
    Variation.objects.create(
        **common,
        amount_after=Decimal("120.00"),
        reason="Scale-up",
        status=Variation.Status.REJECTED,
        requested_at=AT,
        decided_by=world.users.finance,
        decided_at=AT + dt.timedelta(days=3),
    )
    Variation.objects.create(**common, amount_after=Decimal("80.00"), reason="Still waiting", requested_at=AT)

    Organisation.objects.filter(pk=world.harrow.pk).update(valid_to=dt.date(2019, 6, 30))
    OutcomeMeasure.objects.create(
        name="Children looked after per 10,000",
        description="Rate at 31 March <b>",
        outcome_area=world.measure.outcome_area,
        unit="per_10000",
        direction="lower",
    )
    world.users.derbyshire.is_lead_contact = True
    world.users.derbyshire.save(update_fields=["is_lead_contact"])

    message = {"subject": "Milestone waiting", "body": "Body", "created_at": AT}
    Message.objects.create(
        **message,
        user=world.users.officer,
        email="officer@example.com",
        kind=Kind.choices[0][0],
        key="a",
        status=Message.Status.SENT,
        sent_at=AT,
    )
    Message.objects.create(
        **message,
        email="someone@example.com",
        kind=Kind.choices[0][0],
        key="b",
        status=Message.Status.FAILED,
        attempts=3,
        last_error="Refused <550>",
    )
    Message.objects.create(
        **message,
        email="other@example.com",
        kind=Kind.choices[0][0],
        key="c",
        attempts=1,
    )
    ExportJob.objects.create(user=world.users.officer, kind=ExportJob.Kind.choices[0][0], created_at=AT)


def pages(world):
    """(persona, address) for every page with a django-tables2 table, sorted and unsorted."""
    return [
        ("officer", reverse("projects:list")),
        ("officer", reverse("projects:list") + "?sort=-awarded_total"),
        ("derbyshire", reverse("projects:yours")),
        ("morninglane", reverse("projects:yours")),
        ("finance", reverse("grants:payments-waiting")),
        ("officer", reverse("grants:payments-waiting")),
        ("viewer", reverse("grants:variations")),
        ("officer", reverse("grants:detail", kwargs={"grant_pk": world.grant.pk})),
        ("officer", reverse("grants:allocation", kwargs={"allocation_pk": world.allocations["GB-LAE-HRW"].pk})),
        ("officer", reverse("grants:reconciliation")),
        ("officer", reverse("setup:programmes")),
        ("officer", reverse("setup:programme", kwargs={"programme_pk": world.programme.pk})),
        ("officer", reverse("setup:organisations")),
        ("officer", reverse("evaluations:list")),
        ("officer", reverse("evaluations:list") + "?sort=-status"),
        ("evaluator", reverse("evaluations:yours")),
        ("officer", reverse("evaluations:measure-list")),
        ("viewer", reverse("evaluations:measure-list")),
        ("admin", reverse("people:list")),
        ("officer", reverse("people:list")),
        ("admin", reverse("notifications:log")),
        ("officer", reverse("notifications:log")),
        ("officer", reverse("downloads:ledger")),
    ]

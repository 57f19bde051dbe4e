"""The generated programme obeys every rule of DESIGN.md and the models,
checked here from the rows themselves, not only by the reconciliation."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Role
from demo.generate import expected_counts, programme_rows
from evaluations.models import Evaluation, OutcomeResult
from grants import money, reconciliation
from grants.models import Allocation, AllocationBalance, Grant, Payment, Programme, RecoveryReason, SpendReturn
from grants.reconciliation import find_discrepancies
from projects.models import Milestone, MilestoneReview, Project
from projects.services import closure_problems

pytestmark = pytest.mark.django_db


def _programme_of(small):
    return Programme.objects.get(pk=small.programme.pk)


def test_programme_is_named_and_marked_illustrative(small):
    programme = _programme_of(small)
    assert programme.name == "Generated programme (illustrative), seed 11"
    assert programme.budget_is_illustrative
    rounds = list(programme.rounds.all())
    assert len(rounds) == 3 and all(r.budget_is_illustrative for r in rounds)
    in_programme = {"grant__project__programme": programme}
    for queryset in (
        Grant.objects.filter(project__programme=programme),
        Allocation.objects.filter(**in_programme),
        Payment.objects.filter(allocation__grant__project__programme=programme),
        SpendReturn.objects.filter(allocation__grant__project__programme=programme),
        Milestone.objects.filter(project__programme=programme),
        OutcomeResult.objects.filter(evaluation__projects__programme=programme),
    ):
        assert queryset.exists()
        assert not queryset.filter(illustrative=False).exists(), queryset.model


def test_counts_are_the_documented_ones(small):
    programme = _programme_of(small)
    found = {
        "projects": Project.objects.filter(programme=programme).count(),
        "rounds": programme.rounds.count(),
        "grants": Grant.objects.filter(project__programme=programme).count(),
        "allocations": Allocation.objects.filter(grant__project__programme=programme).count(),
        "milestones": Milestone.objects.filter(project__programme=programme).count(),
        "payments": Payment.objects.filter(allocation__grant__project__programme=programme).count(),
        "spend returns": SpendReturn.objects.filter(allocation__grant__project__programme=programme).count(),
        "evaluations": Evaluation.objects.filter(projects__programme=programme).count(),
        "outcome results": OutcomeResult.objects.filter(evaluation__projects__programme=programme).count(),
    }
    assert (
        found
        == expected_counts(5)
        == {
            "projects": 5,
            "rounds": 3,
            "grants": 15,
            "allocations": 150,
            "milestones": 100,
            "payments": 300,
            "spend returns": 600,
            "evaluations": 5,
            "outcome results": 100,
        }
    )
    for name, count in found.items():
        assert small.counts[name] == count


def test_reconciliation_finds_nothing(small, capsys):
    assert find_discrepancies() == []
    call_command("reconcile")  # exits with status 1 (SystemExit) when it lists anything
    assert "reconcile" in capsys.readouterr().out


def test_every_allocation_has_one_balance_equal_to_its_ledger_rows(small):
    allocations = Allocation.objects.filter(grant__project__programme=small.programme)
    balances = AllocationBalance.objects.filter(allocation__in=allocations)
    assert balances.count() == allocations.count() == small.counts["allocation balances"] == 150
    assert list(reconciliation.balances_out_of_step(allocations)) == []
    for allocation in allocations.select_related("balance"):
        assert money.allocation_figures(allocation) == money.ledger_figures(allocation.pk), allocation
    totals = money.totals(allocations)
    assert totals.paid > totals.recovered > 0 and totals.committed > 0 and totals.released == 0


def test_commitments_stay_within_headroom_and_every_committed_payment_can_be_made(small):
    allocations = Allocation.objects.filter(grant__project__programme=small.programme).select_related("grant__project")
    assert allocations.count() == 150
    for allocation in allocations:
        figures = money.ledger_figures(allocation.pk)
        assert figures.net_paid + figures.committed <= figures.allocated, allocation
        assert figures.headroom >= 0, allocation
    # No dead end: a payment still committed is on an active grant of a project still running,
    # so once its milestone is accepted the services can pay it (its commitment is its headroom).
    committed = money.committed_milestones(Milestone.objects.filter(project__programme=small.programme))
    assert committed.exists()
    for milestone in committed.select_related("allocation__grant", "project"):
        assert milestone.allocation.grant.status == Grant.Status.ACTIVE, milestone
        assert milestone.project.status in (Project.Status.ACTIVE, Project.Status.CLOSING), milestone


def test_payments_fall_within_their_grants_dates_and_while_it_is_open(small):
    payments = Payment.objects.filter(allocation__grant__project__programme=small.programme).select_related(
        "allocation__grant__project"
    )
    assert payments.count() == 300
    late = 0
    for payment in payments:
        grant = payment.allocation.grant
        assert grant.award_date <= payment.paid_on, payment
        if payment.kind == Payment.Kind.RECOVERY:
            assert payment.recovery_reason in RecoveryReason.values and payment.note
            continue
        assert payment.recovery_reason == ""
        if payment.paid_on > grant.planned_end:
            late += 1
            assert "after the grant's planned end" in payment.late_reason, payment
        else:
            assert payment.late_reason == ""
        # Closed and withdrawn projects and grants take only recoveries.
        for obj in (grant, grant.project):
            ended = obj.status_changes.filter(new_status__in=["closed", "withdrawn"]).first()
            assert ended is None or payment.paid_on <= ended.changed_at.date(), (payment, obj)
    assert payments.filter(kind=Payment.Kind.RECOVERY).exists()


def test_spend_returns_are_for_quarters_within_the_award_and_the_project(small):
    returns = SpendReturn.objects.filter(allocation__grant__project__programme=small.programme).select_related(
        "allocation__grant__project"
    )
    assert returns.count() == 600
    for spend_return in returns:
        quarter = spend_return.financial_quarter
        assert quarter.end >= spend_return.allocation.grant.award_date, spend_return
        assert quarter.start <= spend_return.allocation.grant.project.end_date, spend_return


def test_closed_projects_are_settled_and_finished_ones_commit_nothing(small):
    projects = Project.objects.filter(programme=small.programme)
    closed = projects.filter(status=Project.Status.CLOSED)
    assert closed.exists()
    for project in closed:
        assert closure_problems(project) == [], project
    finished = projects.filter(status__in=[Project.Status.CLOSED, Project.Status.WITHDRAWN])
    assert not money.committed_milestones(Milestone.objects.filter(project__in=finished)).exists()


def test_allocations_add_up_to_each_award_to_the_penny(small):
    totals = defaultdict(Decimal)
    assert Allocation.objects.filter(grant__project__programme=small.programme).count() == 150
    for allocation in Allocation.objects.filter(grant__project__programme=small.programme):
        assert allocation.amount == allocation.resource + allocation.capital > 0
        totals[allocation.grant_id] += allocation.resource + allocation.capital
    grants = Grant.objects.filter(project__programme=small.programme)
    assert grants.count() == len(totals) == 15
    assert {g.pk: g.amount_awarded for g in grants} == dict(totals)


def test_money_flows_in_order_payments_within_allocations_spend_within_payments(small):
    allocations = Allocation.objects.filter(grant__project__programme=small.programme).select_related(
        "grant__project", "recipient"
    )
    assert allocations.count() == 150
    for allocation in allocations:
        payments = list(allocation.payments.order_by("paid_on", "pk"))
        assert len(payments) == 2
        net = Decimal("0.00")
        for payment in payments:
            assert payment.amount > 0
            assert payment.paid_on >= allocation.grant.award_date
            if payment.kind == Payment.Kind.RECOVERY:
                assert payment.milestone_id is None and not payment.in_advance
                assert payment.amount <= net, "a recovery never takes back more than was paid before it"
            net += payment.signed_amount
            assert net <= allocation.amount
            assert payment.recorded_by.role == Role.FINANCE
        returns = list(allocation.spend_returns.order_by("quarter"))
        assert [r.quarter for r in returns] == [1, 2, 3, 4]
        assert sum(r.spent for r in returns) <= net
        for spend_return in returns:
            assert spend_return.spent >= 0 and spend_return.forecast >= 0
            # Whoever submits a return belongs to the organisation that receives the allocation.
            assert spend_return.submitted_by.role == Role.RECIPIENT
            assert spend_return.submitted_by.organisation_id == allocation.recipient_id
            assert spend_return.submitted_at.date() > allocation.financial_year.quarter(spend_return.quarter).end
            if spend_return.status == SpendReturn.Status.REVIEWED:
                assert spend_return.reviewed_by.is_officer and spend_return.reviewed_at > spend_return.submitted_at
        project = allocation.grant.project
        assert (
            allocation.recipient_id == project.lead_organisation_id
            or project.partnerships.filter(organisation=allocation.recipient_id).exists()
        )


def test_a_milestone_releases_its_payment_once_after_acceptance_by_someone_else(small):
    milestones = Milestone.objects.filter(project__programme=small.programme)
    paid = Payment.objects.filter(milestone__in=milestones).select_related("milestone", "recorded_by")
    assert paid.exists() and paid.filter(in_advance=True).exists()
    seen = set()
    for payment in paid:
        milestone = payment.milestone
        assert milestone.pk not in seen
        seen.add(milestone.pk)
        assert payment.kind == Payment.Kind.PAYMENT
        assert payment.amount == milestone.payment_amount
        assert payment.allocation_id == milestone.allocation_id
        if payment.in_advance:
            assert payment.advance_reason.strip()
            continue
        assert milestone.status == Milestone.Status.ACCEPTED
        acceptance = MilestoneReview.objects.get(submission__milestone=milestone, decision="accepted")
        assert acceptance.reviewed_by != payment.recorded_by
        assert acceptance.reviewed_at.date() <= payment.paid_on
    assert not Payment.objects.filter(in_advance=True, advance_reason="").exists()


def test_milestones_are_in_every_state_with_their_submissions_and_reviews(small):
    milestones = Milestone.objects.filter(project__programme=small.programme).select_related("project", "allocation")
    assert len(milestones) == 100
    assert {m.status for m in milestones} == set(Milestone.Status.values)
    for milestone in milestones:
        project = milestone.project
        assert (
            milestone.organisation_id == project.lead_organisation_id
            or project.partnerships.filter(organisation=milestone.organisation_id).exists()
        )
        if milestone.allocation_id:
            assert milestone.allocation.recipient_id == milestone.organisation_id
        submissions = list(milestone.submissions.order_by("submitted_at", "pk"))
        reviews = {r.submission_id: r for r in MilestoneReview.objects.filter(submission__in=submissions)}
        for submission in submissions:
            assert submission.submitted_by.organisation_id == milestone.organisation_id
        # Every submission but the latest was returned.
        for submission in submissions[:-1]:
            assert reviews[submission.pk].decision == "returned" and reviews[submission.pk].reason
        latest = reviews.get(submissions[-1].pk) if submissions else None
        expected = {
            "planned": lambda: not submissions,
            "submitted": lambda: submissions and latest is None,
            "accepted": lambda: latest is not None and latest.decision == "accepted",
            "returned": lambda: latest is not None and latest.decision == "returned",
        }
        assert expected[milestone.status](), milestone
        submitted_moves = milestone.status_changes.filter(new_status="submitted").count()
        assert submitted_moves == len(submissions)


def _check_history(obj, initial):
    changes = list(obj.status_changes.order_by("changed_at", "pk"))
    assert changes[0].old_status == "" and changes[0].new_status == initial
    for before, after in zip(changes, changes[1:]):
        assert after.old_status == before.new_status
        assert after.new_status in type(obj).TRANSITIONS.get(before.new_status, ()), (obj, before, after)
        assert after.changed_at >= before.changed_at
    assert changes[-1].new_status == obj.status


def test_every_status_has_its_history_from_the_initial_row(small):
    programme = small.programme
    checked = {"projects": 0, "grants": 0, "milestones": 0}
    for project in Project.objects.filter(programme=programme):
        _check_history(project, "proposed")
        checked["projects"] += 1
    for grant in Grant.objects.filter(project__programme=programme):
        _check_history(grant, "awarded")
        checked["grants"] += 1
    for milestone in Milestone.objects.filter(project__programme=programme):
        _check_history(milestone, "planned")
        checked["milestones"] += 1
    assert checked == {"projects": 5, "grants": 15, "milestones": 100}


def test_audit_history_records_each_row_as_the_service_would(small):
    programme = small.programme
    payments = Payment.objects.filter(allocation__grant__project__programme=programme)
    assert Payment.history.filter(id__in=payments.values("pk"), history_type="+").count() == payments.count() == 300
    sample = SpendReturn.objects.filter(allocation__grant__project__programme=programme)[:40]
    assert len(sample) == 40
    for spend_return in sample:
        records = list(SpendReturn.history.filter(id=spend_return.pk).order_by("history_date"))
        assert records[0].status == "submitted" and records[0].history_user_id == spend_return.submitted_by_id
        assert records[-1].status == spend_return.status
    milestones = Milestone.objects.filter(project__programme=programme)
    assert milestones.count() == 100
    for milestone in milestones:
        recorded = Milestone.history.filter(id=milestone.pk).order_by("history_date")
        changes = milestone.status_changes.order_by("changed_at", "pk")
        assert recorded.exists() and list(recorded.values_list("status", flat=True)) == list(
            changes.values_list("new_status", flat=True)
        )


def test_sample_rows_pass_full_clean(small):
    cleaned = {}
    for model, queryset in programme_rows(small.programme):
        if hasattr(model, "instance_type"):
            continue  # an audit history record, checked above
        for obj in queryset.order_by("pk")[:40]:
            obj.full_clean()
            cleaned[model._meta.label] = cleaned.get(model._meta.label, 0) + 1
    # Every table of the programme had rows to check.
    assert {
        "grants.Grant",
        "grants.Allocation",
        "grants.Payment",
        "grants.SpendReturn",
        "projects.Milestone",
        "projects.Project",
        "evaluations.OutcomeResult",
    } <= set(cleaned), cleaned
    assert all(count > 0 for count in cleaned.values()), cleaned


def test_every_outcome_result_passes_the_evaluations_validation(small):
    results = OutcomeResult.objects.filter(evaluation__projects__programme=small.programme).select_related("measure")
    assert results.count() == 100
    for result in results:
        result.full_clean()
    assert results.filter(followup_value__isnull=False).exists()
    assert results.filter(effect_size__isnull=False).exists() or results.filter(authority__isnull=True).exists()


def test_partner_councils_are_partners_and_current_authorities(small):
    projects = Project.objects.filter(programme=small.programme).prefetch_related("partnerships__organisation")
    assert len(projects) == 5
    by_authority = 0
    for project in projects:
        partners = [p.organisation for p in project.partnerships.all()]
        assert project.lead_organisation not in partners
        councils = [o for o in partners if o.kind == "local_authority"]
        assert len(councils) == 4 and all(o.valid_to is None for o in councils)
        for result in OutcomeResult.objects.filter(evaluation__projects=project, authority__isnull=False):
            assert result.authority in councils
            by_authority += 1
    assert by_authority > 0

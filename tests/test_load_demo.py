"""load_demo builds the demo programme from DESIGN.md, keeps the money rules, marks
invented figures, and running it again changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Case, DecimalField, F, Sum, When
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import Role, User
from demo.common import _stamps
from demo.records import DELIBERATE_DISCREPANCIES, DEMO_PASSWORD, DEMO_USERS
from evaluations.models import Evaluation, EvaluationReport, EvidenceRating, OutcomeMeasure, OutcomeResult
from grants import money, reconciliation
from grants.models import Allocation, Grant, Organisation, Payment, Programme, RecoveryReason, Round, SpendReturn
from grants.org_ids import internal_id
from grants.reconciliation import find_discrepancies
from grants.services import pay_milestone
from notifications.models import Message
from projects.models import Milestone, MilestoneReview, Project, ProjectPartner
from projects.services import closure_problems
from tests.conftest import FAST_HASHERS, demo_loaded

pytestmark = pytest.mark.django_db

DEMO_APPS = ("accounts", "grants", "projects", "evaluations")


@pytest.fixture(autouse=True)
def development(settings):
    settings.DEVELOPMENT = True
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """Load once for the class; return what the command printed."""
    with demo_loaded(django_db_blocker) as printed:
        yield printed


def rsw():
    return Project.objects.get(title="Reclaiming Social Work")


def partner_org_ids(project):
    return set(project.partnerships.values_list("organisation__org_id", flat=True))


class TestTheDemoProgramme:
    """Facts about the loaded demo. They only read, so they share one load, rolled back
    after the class: full_clean() checks each constraint with a query and a load takes
    seconds."""

    def test_its_events_of_years_ago_send_no_message(self, demo):
        # The demo accepts, returns and pays milestones through the services, which tell people;
        # loading the past must not send hundreds of messages about 2015.
        assert Milestone.objects.filter(status="returned").exists()
        assert not Message.objects.exists()

    def test_dfe_funds_the_programme_and_its_two_rounds(self, demo):
        programme = Programme.objects.get(code="cscip")
        assert programme.name == "Children's Social Care Innovation Programme"
        assert programme.funder.org_id == "GB-GOR-D6"
        assert programme.funder.name == "Department for Education"
        assert programme.funder.kind == Organisation.Kind.GOVERNMENT_DEPARTMENT
        assert programme.budget == Decimal("200000000.00")
        assert not programme.budget_is_illustrative
        assert programme.budget_source.url == "https://innovationcsc.co.uk/innovation-programme/"
        # Round 1's "about £100m" is an estimate; Round 2's £36m is the announced figure.
        assert list(
            Round.objects.filter(programme=programme).values_list("number", "budget", "budget_is_illustrative")
        ) == [
            (1, Decimal("100000000.00"), True),
            (2, Decimal("36000000.00"), False),
        ]
        sources = dict(Round.objects.values_list("number", "budget_source__published_on"))
        assert sources == {1: dt.date(2014, 10, 31), 2: dt.date(2017, 3, 20)}

    def test_reclaiming_social_work_is_led_by_morning_lane_with_exactly_five_councils(self, demo):
        project = rsw()
        lead = project.lead_organisation
        assert lead.name == "Morning Lane Associates"
        assert lead.kind == Organisation.Kind.COMPANY
        # No company number is published for it: an identifier under the publisher's prefix.
        assert lead.org_id == internal_id("Morning Lane Associates") and lead.identifier_source is None
        assert str(lead.valid_to) == "2019-06-06"
        assert partner_org_ids(project) == {f"GB-LAE-{code}" for code in ("DBY", "HRW", "KHL", "SWK", "BKM")}
        assert set(project.partnerships.values_list("role", flat=True)) == {ProjectPartner.Role.PARTNER_AUTHORITY}
        # Buckinghamshire County Council, the one that existed then, not its 2020 successor.
        assert project.partners.get(org_id="GB-LAE-BKM").name == "Buckinghamshire County Council"
        grant = project.grants.get()
        assert grant.recipient == lead
        assert grant.amount_awarded == Decimal("4200000.00")
        assert "bureaucracy by 20%" in project.summary

    def test_morning_lane_and_each_council_have_their_own_share_of_reclaiming_social_work(self, demo):
        shares = dict(
            Allocation.objects.filter(grant__project=rsw())
            .values("recipient__org_id")
            .annotate(total=Sum("amount"))
            .values_list("recipient__org_id", "total")
        )
        councils = {f"GB-LAE-{code}" for code in ("DBY", "HRW", "KHL", "SWK", "BKM")}
        assert set(shares) == {internal_id("Morning Lane Associates")} | councils
        assert sum(shares.values()) == Decimal("4200000.00")
        assert Allocation.objects.filter(
            grant__project=rsw(), recipient__kind=Organisation.Kind.COMPANY, purpose__icontains="psychologist"
        ).exists()

    def test_hertfordshire_family_safeguarding_has_its_four_partners_and_11_6m(self, demo):
        project = Project.objects.get(lead_organisation__org_id="GB-LAE-HRT")
        assert partner_org_ids(project) == {"GB-LAE-LUT", "GB-LAE-PTE", "GB-LAE-BRC", "GB-LAE-WBK"}
        assert project.grants.get().amount_awarded == Decimal("11600000.00")
        assert project.grants.get().round.number == 2

    def test_the_real_projects_have_their_awards(self, demo):
        awards = dict(Grant.objects.values_list("project__lead_organisation__name", "amount_awarded"))
        assert awards["Family Rights Group"] == Decimal("5000000.00")
        assert awards["The Fostering Network"] == Decimal("3760000.00")
        assert awards["Northamptonshire County Council"] == Decimal("4000000.00")
        assert awards["Slough Children's Services Trust"] == Decimal("1400000.00")
        assert awards["London Borough of Hackney"] == Decimal("2000000.00")
        assert awards["London Borough of Havering"] == Decimal("2400000.00")
        hampshire = Project.objects.get(lead_organisation__org_id="GB-LAE-HAM")
        assert partner_org_ids(hampshire) == {"GB-LAE-IOW"}
        assert Organisation.objects.get(name="Family Rights Group").org_id == "GB-CHC-1015665"
        statuses = set(Project.objects.values_list("status", flat=True))
        assert {Project.Status.ACTIVE, Project.Status.CLOSING, Project.Status.CLOSED} <= statuses
        assert not Project.objects.exclude(rag="").filter(rag_reason="").exists()

    def test_allocations_never_exceed_the_award_and_one_grant_keeps_headroom(self, demo):
        grants = Grant.objects.annotate(allocated=Sum("allocations__amount"))
        assert grants.count() == Project.objects.count() == 9
        for grant in grants:
            assert grant.allocated <= grant.amount_awarded, grant
        headroom = [grant for grant in grants if grant.allocated < grant.amount_awarded]
        assert len(headroom) == 1
        assert headroom[0].amount_awarded - headroom[0].allocated == Decimal("300000.00")

    def test_net_payments_never_exceed_allocations_per_grant_and_recipient(self, demo):
        allocated = {
            (row["grant"], row["recipient"]): row["total"]
            for row in Allocation.objects.values("grant", "recipient").annotate(total=Sum("amount"))
        }
        signed = Case(
            When(kind=Payment.Kind.RECOVERY, then=-F("amount")),
            default=F("amount"),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
        paid = Payment.objects.values("allocation__grant", "allocation__recipient").annotate(net=Sum(signed))
        assert paid
        for row in paid:
            assert row["net"] <= allocated[row["allocation__grant"], row["allocation__recipient"]], row

    def test_reconciliation_finds_only_havering_s_deliberate_headroom_said_so_on_its_grant(self, demo):
        found = find_discrepancies()
        assert (
            [(d.kind, d.grant.project.reference, d.difference) for d in found]
            == DELIBERATE_DISCREPANCIES
            == [
                ("allocations_differ_from_award", "CSCIP-R2-HAV", Decimal("300000.00")),
            ]
        )
        for discrepancy in found:
            # The reconciliation page links to the grant's page, whose description says so.
            assert "there on purpose" in discrepancy.grant.description
            assert "£300,000" in discrepancy.grant.description
            # ... and the grant records why, so reconciliation lists it as expected.
            assert discrepancy.expected_because.startswith("Held back until recruitment catches up")
            assert not discrepancy.needs_action

    def test_as_at_every_year_end_no_grant_had_reported_more_spend_than_it_was_paid(self, demo):
        """Payments follow each quarter's return, so a board pack as at any year end finds
        nothing to reconcile either (by what was recorded by that day)."""
        for year in range(2015, 2021):
            as_at = timezone.make_aware(dt.datetime(year, 4, 1))
            for grant in Grant.objects.filter(award_date__lt=as_at.date()):
                returns = SpendReturn.objects.filter(allocation__grant=grant, submitted_at__lt=as_at)
                payments = Payment.objects.filter(allocation__grant=grant, recorded_at__lt=as_at)
                net_paid = money.ledger_payment_sums(payments)["net_paid"]
                spent = money.to_penny(returns.aggregate(t=Sum("spent"))["t"])
                assert spent <= net_paid, (year, grant, spent, net_paid)

    def test_every_balance_equals_its_ledger_rows(self, demo):
        allocations = Allocation.objects.all()
        assert not allocations.filter(balance__isnull=True).exists()
        assert list(reconciliation.balances_out_of_step(allocations)) == []
        totals = money.totals(allocations)
        assert totals.paid == Payment.objects.filter(kind=Payment.Kind.PAYMENT).aggregate(t=Sum("amount"))["t"]
        assert totals.recovered == Decimal("80000.00")
        assert totals.spent == SpendReturn.objects.aggregate(t=Sum("spent"))["t"]
        assert (
            totals.committed
            == Milestone.objects.filter(payment_amount__isnull=False, payments__isnull=True).aggregate(
                t=Sum("payment_amount")
            )["t"]
            > 0
        )

    def test_net_paid_and_committed_never_pass_an_allocation(self, demo):
        for allocation in Allocation.objects.select_related("balance"):
            figures = money.ledger_figures(allocation.pk)
            assert figures.net_paid + figures.committed <= figures.allocated, allocation
            assert figures.headroom >= 0, allocation

    def test_no_payment_dead_end_every_committed_milestone_payment_can_be_made(self, demo):
        """Whatever a milestone still to be paid is waiting for, once accepted its payment
        goes through the service: its money is committed, so within the headroom."""
        finance = User.objects.get(username="finance")
        waiting = money.committed_milestones(Milestone.objects.all()).select_related("allocation__grant")
        assert waiting.count() == waiting.payable().count() == 10
        assert set(waiting.values_list("status", flat=True)) == {"planned", "submitted", "returned"}
        today = timezone.localdate()
        for milestone in waiting:
            with transaction.atomic():
                Milestone.objects.filter(pk=milestone.pk).update(status=Milestone.Status.ACCEPTED)
                milestone.refresh_from_db()
                late = today > milestone.allocation.grant.planned_end
                payment = pay_milestone(
                    milestone=milestone,
                    paid_on=today,
                    by=finance,
                    late_reason="The final report came in after the grant's planned end." if late else "",
                )
                assert payment.amount == milestone.payment_amount
                transaction.set_rollback(True)
        accepted_unpaid = Milestone.objects.filter(status=Milestone.Status.ACCEPTED, payment_amount__isnull=False)
        assert not accepted_unpaid.filter(payments__isnull=True).exists()

    def test_no_payment_outside_its_grants_dates(self, demo):
        payments = Payment.objects.select_related("allocation__grant")
        for payment in payments:
            grant = payment.allocation.grant
            assert payment.paid_on >= grant.award_date, payment
            assert payment.recorded_at.date() == payment.paid_on, payment
            if payment.kind == Payment.Kind.PAYMENT and payment.paid_on > grant.planned_end:
                assert "after the grant's planned end" in payment.late_reason, payment
            else:
                assert payment.late_reason == "", payment
        # Round 1's final payments in arrears of 2015-16, made in April 2016, say why.
        late = payments.exclude(late_reason="")
        assert late.count() == 6
        assert set(late.values_list("paid_on", "allocation__grant__round__number")) == {(dt.date(2016, 4, 30), 1)}

    def test_no_spend_return_before_its_award_or_after_its_project(self, demo):
        returns = SpendReturn.objects.select_related("allocation__grant__project")
        for spend_return in returns:
            quarter = spend_return.financial_quarter
            grant = spend_return.allocation.grant
            assert quarter.end >= grant.award_date, spend_return
            assert quarter.start <= grant.project.end_date, spend_return
            assert spend_return.submitted_at.date() > quarter.end
        # Round 1 was awarded in October 2014: its 2014-15 returns start with Q3.
        first_year = returns.filter(allocation__financial_year=2014)
        assert set(first_year.values_list("quarter", flat=True)) == {3, 4}

    def test_the_closed_project_is_settled(self, demo):
        closed = Project.objects.filter(status=Project.Status.CLOSED)
        assert closed.count() == 1
        for project in closed:
            assert closure_problems(project) == []
            closing = project.status_changes.get(new_status=Project.Status.CLOSED)
            assert "exception" not in closing.reason and "recovered" in closing.reason
            assert set(project.grants.values_list("status", flat=True)) == {Grant.Status.CLOSED}

    def test_history_is_dated_when_things_happened_not_today(self, demo):
        # The demo's story ends in 2020: nothing it wrote is stamped with the day it was loaded.
        for model, field in _stamps():
            assert not model._default_manager.filter(**{f"{field}__year__gte": 2021}).exists(), (model, field)
        for allocation in Allocation.objects.select_related("grant"):
            created = Allocation.history.get(id=allocation.pk, history_type="+")
            assert created.history_date.date() == allocation.grant.award_date
        # As at 31 March 2019 the Round 2 projects carry the ratings of October 2018, not today's.
        end_of_march_2019 = timezone.make_aware(dt.datetime(2019, 4, 1))
        family_safeguarding = Project.objects.get(reference="CSCIP-R2-FS")
        assert family_safeguarding.rag == Project.Rag.GREEN
        then = family_safeguarding.history.as_of(end_of_march_2019)
        assert (then.status, then.rag) == (Project.Status.ACTIVE, Project.Rag.AMBER)
        # Payments and returns made after that day were recorded after it.
        assert not Payment.objects.filter(paid_on__gt=dt.date(2019, 3, 31), recorded_at__lt=end_of_march_2019).exists()
        assert not SpendReturn.objects.filter(
            allocation__financial_year=2019, submitted_at__lt=end_of_march_2019
        ).exists()

    def test_milestones_exist_in_every_status_and_one_was_resubmitted_after_return(self, demo):
        assert set(Milestone.objects.values_list("status", flat=True)) == set(Milestone.Status.values)
        resubmitted = [m for m in Milestone.objects.all() if m.submissions.count() > 1]
        assert resubmitted
        for milestone in resubmitted:
            first, *_ = milestone.submissions.order_by("submitted_at")
            assert first.review.decision == MilestoneReview.Decision.RETURNED
        assert any(m.status == Milestone.Status.SUBMITTED for m in resubmitted)
        returned = MilestoneReview.objects.filter(decision=MilestoneReview.Decision.RETURNED)
        assert returned.exists()
        assert not returned.filter(reason="").exists()
        assert Milestone.objects.overdue().exists()
        assert Milestone.objects.due_within(30).exists()

    def test_every_milestone_belongs_to_its_lead_or_a_partner_and_pays_from_its_own_allocation(self, demo):
        for milestone in Milestone.objects.select_related("project", "allocation__grant"):
            members = {milestone.project.lead_organisation_id} | set(
                milestone.project.partnerships.values_list("organisation", flat=True)
            )
            assert milestone.organisation_id in members
            if milestone.allocation:
                assert milestone.allocation.recipient_id == milestone.organisation_id
                assert milestone.allocation.grant.project_id == milestone.project_id
        assert Milestone.objects.filter(payment_amount__isnull=False).exists()

    def test_submissions_come_from_the_recipient_and_reviews_from_the_officer(self, demo):
        for milestone in Milestone.objects.exclude(status=Milestone.Status.PLANNED):
            for submission in milestone.submissions.all():
                assert submission.submitted_by.organisation_id == milestone.organisation_id
                assert submission.narrative
        assert set(MilestoneReview.objects.values_list("reviewed_by__username", flat=True)) == {"officer"}

    def test_each_milestone_payment_is_recorded_by_someone_other_than_its_acceptor(self, demo):
        paid = Payment.objects.filter(milestone__isnull=False)
        assert paid.exists()
        for payment in paid:
            accepted = MilestoneReview.objects.get(
                submission__milestone=payment.milestone, decision=MilestoneReview.Decision.ACCEPTED
            )
            assert payment.recorded_by_id != accepted.reviewed_by_id
            assert payment.recorded_by.role == Role.FINANCE
            assert payment.kind == Payment.Kind.PAYMENT
            assert payment.amount == payment.milestone.payment_amount
            assert payment.allocation_id == payment.milestone.allocation_id
        accepted_with_payment = Milestone.objects.filter(status=Milestone.Status.ACCEPTED, payment_amount__isnull=False)
        assert set(paid.values_list("milestone", flat=True)) == set(accepted_with_payment.values_list("pk", flat=True))

    def test_scheduled_advance_and_recovery_payments(self, demo):
        assert Payment.objects.filter(milestone__isnull=True, kind=Payment.Kind.PAYMENT, in_advance=False).count() >= 3
        advance = Payment.objects.get(in_advance=True)
        assert advance.advance_reason
        recovery = Payment.objects.get(kind=Payment.Kind.RECOVERY)
        assert recovery.recovery_reason == RecoveryReason.UNDERSPEND and recovery.note

    def test_status_changes_have_history(self, demo):
        for project in Project.objects.all():
            history = list(project.status_changes.values_list("old_status", "new_status"))
            assert history[0] == ("", Project.Status.PROPOSED)
            assert history[-1][1] == project.status
        for milestone in Milestone.objects.all():
            assert milestone.status_changes.last().new_status == milestone.status
        harrow_unit = Milestone.objects.get(title="Harrow family breakdown unit running")
        assert list(harrow_unit.status_changes.values_list("new_status", flat=True)) == [
            "planned",
            "submitted",
            "returned",
            "submitted",
            "accepted",
        ]
        assert Grant.objects.filter(status=Grant.Status.CLOSED, status_changes__new_status="closed").exists()

    def test_invented_figures_are_marked_illustrative(self, demo):
        assert not Allocation.objects.filter(illustrative=False).exists()
        assert not Payment.objects.filter(illustrative=False).exists()
        assert not SpendReturn.objects.filter(illustrative=False).exists()
        assert not Milestone.objects.filter(illustrative=False).exists()
        # Award dates are invented for every grant but Lifelong Links'; the amounts are the
        # record's but for Hackney's "nearly £2m".
        assert list(
            Grant.objects.filter(dates_are_illustrative=False).values_list("project__reference", flat=True)
        ) == ["CSCIP-R2-LL"]
        assert list(Grant.objects.filter(illustrative=True).values_list("project__reference", "amount_awarded")) == [
            ("CSCIP-R2-HCK", Decimal("2000000.00"))
        ]
        assert not OutcomeResult.objects.filter(illustrative=False).exists()

    def test_spend_returns_reviewed_and_submitted_with_one_clear_underspend(self, demo):
        assert SpendReturn.objects.filter(status=SpendReturn.Status.SUBMITTED, reviewed_at__isnull=True).exists()
        reviewed = SpendReturn.objects.filter(status=SpendReturn.Status.REVIEWED)
        assert reviewed.exists()
        assert not reviewed.filter(reviewed_at__isnull=True).exists()
        assert set(reviewed.values_list("reviewed_by__username", flat=True)) == {"officer"}
        assert set(SpendReturn.objects.values_list("quarter", flat=True)) == {1, 2, 3, 4}
        today = timezone.localdate()
        assert all(r.financial_quarter.end < today for r in SpendReturn.objects.select_related("allocation"))

        # Underspend = allocated - spent - forecast (the latest forecast).
        underspent = []
        for allocation in Allocation.objects.prefetch_related("spend_returns"):
            returns = sorted(allocation.spend_returns.all(), key=lambda r: r.quarter)
            if returns:
                spent = sum(r.spent for r in returns)
                if allocation.amount - spent - returns[-1].forecast > 0:
                    underspent.append((allocation, allocation.amount - spent - returns[-1].forecast))
        assert len(underspent) == 1
        allocation, underspend = underspent[0]
        assert allocation.recipient.org_id == "GB-LAE-IOW"
        assert underspend == Decimal("80000.00")

    def test_outcome_measures_and_hertfordshire_child_protection_result(self, demo):
        measures = {m.name: (m.unit, m.direction) for m in OutcomeMeasure.objects.all()}
        assert measures["Children on child protection plans per 10,000"] == ("per_10000", "lower")
        assert measures["Children looked after per 10,000"] == ("per_10000", "lower")
        assert measures["Re-referrals within 12 months"] == ("percent", "lower")
        assert measures["Average caseload"] == ("number", "lower")
        assert measures["% of social work time in direct work with families"] == ("percent", "higher")
        assert measures["Cost per child"] == ("gbp", "lower")

        result = OutcomeResult.objects.get(
            measure__name="Children on child protection plans per 10,000", authority__org_id="GB-LAE-HRT"
        )
        assert result.followup_value * 2 == result.baseline_value
        assert result.illustrative
        assert result.source_report is not None and not result.source_report.file
        evaluation = result.evaluation
        assert evaluation.projects.get().lead_organisation.org_id == "GB-LAE-HRT"
        rating = EvidenceRating.objects.get(evaluation=evaluation, scale=EvidenceRating.Scale.MARYLAND)
        assert rating.rationale
        assert evaluation.evaluators.get().username == "evaluator"
        assert evaluation.evaluator_organisation == User.objects.get(username="evaluator").organisation

    def test_reclaiming_social_work_evaluation_starts_from_the_basw_20_per_cent(self, demo):
        result = OutcomeResult.objects.get(
            evaluation__projects=rsw(), measure__name="% of social work time in direct work with families"
        )
        assert result.baseline_value == Decimal("20")
        assert result.target_value > result.baseline_value
        assert Evaluation.objects.filter(evaluators__username="evaluator").count() == 9
        assert EvaluationReport.objects.filter(file="").exists()

    def test_output_names_every_demo_user_and_the_password(self, demo):
        assert DEMO_PASSWORD in demo
        for username, *_ in DEMO_USERS:
            assert username in demo
        assert "Derbyshire County Council" in demo
        assert "Programme officer" in demo

    def test_every_demo_user_signs_in_with_the_demo_password(self, demo):
        assert User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).count() == 16
        for username, role, *_ in DEMO_USERS:
            user = authenticate(RequestFactory().post("/account/sign-in/"), username=username, password=DEMO_PASSWORD)
            assert user is not None and user.role == role, username
        admin = User.objects.get(username="admin")
        assert admin.is_staff and admin.is_superuser
        assert User.objects.get(username="derbyshire").organisation.org_id == "GB-LAE-DBY"
        assert User.objects.get(username="harrow").organisation.org_id == "GB-LAE-HRW"
        assert User.objects.get(username="morninglane").organisation.name == "Morning Lane Associates"
        assert not User.objects.filter(is_staff=True).exclude(username="admin").exists()


def snapshot():
    """Every demo model's row count, and every money value by primary key."""
    counts, money = {}, {}
    for label in DEMO_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            name = model._meta.label
            counts[name] = model._default_manager.count()
            # get_internal_type() of a GeneratedField (Allocation.amount) is its output field's.
            decimals = [f.attname for f in model._meta.concrete_fields if f.get_internal_type() == "DecimalField"]
            if decimals:
                money[name] = list(model._default_manager.order_by("pk").values_list("pk", *decimals))
    return counts, money


def test_running_it_twice_leaves_the_same_rows():
    call_command("load_demo", verbosity=0)
    before = snapshot()
    call_command("load_demo", verbosity=0)
    after = snapshot()
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert before[0]["grants.Payment"] > 0 and before[0]["projects.MilestoneStatusChange"] > 0


def test_if_empty_keeps_existing_data(capsys):
    call_command("load_demo", verbosity=0)
    before = snapshot()
    call_command("load_demo", "--if-empty")
    out = capsys.readouterr().out
    assert "the data is kept" in out
    assert DEMO_PASSWORD in out
    assert snapshot() == before


def test_if_empty_loads_into_an_empty_database():
    call_command("load_demo", "--if-empty")
    assert Programme.objects.filter(code="cscip").exists()


def test_refuses_without_the_development_flag_and_writes_nothing(settings):
    settings.DEVELOPMENT = False
    with pytest.raises(CommandError, match="only runs with DJANGO_DEVELOPMENT=1"):
        call_command("load_demo")
    counts, _ = snapshot()
    assert not any(counts.values()), {name: count for name, count in counts.items() if count}


def test_a_failure_part_way_writes_nothing(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the evidence could not be loaded")

    monkeypatch.setattr("demo.loader._load_evidence", fail)
    with pytest.raises(RuntimeError):
        call_command("load_demo", verbosity=0)
    counts, _ = snapshot()
    assert not any(counts.values()), {name: count for name, count in counts.items() if count}

"""The generated programme's sizes and names, and the plan of one chunk of projects:
every row, drawn from the seed."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from evaluations.models import Evaluation, EvaluationReport, EvidenceRating, OutcomeMeasure, OutcomeResult
from grants.financial_year import FinancialYear
from grants.models import (
    Allocation,
    AllocationBalance,
    Grant,
    GrantStatusChange,
    Organisation,
    Payment,
    Programme,
    RecoveryReason,
    SpendReturn,
)
from projects.models import (
    Milestone,
    MilestoneReview,
    MilestoneStatusChange,
    MilestoneSubmission,
    Project,
    ProjectPartner,
    ProjectStatusChange,
)

# --- Sizes -------------------------------------------------------------------

BATCH_SIZE = 5000
# Projects planned and written at a time: memory stays flat whatever N is.
CHUNK = 100
FINANCIAL_YEARS = 6
MAX_SEED = 999_999_999

PER_PROJECT = {
    "grants": 3,
    "allocations": 30,
    "milestones": 20,
    "payments": 60,
    "spend returns": 120,
    "evaluations": 1,
    "outcome results": 20,
}

# Shown to a person running the benchmark in development; never set outside it
# unless --password says so (see the command).
GENERATED_PASSWORD = "generated-programme-2014"
ORG_PREFIX = "XI-GENERATED-"
REASON = "Generated programme (illustrative)"


# --- Names ---------------------------------------------------------------------

APPROACHES = [
    "Family safeguarding", "Restorative practice", "Family group conferencing", "Edge of care support",
    "Contextual safeguarding", "Lifelong links", "Mockingbird fostering", "Social work units",
    "No wrong door", "Signs of safety", "Family drug and alcohol court", "Strengthening families",
    "Multi-agency adolescent service", "Supported lodgings", "Parenting together", "Step down to early help",
]
PURPOSES = ["across the county", "for adolescents", "in two localities", "with health partners",
            "for care leavers", "in the city", "with schools", "for young carers"]
PHASES = ["Development", "Scale-up", "Sustain"]
MILESTONE_TITLES = [
    "Service design agreed", "Practitioners recruited", "Training delivered", "First families supported",
    "Quarterly progress report", "Baseline data collected", "Board review", "Year-end report",
    "Case audit completed", "Partner agreement signed", "Interim learning review", "Sustainability plan",
]
POOL_WORDS = ["Northern", "Riverside", "Bridge", "Hearth", "Compass", "Harbour", "Meadow", "Beacon", "Oak",
              "Lantern", "Willow", "Keystone", "Horizon", "Anchor", "Thistle", "Kestrel"]
POOL_KINDS = [
    (Organisation.Kind.CHARITY, "Trust"),
    (Organisation.Kind.COMPANY, "Associates"),
    (Organisation.Kind.CHARITY, "Foundation"),
    (Organisation.Kind.NHS_BODY, "NHS Foundation Trust"),
    (Organisation.Kind.OTHER, "Partnership"),
]
ADVANCE_REASON = "Paid ahead of the milestone so that the council could recruit before the service started."
LATE_REASON = "The final payment, made once the year's last spend return was in, after the grant's planned end."
RETURN_REASON = "The evidence does not show how many families were supported: add the case counts."
DESIGN_MARYLAND = {"rct": "5", "quasi": "4", "ba_comparison": "3", "before_after": "2", "mixed": "2"}


def _pool_org_id(kind: str, number: int) -> str:
    return f"{ORG_PREFIX}{kind}{number:05d}"


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _pounds(pennies: int) -> Decimal:
    return Decimal(pennies) / 100


def _fraction(pennies: int, share: float) -> int:
    return int(round(pennies * share))


# --- The plan of one chunk of projects ---------------------------------------------

# Rows other generated rows point to are model instances, written with
# bulk_create, which gives back their keys; parents before children.
PARENTS = [Project, Grant, Allocation, Milestone, MilestoneSubmission, Evaluation, EvaluationReport]
# The other rows (nine in ten) are plain dicts keyed by column (attname), a key
# to a parent given as the parent instance. They are written after the parents
# with PostgreSQL's COPY (executemany on SQLite): bulk_create managed about
# 4,000 rows a second here, COPY ten times that.
LEAVES = [
    ProjectStatusChange, ProjectPartner, Project.themes.through, GrantStatusChange, MilestoneStatusChange,
    MilestoneReview, Payment, SpendReturn, AllocationBalance, Evaluation.projects.through,
    Evaluation.evaluators.through, EvidenceRating, OutcomeResult,
]


@dataclass
class Chunk:
    rows: dict = field(default_factory=lambda: {model: [] for model in PARENTS + LEAVES})
    # (model, instance or row, [(when, user, history_type, reason, {attname: value})]) for the audit history.
    history: list = field(default_factory=list)

    def add(self, obj):
        self.rows[type(obj)].append(obj)
        return obj

    def row(self, model, **values):
        self.rows[model].append(values)
        return values

    def remember(self, model, obj, steps):
        self.history.append((model, obj, steps))


@dataclass
class Context:
    seed: int
    rng: random.Random
    programme: Programme
    rounds: list
    round_years: list
    authorities: list
    pool: list
    universities: list
    themes: list
    measures: list
    users: dict  # org pk -> recipient user
    officer: User
    finance: User
    evaluator: User
    payment_number: int = 0
    grant_number: int = 0


def _status_path(chunk, obj, change_model, path, *, reason=""):
    """Status-change rows for [(status, when, by, reason)], from the initial row on,
    and the matching audit-history steps."""
    owner = f"{obj._meta.model_name}_id"
    steps, old = [], ""
    for status, when, by, why in path:
        chunk.row(change_model, **{owner: obj}, old_status=old, new_status=status, changed_by_id=by,
                  changed_at=when, reason=why)
        steps.append((when, by, "~" if old else "+", why or reason, {"status": status}))
        old = status
    obj.status = old
    return steps


def _plan_project(ctx: Context, chunk: Chunk, number: int) -> None:
    rng = ctx.rng
    lead = rng.choice(ctx.authorities) if rng.random() < 0.6 else rng.choice(ctx.pool)
    partner_las = rng.sample([a for a in ctx.authorities if a.pk != lead.pk], 4)
    delivery = rng.choice([o for o in ctx.pool if o.pk != lead.pk])
    approach = rng.choice(APPROACHES)
    title = f"{approach} {rng.choice(PURPOSES)}: {lead.display_name}"[:200]
    round_indexes = sorted(rng.sample(range(len(ctx.rounds)), 3))

    # Grants: each covers the two financial years from its round's year.
    grant_plans = []
    for index in round_indexes:
        round_ = ctx.rounds[index]
        first_year = ctx.round_years[index]
        award = round_.start_date + dt.timedelta(days=rng.randint(60, 150))
        start = max(FinancialYear(first_year).start, award)
        grant_plans.append((round_, first_year, award, start, FinancialYear(first_year + 1).end))
    project_start = min(plan[3] for plan in grant_plans)
    project_end = max(plan[4] for plan in grant_plans)
    first_award = min(plan[2] for plan in grant_plans)

    status = rng.choices(["closed", "closing", "active", "withdrawn"], weights=[70, 10, 15, 5])[0]
    last_year = max(plan[1] for plan in grant_plans) + 1
    withdrawn_on = FinancialYear(last_year).start + dt.timedelta(days=rng.randint(100, 200))
    officer = ctx.officer
    rag = rng.choice(["red", "amber", "green", "green"]) if status in ("active", "closing") else ""
    project = Project(
        programme=ctx.programme,
        reference=f"GEN{ctx.seed}-{number:05d}",
        title=title,
        summary=(
            f"{approach} led by {lead.name} with {', '.join(a.display_name for a in partner_las)}. "
            "A generated project: every figure is illustrative."
        ),
        lead_organisation=lead,
        start_date=project_start,
        end_date=project_end,
        rag=rag,
        rag_reason={"red": "Recruitment is months behind plan.", "amber": "Spending is behind the forecast.",
                    "green": "On track against its milestones."}.get(rag, ""),
        rag_updated_at=_at(project_end - dt.timedelta(days=30)) if rag else None,
    )
    chunk.add(project)
    participants = [lead, *partner_las, delivery]
    for org in partner_las:
        chunk.row(ProjectPartner, project_id=project, organisation_id=org,
                  role=ProjectPartner.Role.PARTNER_AUTHORITY, joined_on=project_start)
    chunk.row(ProjectPartner, project_id=project, organisation_id=delivery,
              role=ProjectPartner.Role.DELIVERY_PARTNER, joined_on=project_start)
    for theme in rng.sample(ctx.themes, rng.randint(1, 2)):
        chunk.row(Project.themes.through, project_id=project, theme_id=theme)

    # Grants and their allocations. allocations: [(allocation, pennies, financial year, of the last grant)]
    allocations, grants = [], []
    for grant_index, (round_, first_year, award, start, end) in enumerate(grant_plans):
        ctx.grant_number += 1
        grant = Grant(
            project=project, round=round_, recipient=lead,
            title=f"{title}: {PHASES[grant_index]}"[:200],
            description=f"{PHASES[grant_index]} grant of a generated project (illustrative).",
            amount_awarded=Decimal("0.00"), award_date=award, planned_start=start, planned_end=end,
            ggis_award_reference=f"GEN{ctx.seed}-G{ctx.grant_number:07d}",
            illustrative=True, dates_are_illustrative=True,
        )
        chunk.add(grant)
        grants.append(grant)
        recipients = [lead, *rng.sample(participants[1:], 4)]
        total = 0
        for year in (first_year, first_year + 1):
            for recipient in recipients:
                resource = rng.randint(10_000, 150_000) * (2 if recipient is lead else 1) * 100
                capital = rng.randint(5_000, 50_000) * 100 if rng.random() < 0.2 else 0
                allocation = chunk.add(Allocation(
                    grant=grant, recipient=recipient, financial_year=FinancialYear(year),
                    resource=_pounds(resource), capital=_pounds(capital),
                    purpose=f"{recipient.display_name}'s part of the {PHASES[grant_index].lower()} grant",
                    illustrative=True,
                ))
                chunk.remember(Allocation, allocation, [(_at(award, 12), officer, "+", REASON, {})])
                allocations.append((allocation, resource + capital, year, grant_index == len(grant_plans) - 1))
                total += resource + capital
        grant.amount_awarded = _pounds(total)

    last_paid = _plan_milestones_and_money(ctx, chunk, project, participants, allocations, last_year, status)

    # The statuses, now that the money is planned: no payment after a project or grant is
    # withdrawn or closed (those take only recoveries).
    withdrawn_at = _at(max(withdrawn_on, last_paid + dt.timedelta(days=7)))
    project_path = [("proposed", _at(first_award), officer, ""), ("active", _at(project_start), officer, "")]
    if status == "withdrawn":
        project_path.append(("withdrawn", withdrawn_at, officer, "The partners could not keep the service going."))
    elif status in ("closing", "closed"):
        project_path.append(("closing", _at(project_end), officer, ""))
        if status == "closed":
            # Settled: no milestone payment committed, every final return in, nothing paid and unspent.
            project_path.append(("closed", _at(project_end + dt.timedelta(days=92)), officer,
                                 "Delivered; the money is settled."))
    steps = _status_path(chunk, project, ProjectStatusChange, project_path, reason=REASON)
    chunk.remember(Project, project, steps)
    for grant_index, grant in enumerate(grants):
        last_grant = grant_index == len(grants) - 1
        closed_at = _at(grant.planned_end + dt.timedelta(days=92))
        path = [("awarded", _at(grant.award_date), officer, ""), ("active", _at(grant.planned_start), officer, "")]
        if status == "withdrawn" and (last_grant or closed_at > withdrawn_at):
            path.append(("withdrawn", withdrawn_at, officer, "The project was withdrawn."))
        elif status == "closed" or not last_grant:
            path.append(("closed", closed_at, officer, ""))
        steps = _status_path(chunk, grant, GrantStatusChange, path, reason=REASON)
        grant.modified_at = path[-1][1]
        for step in steps:
            step[4]["modified_at"] = step[0]
        chunk.remember(Grant, grant, steps)

    _plan_evaluation(ctx, chunk, project, partner_las, project_start, project_end)


# One project's 20 milestones: (kind, status, carries a payment, how it is paid).
MILESTONE_PLAN = (
    [("A", "accepted", True, "paid")] * 9
    + [("B", "accepted", True, "advance"), ("C", "accepted", True, "unpaid")]
    + [("D", "accepted", False, None)] * 2
    + [("E", "submitted", True, "advance"), ("F", "submitted", True, "unpaid"), ("G", "submitted", False, None),
       ("H", "returned", True, "unpaid"), ("I", "returned", False, None),
       ("J", "planned", True, "unpaid"), ("K", "planned", False, None)]
)

OPEN_KINDS = "EFGHIJK"


def _plan_milestones_and_money(ctx, chunk, project, participants, allocations, last_year, status) -> dt.date:
    """The project's milestones, payments, recoveries, spend returns and each allocation's
    balance; returns the day of its last payment (recoveries aside)."""
    rng, officer = ctx.rng, ctx.officer
    # A closed or withdrawn project takes no more payments, so none of its milestones still
    # commits one: a payment committed and never made would be a dead end, and closing
    # needs the money settled.
    finished = status in ("closed", "withdrawn")
    latest = [a for a in allocations if a[3] and a[2] == last_year]
    earlier = [a for a in allocations if a not in latest]
    open_paying = rng.sample(latest, 4)
    done_paying = rng.sample(earlier + [a for a in latest if a not in open_paying], 11)
    # Payments still to be made draw on the last grant's last year, whose grant is active
    # while the project runs; payments made, on any allocation.
    paying = {"unpaid": iter(open_paying), "made": iter(done_paying)}
    # allocation pk-free key (its position) -> (milestone, amount in pennies, paid on, advance)
    milestone_payments = {}
    committed = {}
    resubmitted = rng.randrange(9)
    for position, (kind, final, pays, how) in enumerate(MILESTONE_PLAN):
        pays = pays and not (finished and how == "unpaid")
        if pays:
            allocation, pennies, year, _ = next(paying["unpaid" if how == "unpaid" else "made"])
            organisation = allocation.recipient
            amount = _fraction(pennies, rng.uniform(0.2, 0.4) if how == "unpaid" else rng.uniform(0.35, 0.6))
        else:
            allocation, amount = None, None
            organisation = rng.choice(participants)
            year = last_year if kind in OPEN_KINDS else rng.choice([a[2] for a in allocations])
        fy = FinancialYear(year)
        # Nothing happens before the grant that pays for it was awarded and started.
        begins = max(fy.start, allocation.grant.planned_start if allocation else project.start_date)
        due = begins + dt.timedelta(days=rng.randint(120, 300) if kind in OPEN_KINDS else rng.randint(30, 200))
        milestone = chunk.add(Milestone(
            project=project, organisation=organisation,
            title=f"{rng.choice(MILESTONE_TITLES)} ({organisation.display_name}, {fy})"[:200],
            description="A generated milestone (illustrative).",
            due_date=due, payment_amount=_pounds(amount) if amount else None, allocation=allocation,
            illustrative=True,
        ))
        submitter = ctx.users[organisation.pk]
        path = [("planned", _at(begins, 9), officer, "")]
        paid_on = None
        if final != "planned":
            submitted = due - dt.timedelta(days=rng.randint(0, 10))
            path.append(("submitted", _at(submitted, 11), submitter, ""))
            _submission(chunk, milestone, submitted, submitter)
            if kind == "A" and position == resubmitted or kind == "H" or kind == "I":
                reviewed = submitted + dt.timedelta(days=rng.randint(5, 15))
                path.append(("returned", _at(reviewed, 15), officer, RETURN_REASON))
                _review(chunk, "returned", reviewed, officer)
                if final != "returned":
                    submitted = reviewed + dt.timedelta(days=rng.randint(10, 30))
                    path.append(("submitted", _at(submitted, 11), submitter, ""))
                    _submission(chunk, milestone, submitted, submitter)
            if how == "advance":
                paid_on = submitted + dt.timedelta(days=rng.randint(1, 5))
            if final == "accepted":
                accepted = max(submitted, paid_on or submitted) + dt.timedelta(days=rng.randint(5, 20))
                path.append(("accepted", _at(accepted, 15), officer, ""))
                _review(chunk, "accepted", accepted, officer)
                if how == "paid":
                    paid_on = accepted + dt.timedelta(days=rng.randint(3, 20))
        steps = _status_path(chunk, milestone, MilestoneStatusChange, path, reason=REASON)
        chunk.remember(Milestone, milestone, steps)
        if pays and how == "unpaid":
            committed[id(allocation)] = amount
        elif pays:
            milestone_payments[id(allocation)] = (milestone, amount, paid_on, how == "advance")

    last_paid = project.start_date
    for allocation, pennies, year, last_grant in allocations:
        fy = FinancialYear(year)
        released = milestone_payments.get(id(allocation))
        # Within the headroom: what a milestone still to be paid has committed stays free for it.
        available = pennies - committed.get(id(allocation), 0)
        if released:
            milestone, first, first_on, advance = released
        else:
            milestone, advance = None, rng.random() < 0.03
            first = _fraction(available, rng.uniform(0.35, 0.6))
            first_on = max(fy.start, allocation.grant.planned_start) + dt.timedelta(days=rng.randint(10, 90))
        payments = [_payment(ctx, chunk, allocation, first, first_on, milestone=milestone, advance=advance)]
        second_on = first_on + dt.timedelta(days=rng.randint(30, 120))
        pattern = rng.random()
        if pattern < 0.12:
            # A clawback after the year end of part of what was paid.
            recovered = _fraction(first, rng.uniform(0.05, 0.3))
            payments.append(_payment(ctx, chunk, allocation, recovered, max(second_on, fy.end + dt.timedelta(
                days=rng.randint(30, 120))), recovery=True))
            net = first - recovered
        else:
            rest = available - first
            second = rest if pattern < 0.8 or rest < 200 else _fraction(rest, rng.uniform(0.5, 0.95))
            payments.append(_payment(ctx, chunk, allocation, second, second_on))
            net = first + second
        paid = [p for p in payments if p["kind"] == Payment.Kind.PAYMENT]
        last_paid = max([last_paid] + [p["paid_on"] for p in paid])
        spent, forecast, last_return = _plan_spend_returns(
            ctx, chunk, allocation, pennies, net, fy,
            running=status in ("active", "closing") and last_grant, settled=status == "closed",
        )
        # The balance the money services keep, equal to the rows above.
        chunk.row(
            AllocationBalance, allocation_id=allocation,
            paid=sum((p["amount"] for p in paid), Decimal("0.00")),
            recovered=sum((p["amount"] for p in payments if p not in paid), Decimal("0.00")),
            released=Decimal("0.00"), committed=_pounds(committed.get(id(allocation), 0)),
            spent=_pounds(spent), forecast=_pounds(forecast),
            # Every generated row is illustrative, and every allocation has its four spend returns.
            invented_paid=bool(payments), invented_committed=id(allocation) in committed, invented_spent=True,
            updated_at=max([last_return] + [p["recorded_at"] for p in payments]),
        )
    return last_paid


def _submission(chunk, milestone, day, submitter):
    chunk.add(MilestoneSubmission(
        milestone=milestone, narrative="Delivered as planned: the evidence is held by the council (generated).",
        submitted_by=submitter, submitted_at=_at(day, 11),
    ))


def _review(chunk, decision, day, officer):
    submission = chunk.rows[MilestoneSubmission][-1]
    chunk.row(
        MilestoneReview, submission_id=submission, decision=decision,
        reason=RETURN_REASON if decision == "returned" else "", reviewed_by_id=officer, reviewed_at=_at(day, 15),
    )


def _payment(ctx, chunk, allocation, pennies, paid_on, *, milestone=None, advance=False, recovery=False):
    ctx.payment_number += 1
    if recovery:
        note = "Underspend recovered after the year end."
    elif milestone is not None and not advance:
        note = "Released by the accepted milestone."
    else:
        note = "Scheduled payment."
    recorded_at = _at(paid_on, 11)
    late = not recovery and paid_on > allocation.grant.planned_end
    payment = chunk.row(
        Payment, allocation_id=allocation, kind=Payment.Kind.RECOVERY if recovery else Payment.Kind.PAYMENT,
        amount=_pounds(pennies), paid_on=paid_on, milestone_id=milestone, in_advance=advance,
        advance_reason=ADVANCE_REASON if advance else "", reference=f"GEN{ctx.seed}-P{ctx.payment_number:08d}",
        note=note, recovery_reason=RecoveryReason.UNDERSPEND if recovery else "",
        late_reason=LATE_REASON if late else "", recorded_by_id=ctx.finance, recorded_at=recorded_at,
        illustrative=True,
    )
    chunk.remember(Payment, payment, [(recorded_at, ctx.finance, "+", REASON, {})])
    return payment


def _plan_spend_returns(ctx, chunk, allocation, pennies, net, fy, *, running: bool, settled: bool):
    """Four quarters that spend at most what was paid (of a closed project, exactly what was
    paid: its money is settled); the forecast is what is left of the spending plus part of
    what will not be spent. Returns (spent, the last quarter's forecast, when the last return
    was submitted or reviewed), in pennies."""
    rng = ctx.rng
    spent_total = _fraction(net, rng.uniform(0.75, 1.0))
    if settled:
        spent_total = net
    weights = [rng.uniform(0.15, 0.35) for _ in range(4)]
    shares = [int(spent_total * w / sum(weights)) for w in weights[:3]]
    shares.append(spent_total - sum(shares))
    unspent = pennies - spent_total
    submitter = ctx.users[allocation.recipient.pk]
    # The last return of a grant still running awaits the officer's review.
    awaiting = running and fy.end == allocation.grant.planned_end
    so_far = 0
    for quarter, spent in enumerate(shares, start=1):
        so_far += spent
        forecast = 0 if quarter == 4 else spent_total - so_far + _fraction(unspent, rng.uniform(0, 0.5))
        submitted = fy.quarter(quarter).end + dt.timedelta(days=rng.randint(10, 30))
        reviewed = None if awaiting and quarter == 4 else submitted + dt.timedelta(days=rng.randint(5, 20))
        submitted_at, reviewed_at = _at(submitted, 10), _at(reviewed, 16) if reviewed else None
        spend_return = chunk.row(
            SpendReturn, allocation_id=allocation, quarter=quarter, spent=_pounds(spent), forecast=_pounds(forecast),
            comment="Recruitment started late, so part of the year's money will not be spent."
            if quarter == 4 and unspent > pennies // 5 else "",
            status=SpendReturn.Status.REVIEWED if reviewed else SpendReturn.Status.SUBMITTED,
            submitted_by_id=submitter, submitted_at=submitted_at,
            reviewed_by_id=ctx.officer if reviewed else None, reviewed_at=reviewed_at, illustrative=True,
        )
        steps = [(submitted_at, submitter, "+", REASON,
                  {"status": "submitted", "reviewed_by_id": None, "reviewed_at": None})]
        if reviewed:
            steps.append((reviewed_at, ctx.officer, "~", "", {}))
        chunk.remember(SpendReturn, spend_return, steps)
    return spent_total, forecast, reviewed_at or submitted_at


def _plan_evaluation(ctx, chunk, project, partner_las, start, end):
    rng = ctx.rng
    design = rng.choice(list(DESIGN_MARYLAND))
    status = rng.choices(["planned", "in_progress", "interim", "final"], weights=[10, 30, 30, 30])[0]
    university = rng.choice(ctx.universities)
    evaluation = chunk.add(Evaluation(
        title=f"{project.title}: evaluation"[:200], evaluator_organisation=university, design=design,
        status=status, summary="A generated evaluation (illustrative).",
        start_date=start, end_date=end + dt.timedelta(days=180),
    ))
    chunk.row(Evaluation.projects.through, evaluation_id=evaluation, project_id=project)
    # bench-evaluator works for the first university (when the generator created it).
    assigned = university is ctx.universities[0]
    if assigned:
        chunk.row(Evaluation.evaluators.through, evaluation_id=evaluation, user_id=ctx.evaluator)
    recorder = ctx.evaluator if assigned else ctx.officer
    baseline_year = FinancialYear.of(start)
    followup_year = FinancialYear.of(end)
    reports = []
    if status in ("interim", "final"):
        kinds = [EvaluationReport.Kind.INTERIM] + ([EvaluationReport.Kind.FINAL] if status == "final" else [])
        for offset, kind in enumerate(kinds):
            published = followup_year.end + dt.timedelta(days=90 + 180 * offset)
            reports.append(chunk.add(EvaluationReport(
                evaluation=evaluation, title=f"{evaluation.title[:150]}: {kind.label.lower()}", kind=kind,
                published_on=published, uploaded_by=recorder, uploaded_at=_at(published),
            )))
        rated_at = _at(reports[-1].published_on + dt.timedelta(days=30))
        ratings = [(EvidenceRating.Scale.MARYLAND, DESIGN_MARYLAND[design])]
        if status == "final":
            ratings += [
                (EvidenceRating.Scale.WWCSC_EFFECTIVENESS,
                 rng.choice(["no_effect", "unclear", "positive", "positive"])),
                (EvidenceRating.Scale.WWCSC_STRENGTH, rng.choice(["limited", "moderate", "strong"])),
            ]
        for scale, value in ratings:
            chunk.row(
                EvidenceRating, evaluation_id=evaluation, scale=scale, value=value,
                rationale=f"Follows from the {design} design.", rated_by_id=ctx.officer, rated_at=rated_at,
            )
    with_followup = status in ("interim", "final") or (status == "in_progress" and rng.random() < 0.3)
    for measure in sorted(rng.sample(ctx.measures, 4), key=lambda m: m.name):
        for authority in [None, *partner_las]:
            chunk.row(OutcomeResult, **_result(rng, evaluation, measure, authority, design, baseline_year,
                                               followup_year, with_followup, reports, recorder))


# Results record the unit their figures are in (the measure's), where the model has it.
RESULT_HAS_UNIT = any(f.name == "unit" for f in OutcomeResult._meta.concrete_fields)


def _value(number: float, unit: str) -> Decimal:
    if unit == OutcomeMeasure.Unit.PERCENT:
        number = min(number, 100.0)
    return Decimal(str(round(max(number, 0.0), 1))).quantize(Decimal("0.0001"))


def _result(rng, evaluation, measure, authority, design, baseline_year, followup_year, with_followup, reports,
            recorder):
    unit = measure.unit
    low, high = {"per_10000": (20, 80), "percent": (10, 40), "number": (12, 25), "gbp": (2000, 20000),
                 "days": (20, 120)}[unit]
    baseline = rng.uniform(low, high)
    better = 0.8 if measure.direction == OutcomeMeasure.Direction.LOWER_IS_BETTER else 1.2
    values = {"baseline_value": _value(baseline, unit), "target_value": _value(baseline * better, unit)}
    if with_followup:
        values |= {
            "followup_value": _value(baseline * rng.uniform(0.7, 1.15), unit),
            "followup_period_start": followup_year.start,
            "followup_period_end": followup_year.end,
        }
        if design in ("rct", "quasi", "ba_comparison"):
            values["comparison_value"] = _value(baseline * rng.uniform(0.9, 1.1), unit)
        if design in ("rct", "quasi"):
            effect = round(rng.uniform(-0.5, 0.5), 2)
            lower, upper = effect - round(rng.uniform(0.05, 0.3), 2), effect + round(rng.uniform(0.05, 0.3), 2)
            lower, upper = (Decimal(str(round(bound, 2))).quantize(Decimal("0.0001")) for bound in (lower, upper))
            significant = lower > 0 or upper < 0
            p_value = rng.uniform(0.001, 0.049) if significant else rng.uniform(0.05, 0.9)
            values |= {
                "effect_size": Decimal(str(effect)).quantize(Decimal("0.0001")),
                "ci_lower": lower,
                "ci_upper": upper,
                "p_value": Decimal(str(round(p_value, 5))).quantize(Decimal("0.00001")),
                "significance": OutcomeResult.Significance.SIGNIFICANT if significant
                else OutcomeResult.Significance.NOT_SIGNIFICANT,
            }
        if reports:
            values |= {"source_report_id": reports[-1], "source_location": f"Table {rng.randint(1, 12)}"}
    if RESULT_HAS_UNIT:
        values["unit"] = unit
    return dict(
        evaluation_id=evaluation, measure_id=measure, authority_id=authority,
        baseline_period_start=baseline_year.start, baseline_period_end=baseline_year.end,
        illustrative=True, recorded_by_id=recorder,
        updated_at=_at(reports[-1].published_on if reports else baseline_year.end + dt.timedelta(days=60)),
        **values,
    )



"""A synthetic programme at national scale, for benchmarks and load tests.

``generate_programme(projects=N, seed=S)`` writes one programme named
"Generated programme (illustrative), seed S" with bulk inserts. Per project it
writes exactly: 3 grants (each in a different round), 30 allocations (5
recipients x 2 financial years per grant), 20 milestones in every state, 60
payments and recoveries (2 per allocation), 120 quarterly spend returns (4 per
allocation), 1 evaluation and 20 outcome results; there are max(3, N/100)
rounds over 6 financial years. N = 1,000 gives 3,000 grants, 30,000
allocations, 20,000 milestones, 60,000 payments, 120,000 spend returns and
20,000 outcome results; N = 5,000 a ledger of about a million rows.

Every row obeys the rules the services enforce, although it does not go
through them (that would take hours): allocations add up to the award to the
penny; net paid plus the milestone payments still committed never pass an
allocation, so every committed payment can be made; payments fall within the
grant's dates (one after its planned end says why) and never after its project
or grant closed or was withdrawn; recoveries say why money was recovered; spend
never exceeds what was paid and a closed project's money is settled (nothing
committed, every final return in, nothing paid and unspent); a milestone's
payment is made once, after its acceptance by an officer who is not the finance
officer who pays it, or in advance with a reason; each allocation has the
balance (grants.money) the services would keep, equal to its rows; statuses
have their full status-change history from the initial row on, and, where the
model keeps an audit history (django-simple-history), one record per creation
and change. Every money row is marked illustrative.

Same seed, same rows: everything comes from random.Random(seed) drawn in a
fixed order; dates come from the seed, not the clock; other rows are found by
natural keys (org-id, username, name), never by their primary keys. Rows are
written in insertion order, so a row's rank by primary key within its table is
the same in every run.

Reference rows are shared between seeds and created only when missing: the
funder (DfE), a pool of generated organisations (leads, delivery partners and
evaluators, "XI-GENERATED-..."), the demo's themes, the catalogue's outcome
measures (evaluations/catalogue.py), and the generated users: bench-officer,
bench-finance, bench-viewer, bench-evaluator and one recipient user per
organisation, bench-<org-id in lower case> (bench-gb-lae-dby). The 153 current
local authorities come from load_authorities, run first if there are none.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Role, User
from evaluations.catalogue import MEASURES, load_measures
from evaluations.models import Evaluation, EvaluationReport, EvidenceRating, OutcomeMeasure, OutcomeResult
from grants import demo
from grants.financial_year import FinancialYear, FinancialYearField
from grants.models import (
    Allocation,
    AllocationBalance,
    Grant,
    GrantStatusChange,
    Organisation,
    Payment,
    Programme,
    RecoveryReason,
    Round,
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
    Theme,
)

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
FUNDER = demo.DFE
REASON = "Generated programme (illustrative)"


def rounds_for(projects: int) -> int:
    return max(3, round(projects / 100))


def expected_counts(projects: int) -> dict[str, int]:
    """What generate_programme(projects=N) writes, exactly."""
    return {"projects": projects, "rounds": rounds_for(projects)} | {
        name: per * projects for name, per in PER_PROJECT.items()
    }


def programme_name(seed: int) -> str:
    return f"Generated programme (illustrative), seed {seed}"


def programme_code(seed: int) -> str:
    return f"generated-s{seed}"


def recipient_username(organisation: Organisation) -> str:
    return f"bench-{organisation.org_id.lower()}"


class GeneratedProgrammeExists(Exception):
    pass


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


# --- Writing -------------------------------------------------------------------------


@contextlib.contextmanager
def _explicit_timestamps(*fields):
    """bulk_create stamps auto_now fields with the clock; the generator's rows
    carry dates from the seed instead."""
    saved = [(f, f.auto_now) for f in fields]
    try:
        for f, _ in saved:
            f.auto_now = False
        yield
    finally:
        for f, value in saved:
            f.auto_now = value


_HISTORY_MODELS = {}


def _history_model(model):
    """The model's django-simple-history record model, or None. (Reading
    ``model.history`` builds a manager each time, hence the cache.)"""
    if model not in _HISTORY_MODELS:
        _HISTORY_MODELS[model] = getattr(getattr(model, "history", None), "model", None)
    return _HISTORY_MODELS[model]


@dataclass(frozen=True)
class _Column:
    attname: str
    default: object
    related: bool
    convert: object  # value -> what the database driver takes, or None


_MISSING = object()
_COLUMNS = {}


def _columns(model, *, with_pk: bool) -> list[_Column]:
    """The columns a plain row of ``model`` is written to, with their defaults."""
    key = (model, with_pk)
    if key not in _COLUMNS:
        columns = []
        for f in model._meta.concrete_fields:
            if getattr(f, "generated", False) or (f.primary_key and not with_pk):
                continue
            # A callable default (the clock) is never used: the generator gives those columns.
            default = _MISSING if f.primary_key or (f.has_default() and callable(f.default)) else f.get_default()
            convert = f.get_prep_value if isinstance(f, FinancialYearField) else None
            columns.append(_Column(f.attname, default, f.is_relation, convert))
        _COLUMNS[key] = columns
    return _COLUMNS[key]


def _tuples(model, rows, *, with_pk: bool):
    columns = _columns(model, with_pk=with_pk)
    sqlite = connection.vendor == "sqlite"
    out = []
    for row in rows:
        values = []
        for column in columns:
            value = row.get(column.attname, column.default)
            if value is _MISSING:
                raise KeyError(f"{model.__name__}.{column.attname} has no value")
            if column.related and isinstance(value, models.Model):
                value = value.pk
            elif column.convert is not None and value is not None:
                value = column.convert(value)
            if sqlite and isinstance(value, dt.datetime):
                value = connection.ops.adapt_datetimefield_value(value)
            elif sqlite and isinstance(value, dt.date):
                value = value.isoformat()
            values.append(value)
        out.append(values)
    return [c.attname for c in columns], out


def _insert_rows(model, rows, *, with_pk=False) -> None:
    """Write plain rows: COPY on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    names, values = _tuples(model, rows, with_pk=with_pk)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(name) for name in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(names))
            for start in range(0, len(values), BATCH_SIZE):
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values[start:start + BATCH_SIZE]
                )


def _reserve_ids(model, count: int) -> list[int]:
    """Keys for rows written by COPY that an audit record must point to."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [table, count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the writer holds the database's write lock for the whole transaction.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        highest = max(highest, cursor.fetchone()[0])
        return list(range(highest + 1, highest + 1 + count))


_COPIED = {}


def _copied_fields(model, history_model) -> list[str]:
    """The columns a historical record copies from its row (not the generated ones)."""
    if model not in _COPIED:
        base = {f.attname for f in model._meta.concrete_fields if not getattr(f, "generated", False)}
        _COPIED[model] = [f.attname for f in history_model._meta.concrete_fields
                          if f.attname in base and not getattr(f, "generated", False)]
    return _COPIED[model]


def _history_rows(model, history_model, obj, steps):
    """One historical record per step: the row as it stood then (its final values,
    with the step's own, such as the status of the time)."""
    names = _copied_fields(model, history_model)
    if isinstance(obj, models.Model):
        values = {name: getattr(obj, name) for name in names}
    else:
        defaults = {c.attname: c.default for c in _columns(model, with_pk=True)}
        values = {name: obj.get(name, defaults.get(name)) for name in names}
    return [
        values | overrides | {
            "history_date": when, "history_type": kind, "history_user_id": user,
            "history_change_reason": reason[:100] if reason else None,
        }
        for when, user, kind, reason, overrides in steps
    ]


def _write(chunk: Chunk, counts: dict) -> None:
    def count(model, number):
        name = model._meta.verbose_name_plural
        counts[name] = counts.get(name, 0) + number

    timestamps = (Grant._meta.get_field("modified_at"),)
    with _explicit_timestamps(*timestamps):
        for model in PARENTS:
            rows = chunk.rows[model]
            if rows:
                model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
                count(model, len(rows))
    for model in LEAVES:
        rows = chunk.rows[model]
        reserve = _history_model(model) is not None
        if reserve and rows:
            for row, pk in zip(rows, _reserve_ids(model, len(rows))):
                row["id"] = pk
        # A balance's key is its allocation's.
        _insert_rows(model, rows, with_pk=reserve or not model._meta.pk.auto_created)
        count(model, len(rows))
    history = {}
    for model, obj, steps in chunk.history:
        history_model = _history_model(model)
        if history_model is not None:
            history.setdefault(history_model, []).extend(_history_rows(model, history_model, obj, steps))
    for history_model, rows in history.items():
        _insert_rows(history_model, rows)
        counts["audit history records"] = counts.get("audit history records", 0) + len(rows)


# --- Reference rows --------------------------------------------------------------------


def _funder() -> Organisation:
    funder = Organisation.objects.filter(org_id=FUNDER).first()
    if funder is None:
        values = next(o for o in demo.ORGANISATIONS if o["org_id"] == FUNDER)
        funder = Organisation(**values)
        funder.full_clean()
        funder.save()
    return funder


def _pool(kind: str, count: int, make) -> list[Organisation]:
    wanted = [_pool_org_id(kind, number) for number in range(1, count + 1)]
    held = {o.org_id: o for o in Organisation.objects.filter(org_id__in=wanted)}
    missing = [make(number, org_id) for number, org_id in enumerate(wanted, start=1) if org_id not in held]
    for org in missing:
        org.full_clean()
    Organisation.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    held.update({o.org_id: o for o in missing})
    return [held[org_id] for org_id in wanted]


def _pool_org(number, org_id):
    words = random.Random(f"generated-organisation-{number}")
    kind, suffix = POOL_KINDS[number % len(POOL_KINDS)]
    name = f"{words.choice(POOL_WORDS)} {words.choice(POOL_WORDS)} {suffix} {number:05d} (generated)"
    return Organisation(name=name, short_name=name.removesuffix(" (generated)"), kind=kind, org_id=org_id)


def _university(number, org_id):
    name = f"University of {POOL_WORDS[number % len(POOL_WORDS)]}field {number:04d} (generated)"
    return Organisation(name=name, short_name=name.removesuffix(" (generated)"),
                        kind=Organisation.Kind.UNIVERSITY, org_id=org_id)


def _users(funder, organisations, evaluator_org, password_hash) -> dict:
    """The generated users, created when missing and never changed: the funder's,
    a viewer, an evaluator, and one recipient user per organisation."""
    wanted = {
        "bench-officer": dict(role=Role.OFFICER, organisation=funder, first_name="Bench", last_name="Officer"),
        "bench-finance": dict(role=Role.FINANCE, organisation=funder, first_name="Bench", last_name="Finance"),
        "bench-viewer": dict(role=Role.VIEWER, organisation=None, first_name="Bench", last_name="Viewer"),
        "bench-evaluator": dict(role=Role.EVALUATOR, organisation=evaluator_org, first_name="Bench",
                                last_name="Evaluator"),
    }
    for org in organisations:
        wanted[recipient_username(org)] = dict(role=Role.RECIPIENT, organisation=org, first_name="Bench",
                                               last_name=org.display_name[:150])
    held = {u.username: u for u in User.objects.filter(username__in=list(wanted))}
    joined = timezone.make_aware(dt.datetime(2014, 4, 1))
    missing = [
        User(username=name, email=f"{name}@example.invalid", password=password_hash, date_joined=joined, **values)
        for name, values in wanted.items() if name not in held
    ]
    User.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    held.update({u.username: u for u in missing})
    return held


def _catalogue():
    themes = [Theme.objects.get_or_create(name=name, defaults={"description": description})[0]
              for name, description in demo.THEMES.items()]
    load_measures()
    names = [measure[0] for measure in MEASURES]
    held = {m.name: m for m in OutcomeMeasure.objects.filter(name__in=names)}
    return themes, [held[name] for name in names]


# --- Deleting a generated programme ------------------------------------------------------


def _programme_querysets(programme):
    """Every row of a generated programme, children first, as (model, queryset)."""
    in_programme = {"project__programme": programme}
    allocations = Allocation.objects.filter(grant__project__programme=programme)
    milestones = Milestone.objects.filter(**in_programme)
    evaluation_ids = list(
        Evaluation.projects.through.objects.filter(**in_programme).values_list("evaluation", flat=True).distinct()
    )
    grants = Grant.objects.filter(**in_programme)
    projects = Project.objects.filter(programme=programme)
    return [
        (Payment, Payment.objects.filter(allocation__in=allocations)),
        (SpendReturn, SpendReturn.objects.filter(allocation__in=allocations)),
        (MilestoneReview, MilestoneReview.objects.filter(submission__milestone__in=milestones)),
        (MilestoneSubmission, MilestoneSubmission.objects.filter(milestone__in=milestones)),
        (MilestoneStatusChange, MilestoneStatusChange.objects.filter(milestone__in=milestones)),
        (Milestone, milestones),
        (AllocationBalance, AllocationBalance.objects.filter(allocation__in=allocations)),
        (Allocation, allocations),
        (GrantStatusChange, GrantStatusChange.objects.filter(grant__in=grants)),
        (Grant, grants),
        (OutcomeResult, OutcomeResult.objects.filter(evaluation__in=evaluation_ids)),
        (EvaluationReport, EvaluationReport.objects.filter(evaluation__in=evaluation_ids)),
        (EvidenceRating, EvidenceRating.objects.filter(evaluation__in=evaluation_ids)),
        (Evaluation.evaluators.through, Evaluation.evaluators.through.objects.filter(evaluation__in=evaluation_ids)),
        (Evaluation.projects.through, Evaluation.projects.through.objects.filter(evaluation__in=evaluation_ids)),
        (Evaluation, Evaluation.objects.filter(pk__in=evaluation_ids)),
        (ProjectPartner, ProjectPartner.objects.filter(**in_programme)),
        (Project.themes.through, Project.themes.through.objects.filter(**in_programme)),
        (ProjectStatusChange, ProjectStatusChange.objects.filter(**in_programme)),
        (Project, projects),
        (Round, Round.objects.filter(programme=programme)),
        (Programme, Programme.objects.filter(pk=programme.pk)),
    ]


def programme_rows(programme):
    """(model, queryset) for every row of the programme, its audit history
    included, parents first: the order they were written in."""
    found = []
    for model, queryset in reversed(_programme_querysets(programme)):
        found.append((model, queryset))
        history_model = _history_model(model)
        if history_model is not None:
            found.append((history_model, history_model.objects.filter(id__in=queryset.values("pk"))))
    return found


def delete_programme(programme) -> int:
    """Delete a generated programme and everything in it, children first.

    Only for generated (illustrative) programmes, whose rows carry no real money
    or decision. The rows are deleted in bulk, without signals: deleting through
    the models would write an audit record per row of data that never existed.
    """
    deleted = 0
    with transaction.atomic():
        for model, queryset in _programme_querysets(programme):
            history_model = _history_model(model)
            if history_model is not None:
                history = history_model.objects.filter(id__in=queryset.values("pk"))
                deleted += history._raw_delete(history.db)
            deleted += queryset._raw_delete(queryset.db)
    return deleted


# --- The generator ---------------------------------------------------------------------


@dataclass
class Result:
    programme: Programme
    counts: dict
    users: dict


def generate_programme(*, projects: int, seed: int, replace: bool = False, password: str | None = None,
                       progress=None) -> Result:
    """Write a generated programme of ``projects`` projects from ``seed``.

    ``password`` is set on generated users that do not exist yet; None leaves
    them without a usable password. Raises GeneratedProgrammeExists when the
    seed's programme is there and ``replace`` is false.
    """
    if projects < 1:
        raise ValueError("Generate at least one project")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"The seed must be a whole number from 0 to {MAX_SEED:,}")
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    with transaction.atomic():
        existing = Programme.objects.filter(code=programme_code(seed)).first() or Programme.objects.filter(
            name=programme_name(seed)).first()
        if existing is not None:
            if not replace:
                raise GeneratedProgrammeExists(
                    f"“{existing.name}” is already in the database: run again with --replace to delete it "
                    "and generate it afresh, or choose another seed."
                )
            counts["deleted rows of the earlier programme"] = delete_programme(existing)
        if not Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY).exists():
            call_command("load_authorities", verbosity=0)
        authorities = list(Organisation.objects.filter(
            kind=Organisation.Kind.LOCAL_AUTHORITY, valid_to__isnull=True
        ).order_by("org_id"))
        if len(authorities) < 6:
            raise ValueError("The generator needs the current local authorities: run load_authorities")
        funder = _funder()
        pool = _pool("ORG", max(6, projects // 5), _pool_org)
        universities = _pool("UNI", max(2, projects // 50), _university)
        password_hash = make_password(password)  # None gives an unusable password
        users = _users(funder, authorities + pool, universities[0], password_hash)
        themes, measures = _catalogue()

        base_year = 2014 + rng.randrange(4)
        rounds_count = rounds_for(projects)
        programme_start = FinancialYear(base_year).start - dt.timedelta(days=180)
        programme = Programme(
            name=programme_name(seed), code=programme_code(seed), funder=funder,
            description=f"A generated programme of {projects:,} projects from seed {seed}: "
            "every figure is illustrative.",
            budget=Decimal("0.00"), ggis_scheme_reference=f"GEN{seed}", start_date=programme_start,
            end_date=FinancialYear(base_year + FINANCIAL_YEARS - 1).end, budget_is_illustrative=True,
        )
        # bulk_create, as for every generated row: a save() would write an audit record of its own.
        Programme.objects.bulk_create([programme])
        rounds, round_years = [], []
        for index in range(rounds_count):
            # Spread from the first year to the fifth, so that the grants' two years cover all six.
            year = base_year + index * (FINANCIAL_YEARS - 2) // (rounds_count - 1)
            rounds.append(Round(
                programme=programme, number=index + 1, name=f"Round {index + 1}",
                description="A generated round (illustrative).", budget=Decimal("0.00"),
                start_date=FinancialYear(year).start - dt.timedelta(days=180 - 60 * (index % 3)),
                end_date=FinancialYear(year + 1).end, budget_is_illustrative=True,
            ))
            round_years.append(year)
        Round.objects.bulk_create(rounds)
        counts.update({"programmes": 1, "rounds": len(rounds)})

        officer = users["bench-officer"]
        ctx = Context(
            seed=seed, rng=rng, programme=programme, rounds=rounds, round_years=round_years,
            authorities=authorities, pool=pool, universities=universities, themes=themes, measures=measures,
            users={org.pk: users[recipient_username(org)] for org in authorities + pool},
            officer=officer, finance=users["bench-finance"], evaluator=users["bench-evaluator"],
        )
        awarded = {r.pk: 0 for r in rounds}
        for first in range(0, projects, CHUNK):
            chunk = Chunk()
            for number in range(first + 1, min(first + CHUNK, projects) + 1):
                _plan_project(ctx, chunk, number)
            for grant in chunk.rows[Grant]:
                awarded[grant.round.pk] += int(grant.amount_awarded * 100)
            _write(chunk, counts)
            if progress:
                progress(min(first + CHUNK, projects), projects)

        # Budgets: what the rounds awarded, with headroom, rounded up to the next £100,000.
        for round_ in rounds:
            round_.budget = _pounds(-(-awarded[round_.pk] * 11 // 10 // 10_000_000) * 10_000_000)
            Round.objects.filter(pk=round_.pk).update(budget=round_.budget)
        programme.budget = sum((r.budget for r in rounds), Decimal("0.00"))
        Programme.objects.filter(pk=programme.pk).update(budget=programme.budget)
        created = _at(programme_start, 9)
        history = Chunk()
        history.remember(Programme, programme, [(created, officer, "+", REASON, {})])
        for round_ in rounds:
            history.remember(Round, round_, [(created, officer, "+", REASON, {})])
        _write(history, counts)
    _analyze()
    return Result(programme=programme, counts=counts, users=users)


def _analyze() -> None:
    """Refresh the planner's statistics of the tables just filled. Until autovacuum
    gets round to it, PostgreSQL plans as if they were nearly empty: the
    reconciliation took 8 minutes over N = 1,000 before ANALYZE and 10 s after."""
    tables = [model._meta.db_table for model in PARENTS + LEAVES]
    tables += [history._meta.db_table for history in map(_history_model, PARENTS + LEAVES + [Programme, Round])
               if history is not None]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")

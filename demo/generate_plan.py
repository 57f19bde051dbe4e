"""The generated programme's sizes and names, and what the plans of a chunk of projects share:
the chunk its rows go into, the context they are drawn in (the seed's random numbers) and
status paths. The plans themselves: generate_plan_projects.py (each project, its grants and
its evaluation) and generate_plan_money.py (its milestones, payments and spend returns)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from evaluations.models import Evaluation, EvaluationReport, EvidenceRating, OutcomeResult
from grants.models import (
    Allocation,
    AllocationBalance,
    Grant,
    GrantStatusChange,
    Organisation,
    Payment,
    Programme,
    SpendReturn,
)
from grants.org_ids import internal_id
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
REASON = "Generated programme (illustrative)"


# --- Names ---------------------------------------------------------------------

APPROACHES = [
    "Family safeguarding",
    "Restorative practice",
    "Family group conferencing",
    "Edge of care support",
    "Contextual safeguarding",
    "Lifelong links",
    "Mockingbird fostering",
    "Social work units",
    "No wrong door",
    "Signs of safety",
    "Family drug and alcohol court",
    "Strengthening families",
    "Multi-agency adolescent service",
    "Supported lodgings",
    "Parenting together",
    "Step down to early help",
]
PURPOSES = [
    "across the county",
    "for adolescents",
    "in two localities",
    "with health partners",
    "for care leavers",
    "in the city",
    "with schools",
    "for young carers",
]
PHASES = ["Development", "Scale-up", "Sustain"]
MILESTONE_TITLES = [
    "Service design agreed",
    "Practitioners recruited",
    "Training delivered",
    "First families supported",
    "Quarterly progress report",
    "Baseline data collected",
    "Board review",
    "Year-end report",
    "Case audit completed",
    "Partner agreement signed",
    "Interim learning review",
    "Sustainability plan",
]
POOL_WORDS = [
    "Northern",
    "Riverside",
    "Bridge",
    "Hearth",
    "Compass",
    "Harbour",
    "Meadow",
    "Beacon",
    "Oak",
    "Lantern",
    "Willow",
    "Keystone",
    "Horizon",
    "Anchor",
    "Thistle",
    "Kestrel",
]
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
    # Invented organisations have no registered number: they take one under the publisher's own prefix.
    return internal_id(f"generated {kind} {number:05d}")


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
    ProjectStatusChange,
    ProjectPartner,
    Project.themes.through,
    GrantStatusChange,
    MilestoneStatusChange,
    MilestoneReview,
    Payment,
    SpendReturn,
    AllocationBalance,
    Evaluation.projects.through,
    Evaluation.evaluators.through,
    EvidenceRating,
    OutcomeResult,
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
        chunk.row(
            change_model,
            **{owner: obj},
            old_status=old,
            new_status=status,
            changed_by_id=by,
            changed_at=when,
            reason=why,
        )
        steps.append((when, by, "~" if old else "+", why or reason, {"status": status}))
        old = status
    obj.status = old
    return steps

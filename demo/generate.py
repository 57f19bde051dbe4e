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
evaluators, "360G-<prefix>-org-generated-..."), the demo's themes, the catalogue's outcome
measures (evaluations/catalogue.py), and the generated users: bench-officer,
bench-finance, bench-viewer, bench-evaluator and one recipient user per
organisation, bench-<org-id in lower case> (bench-gb-lae-dby). The 153 current
local authorities come from load_authorities, run first if there are none.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, User
from demo.generate_plan import (  # noqa: F401 (GENERATED_PASSWORD: for the command and tests)
    BATCH_SIZE,
    CHUNK,
    FINANCIAL_YEARS,
    GENERATED_PASSWORD,
    LEAVES,
    MAX_SEED,
    PARENTS,
    PER_PROJECT,
    POOL_KINDS,
    POOL_WORDS,
    REASON,
    Chunk,
    Context,
    _at,
    _pool_org_id,
    _pounds,
)
from demo.generate_plan_projects import _plan_project
from demo.generate_write import _history_model, _write
from demo.records import DFE, ORGANISATIONS, THEMES
from evaluations.catalogue import MEASURES, load_measures
from evaluations.models import (
    Evaluation,
    EvaluationReport,
    EvaluationStatusChange,
    EvidenceRating,
    OutcomeMeasure,
    OutcomeResult,
)
from grants.financial_year import FinancialYear
from grants.models import (
    Allocation,
    AllocationBalance,
    Grant,
    GrantStatusChange,
    Organisation,
    Payment,
    Programme,
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

FUNDER = DFE


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


# --- Reference rows --------------------------------------------------------------------


def _funder() -> Organisation:
    funder = Organisation.objects.filter(org_id=FUNDER).first()
    if funder is None:
        values = next(o for o in ORGANISATIONS if o["org_id"] == FUNDER)
        # The demo's sources are not loaded with the generated programme: its funder's number goes unsourced.
        funder = Organisation(**{name: value for name, value in values.items() if name != "identifier_source"})
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
    return Organisation(
        name=name, short_name=name.removesuffix(" (generated)"), kind=Organisation.Kind.UNIVERSITY, org_id=org_id
    )


def _users(funder, organisations, evaluator_org, password_hash) -> dict:
    """The generated users, created when missing and never changed: the funder's,
    a viewer, an evaluator, and one recipient user per organisation."""
    wanted = {
        "bench-officer": dict(role=Role.OFFICER, organisation=funder, first_name="Bench", last_name="Officer"),
        "bench-finance": dict(role=Role.FINANCE, organisation=funder, first_name="Bench", last_name="Finance"),
        "bench-viewer": dict(role=Role.VIEWER, organisation=None, first_name="Bench", last_name="Viewer"),
        "bench-evaluator": dict(
            role=Role.EVALUATOR, organisation=evaluator_org, first_name="Bench", last_name="Evaluator"
        ),
    }
    for org in organisations:
        wanted[recipient_username(org)] = dict(
            role=Role.RECIPIENT, organisation=org, first_name="Bench", last_name=org.display_name[:150]
        )
    held = {u.username: u for u in User.objects.filter(username__in=list(wanted))}
    joined = timezone.make_aware(dt.datetime(2014, 4, 1))
    missing = [
        User(username=name, email=f"{name}@example.invalid", password=password_hash, date_joined=joined, **values)
        for name, values in wanted.items()
        if name not in held
    ]
    User.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    held.update({u.username: u for u in missing})
    return held


def _catalogue():
    themes = [
        Theme.objects.get_or_create(name=name, defaults={"description": description})[0]
        for name, description in THEMES.items()
    ]
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
        (EvaluationStatusChange, EvaluationStatusChange.objects.filter(evaluation__in=evaluation_ids)),
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


def generate_programme(
    *, projects: int, seed: int, replace: bool = False, password: str | None = None, progress=None
) -> Result:
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
        existing = (
            Programme.objects.filter(code=programme_code(seed)).first()
            or Programme.objects.filter(name=programme_name(seed)).first()
        )
        if existing is not None:
            if not replace:
                raise GeneratedProgrammeExists(
                    f"“{existing.name}” is already in the database: run again with --replace to delete it "
                    "and generate it afresh, or choose another seed."
                )
            counts["deleted rows of the earlier programme"] = delete_programme(existing)
        if not Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY).exists():
            call_command("load_authorities", verbosity=0)
        authorities = list(
            Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY, valid_to__isnull=True).order_by(
                "org_id"
            )
        )
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
            name=programme_name(seed),
            code=programme_code(seed),
            funder=funder,
            description=f"A generated programme of {projects:,} projects from seed {seed}: "
            "every figure is illustrative.",
            budget=Decimal("0.00"),
            ggis_scheme_reference=f"GEN{seed}",
            start_date=programme_start,
            end_date=FinancialYear(base_year + FINANCIAL_YEARS - 1).end,
            budget_is_illustrative=True,
        )
        # bulk_create, as for every generated row: a save() would write an audit record of its own.
        Programme.objects.bulk_create([programme])
        rounds, round_years = [], []
        for index in range(rounds_count):
            # Spread from the first year to the fifth, so that the grants' two years cover all six.
            year = base_year + index * (FINANCIAL_YEARS - 2) // (rounds_count - 1)
            rounds.append(
                Round(
                    programme=programme,
                    number=index + 1,
                    name=f"Round {index + 1}",
                    description="A generated round (illustrative).",
                    budget=Decimal("0.00"),
                    start_date=FinancialYear(year).start - dt.timedelta(days=180 - 60 * (index % 3)),
                    end_date=FinancialYear(year + 1).end,
                    budget_is_illustrative=True,
                )
            )
            round_years.append(year)
        Round.objects.bulk_create(rounds)
        counts.update({"programmes": 1, "rounds": len(rounds)})

        officer = users["bench-officer"]
        ctx = Context(
            seed=seed,
            rng=rng,
            programme=programme,
            rounds=rounds,
            round_years=round_years,
            authorities=authorities,
            pool=pool,
            universities=universities,
            themes=themes,
            measures=measures,
            users={org.pk: users[recipient_username(org)] for org in authorities + pool},
            officer=officer,
            finance=users["bench-finance"],
            evaluator=users["bench-evaluator"],
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
    reconciliation took 8 minutes over N = 1,000 before ANALYZE and 10 s after.
    Outside a transaction (a generated programme, not a test's) the tables are
    vacuumed too, as autovacuum would: until then an index-only scan reads every
    row's page as well, to learn whether the row is visible."""
    tables = [model._meta.db_table for model in PARENTS + LEAVES]
    tables += [
        history._meta.db_table
        for history in map(_history_model, PARENTS + LEAVES + [Programme, Round])
        if history is not None
    ]
    quote = connection.ops.quote_name
    command = "VACUUM ANALYZE" if connection.vendor == "postgresql" and not connection.in_atomic_block else "ANALYZE"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {quote(table)}")

"""The plan of one generated project: the project and its partners, its grants and their
allocations, its statuses once its money is planned (generate_plan_money.py), and its
evaluation with the ratings and outcome results; every row drawn from the seed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from demo.generate_plan import (
    APPROACHES,
    DESIGN_MARYLAND,
    PHASES,
    PURPOSES,
    REASON,
    Chunk,
    Context,
    _at,
    _pounds,
    _status_path,
)
from demo.generate_plan_money import _plan_milestones_and_money
from evaluations.models import Evaluation, EvaluationReport, EvidenceRating, OutcomeMeasure, OutcomeResult
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, GrantStatusChange
from projects.models import Project, ProjectPartner, ProjectStatusChange


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
        rag_reason={
            "red": "Recruitment is months behind plan.",
            "amber": "Spending is behind the forecast.",
            "green": "On track against its milestones.",
        }.get(rag, ""),
        rag_updated_at=_at(project_end - dt.timedelta(days=30)) if rag else None,
    )
    chunk.add(project)
    participants = [lead, *partner_las, delivery]
    for org in partner_las:
        chunk.row(
            ProjectPartner,
            project_id=project,
            organisation_id=org,
            role=ProjectPartner.Role.PARTNER_AUTHORITY,
            joined_on=project_start,
        )
    chunk.row(
        ProjectPartner,
        project_id=project,
        organisation_id=delivery,
        role=ProjectPartner.Role.DELIVERY_PARTNER,
        joined_on=project_start,
    )
    for theme in rng.sample(ctx.themes, rng.randint(1, 2)):
        chunk.row(Project.themes.through, project_id=project, theme_id=theme)

    # Grants and their allocations. allocations: [(allocation, pennies, financial year, of the last grant)]
    allocations, grants = [], []
    for grant_index, (round_, first_year, award, start, end) in enumerate(grant_plans):
        ctx.grant_number += 1
        grant = Grant(
            project=project,
            round=round_,
            recipient=lead,
            title=f"{title}: {PHASES[grant_index]}"[:200],
            description=f"{PHASES[grant_index]} grant of a generated project (illustrative).",
            amount_awarded=Decimal("0.00"),
            award_date=award,
            planned_start=start,
            planned_end=end,
            ggis_award_reference=f"GEN{ctx.seed}-G{ctx.grant_number:07d}",
            illustrative=True,
            dates_are_illustrative=True,
        )
        chunk.add(grant)
        grants.append(grant)
        recipients = [lead, *rng.sample(participants[1:], 4)]
        total = 0
        for year in (first_year, first_year + 1):
            for recipient in recipients:
                resource = rng.randint(10_000, 150_000) * (2 if recipient is lead else 1) * 100
                capital = rng.randint(5_000, 50_000) * 100 if rng.random() < 0.2 else 0
                allocation = chunk.add(
                    Allocation(
                        grant=grant,
                        recipient=recipient,
                        financial_year=FinancialYear(year),
                        resource=_pounds(resource),
                        capital=_pounds(capital),
                        purpose=f"{recipient.display_name}'s part of the {PHASES[grant_index].lower()} grant",
                        illustrative=True,
                    )
                )
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
            project_path.append(
                ("closed", _at(project_end + dt.timedelta(days=92)), officer, "Delivered; the money is settled.")
            )
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


def _plan_evaluation(ctx, chunk, project, partner_las, start, end):
    rng = ctx.rng
    design = rng.choice(list(DESIGN_MARYLAND))
    status = rng.choices(["planned", "in_progress", "interim", "final"], weights=[10, 30, 30, 30])[0]
    university = rng.choice(ctx.universities)
    evaluation = chunk.add(
        Evaluation(
            title=f"{project.title}: evaluation"[:200],
            evaluator_organisation=university,
            design=design,
            status=status,
            summary="A generated evaluation (illustrative).",
            start_date=start,
            end_date=end + dt.timedelta(days=180),
        )
    )
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
            reports.append(
                chunk.add(
                    EvaluationReport(
                        evaluation=evaluation,
                        title=f"{evaluation.title[:150]}: {kind.label.lower()}",
                        kind=kind,
                        published_on=published,
                        uploaded_by=recorder,
                        uploaded_at=_at(published),
                    )
                )
            )
        rated_at = _at(reports[-1].published_on + dt.timedelta(days=30))
        ratings = [(EvidenceRating.Scale.MARYLAND, DESIGN_MARYLAND[design])]
        if status == "final":
            ratings += [
                (
                    EvidenceRating.Scale.WWCSC_EFFECTIVENESS,
                    rng.choice(["no_effect", "unclear", "positive", "positive"]),
                ),
                (EvidenceRating.Scale.WWCSC_STRENGTH, rng.choice(["limited", "moderate", "strong"])),
            ]
        for scale, value in ratings:
            chunk.row(
                EvidenceRating,
                evaluation_id=evaluation,
                scale=scale,
                value=value,
                rationale=f"Follows from the {design} design.",
                rated_by_id=ctx.officer,
                rated_at=rated_at,
            )
    with_followup = status in ("interim", "final") or (status == "in_progress" and rng.random() < 0.3)
    for measure in sorted(rng.sample(ctx.measures, 4), key=lambda m: m.name):
        for authority in [None, *partner_las]:
            chunk.row(
                OutcomeResult,
                **_result(
                    rng,
                    evaluation,
                    measure,
                    authority,
                    design,
                    baseline_year,
                    followup_year,
                    with_followup,
                    reports,
                    recorder,
                ),
            )


# Results record the unit their figures are in (the measure's), where the model has it.
RESULT_HAS_UNIT = any(f.name == "unit" for f in OutcomeResult._meta.concrete_fields)


def _value(number: float, unit: str) -> Decimal:
    if unit == OutcomeMeasure.Unit.PERCENT:
        number = min(number, 100.0)
    return Decimal(str(round(max(number, 0.0), 1))).quantize(Decimal("0.0001"))


def _result(
    rng, evaluation, measure, authority, design, baseline_year, followup_year, with_followup, reports, recorder
):
    unit = measure.unit
    low, high = {
        "per_10000": (20, 80),
        "percent": (10, 40),
        "number": (12, 25),
        "gbp": (2000, 20000),
        "days": (20, 120),
    }[unit]
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
                "significance": OutcomeResult.Significance.SIGNIFICANT
                if significant
                else OutcomeResult.Significance.NOT_SIGNIFICANT,
            }
        if reports:
            values |= {"source_report_id": reports[-1], "source_location": f"Table {rng.randint(1, 12)}"}
    if RESULT_HAS_UNIT:
        values["unit"] = unit
    return dict(
        evaluation_id=evaluation,
        measure_id=measure,
        authority_id=authority,
        baseline_period_start=baseline_year.start,
        baseline_period_end=baseline_year.end,
        illustrative=True,
        recorded_by_id=recorder,
        updated_at=_at(reports[-1].published_on if reports else baseline_year.end + dt.timedelta(days=60)),
        **values,
    )

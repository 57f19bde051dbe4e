"""The demo's evidence: an evaluation of every project, its reports, evidence rating and outcome results."""

import datetime as dt
from decimal import Decimal

from demo.common import _at, _set_changed, _upsert
from demo.datafile import DATE, STR, Fields, Nullable, read
from demo.records import EVALUATOR
from evaluations.catalogue import load_measures
from evaluations.models import (
    Evaluation,
    EvaluationReport,
    EvaluationStatusChange,
    EvidenceRating,
    OutcomeMeasure,
    OutcomeResult,
)
from evaluations.services import rate_evaluation, save_result

# The evaluations are data (demo/data/evaluations.json; demo/datafile.py says how it is
# written and read). A report is (title, kind, published on), known by its title; a
# rating is (scale, value, rationale); a result's baseline and follow-up are (value,
# period start, period end). The measures are the catalogue's (evaluations/catalogue.py),
# by name. Every evaluation is the fictional University of Wessex's and every result is
# loaded as illustrative; each result is for an organisation that takes part in the
# evaluated project, or for the whole project, and each rating is the programme
# officer's, never the evaluation's own evaluator's.
_PERIOD = Fields(("value", STR), ("start", DATE), ("end", DATE))

EVALUATIONS = read(
    "evaluations.json",
    [
        {
            "title": STR,
            "projects": [STR],
            "design": Evaluation.Design,
            "status": Evaluation.Status,
            "summary": STR,
            "start_date": DATE,
            "end_date": DATE,
            "reports": [Fields(("title", STR), ("kind", EvaluationReport.Kind), ("published_on", DATE))],
            "ratings": [Fields(("scale", EvidenceRating.Scale), ("value", STR), ("rationale", STR))],
            "results": [
                {
                    "measure": STR,
                    "authority": Nullable(STR),
                    "baseline": _PERIOD,
                    "followup": _PERIOD,
                    "target": STR,
                    "source_report": STR,
                    "source_location": STR,
                }
            ],
        }
    ],
)


# --- Loading -------------------------------------------------------------------


def _load_evidence(projects, organisations, users, clock):
    officer, evaluator = users["officer"], users["evaluator"]
    load_measures()
    named = {result["measure"] for data in EVALUATIONS for result in data["results"]}
    measures = {measure.name: measure for measure in OutcomeMeasure.objects.filter(name__in=named)}
    for data in EVALUATIONS:
        evaluation, _ = _upsert(
            Evaluation,
            {"title": data["title"]},
            {
                "evaluator_organisation": organisations[EVALUATOR],
                "design": data["design"],
                "status": data["status"],
                "summary": data["summary"],
                "start_date": data["start_date"],
                "end_date": data["end_date"],
            },
        )
        evaluation.projects.add(*(projects[ref] for ref in data["projects"]))
        evaluation.evaluators.add(evaluator)
        _record_status_path(evaluation, officer, data["start_date"])
        reports = {}
        for title, kind, published_on in data["reports"]:
            # A report known by its title only: add_report() is for uploaded files.
            reports[title], _ = _upsert(
                EvaluationReport,
                {"evaluation": evaluation, "title": title},
                {
                    "kind": kind,
                    "published_on": published_on,
                    "uploaded_by": evaluator,
                    "uploaded_at": _at(published_on),
                },
            )
        for scale, value, rationale in data["ratings"]:
            rating = EvidenceRating.objects.filter(evaluation=evaluation, scale=scale).first()
            if rating is None or (rating.value, rating.rationale) != (value, rationale):
                with clock.on(_at(data["end_date"] - dt.timedelta(days=365))):
                    rate_evaluation(evaluation=evaluation, by=officer, scale=scale, value=value, rationale=rationale)
        for result in data["results"]:
            _load_result(evaluation, result, measures, organisations, reports, evaluator, clock)


# How each status is reached from the start, by the moves Evaluation.TRANSITIONS allows.
STATUS_PATHS = {
    Evaluation.Status.PLANNED: [Evaluation.Status.PLANNED],
    Evaluation.Status.IN_PROGRESS: [Evaluation.Status.PLANNED, Evaluation.Status.IN_PROGRESS],
    Evaluation.Status.INTERIM_REPORTED: [
        Evaluation.Status.PLANNED,
        Evaluation.Status.IN_PROGRESS,
        Evaluation.Status.INTERIM_REPORTED,
    ],
    Evaluation.Status.FINAL_PUBLISHED: [
        Evaluation.Status.PLANNED,
        Evaluation.Status.IN_PROGRESS,
        Evaluation.Status.FINAL_PUBLISHED,
    ],
}


def _record_status_path(evaluation, officer, start_date) -> None:
    """The evaluation's status history, as if an officer had moved it step by step from its start
    (illustrative dates: the day it started). Written once; a second load leaves it as it is."""
    if evaluation.status_changes.exists():
        return
    when = _at(start_date)
    previous = ""
    for status in STATUS_PATHS[evaluation.status]:
        EvaluationStatusChange.objects.create(
            evaluation=evaluation,
            old_status=previous,
            new_status=status,
            changed_by=officer,
            changed_at=when,
            reason="Demo programme",
        )
        previous = status


def _load_result(evaluation, data, measures, organisations, reports, evaluator, clock) -> None:
    keys = {
        "evaluation": evaluation,
        "measure": measures[data["measure"]],
        "authority": organisations[data["authority"]] if data["authority"] else None,
    }
    baseline, baseline_start, baseline_end = data["baseline"]
    followup, followup_start, followup_end = data.get("followup", (None, None, None))
    source = reports.get(data.get("source_report"))
    values = {
        "baseline_value": Decimal(baseline),
        "baseline_period_start": baseline_start,
        "baseline_period_end": baseline_end,
        "target_value": Decimal(data["target"]) if "target" in data else None,
        "followup_value": Decimal(followup) if followup else None,
        "followup_period_start": followup_start,
        "followup_period_end": followup_end,
        "source_report": source,
        "source_location": data.get("source_location", ""),
        "illustrative": True,
    }
    result = OutcomeResult.objects.filter(**keys).first()
    if result is None:
        # Recorded from the report it comes from, or a month after its baseline period.
        recorded = source.published_on if source else baseline_end + dt.timedelta(days=30)
        with clock.on(_at(recorded)):
            save_result(result=OutcomeResult(**keys, **values), by=evaluator)
    elif _set_changed(result, values):
        save_result(result=result, by=evaluator)

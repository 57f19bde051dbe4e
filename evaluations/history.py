"""The evidence's audit trail, shown on the evaluation's page beside its status history:
every rating given and every result recorded or changed, with who and when.

django-simple-history keeps a copy of a rating or result each time it is saved; a
rating's copy names who rated (EvidenceRating.history). Two queries, however long the
trail: the differences are worked out here between each copy and the one before it.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from core.history import with_previous
from evaluations.figures import plain
from evaluations.models import EvidenceRating, OutcomeResult

LIMIT = 30
# What a change to a result shows: the figures, and whose figure it is.
RESULT_FIELDS = {
    "authority": "Organisation",
    "comparison_group": "Comparison group",
    "baseline_value": "Baseline",
    "baseline_period_start": "Baseline period start",
    "baseline_period_end": "Baseline period end",
    "target_value": "Target",
    "followup_value": "Follow-up",
    "followup_period_start": "Follow-up period start",
    "followup_period_end": "Follow-up period end",
    "comparison_value": "Comparison group value",
    "effect_size": "Effect size",
    "ci_lower": "Confidence interval lower",
    "ci_upper": "Confidence interval upper",
    "p_value": "p-value",
    "significance": "Significance",
    "source_location": "Where in the report",
    "illustrative": "Illustrative",
}
ON_CREATE = ("baseline_value", "target_value", "followup_value")


@dataclass
class EvidenceChange:
    when: dt.datetime
    who: str
    what: str
    details: list[str] = field(default_factory=list)


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else "The service"


def _shown(record, name) -> str:
    if name == "authority":
        return record.authority.name if record.authority_id else "none"
    if name == "significance":
        return record.get_significance_display()
    value = getattr(record, name)
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _ratings(evaluation) -> list[EvidenceChange]:
    labels = {scale: dict(values) for scale, values in EvidenceRating.VALUES.items()}
    records = EvidenceRating.history.filter(evaluation_id=evaluation.pk).select_related("history_user", "rated_by")
    return [
        EvidenceChange(
            record.history_date,
            _person(record.rated_by or record.history_user),
            f"{'Rated' if record.history_type == '+' else 'Rating changed'} on the {record.get_scale_display()}: "
            f"{labels.get(record.scale, {}).get(record.value, record.value)}",
            [f"Why: {record.rationale}"],
        )
        for record in records
    ]


def _results(evaluation) -> list[EvidenceChange]:
    records = (
        OutcomeResult.history.filter(evaluation_id=evaluation.pk)
        .select_related("history_user", "measure", "authority")
        .order_by("id", "history_date", "history_id")
    )
    changes = []
    for previous, record in with_previous(records):
        # A copy has the result's fields, so the result's own words for whose figure it is apply.
        subject = f"{record.measure.name}, {OutcomeResult.where.fget(record)}"
        if previous is None:
            action = "Result recorded" if record.history_type == "+" else "Result first recorded"
            details = [f"{RESULT_FIELDS[name]}: {_shown(record, name)}" for name in ON_CREATE]
            changes.append(
                EvidenceChange(record.history_date, _person(record.history_user), f"{action}: {subject}", details)
            )
        else:
            details = [
                f"{label}: {_shown(previous, name)} → {_shown(record, name)}"
                for name, label in RESULT_FIELDS.items()
                if _shown(previous, name) != _shown(record, name)
            ]
            if details:
                changes.append(
                    EvidenceChange(
                        record.history_date, _person(record.history_user), f"Result changed: {subject}", details
                    )
                )
    return changes


def evidence_history(evaluation, limit: int = LIMIT) -> tuple[list[EvidenceChange], int]:
    """The newest ``limit`` changes to the evaluation's ratings and results, and how many there are."""
    changes = sorted(_ratings(evaluation) + _results(evaluation), key=lambda change: change.when, reverse=True)
    return changes[:limit], len(changes)

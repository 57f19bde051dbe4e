"""Recording evidence: outcome results, reports and ratings. Results and reports
check that the person may change the evaluation (an officer, or an evaluator
assigned to it); a rating that the person may rate it (an officer, or a reviewer
named on it, never one of its own evaluators). No page or import can skip the check."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.uploads import check_upload
from evaluations import notices
from evaluations.models import Evaluation, EvaluationReport, EvidenceRating, OutcomeResult


def _require_editor(evaluation: Evaluation, by) -> None:
    if not Evaluation.objects.editable_by(by).filter(pk=evaluation.pk).exists():
        raise PermissionDenied("Only a programme officer or an evaluator assigned to this evaluation can change it")


def save_result(*, result: OutcomeResult, by, unit: str | None = None) -> OutcomeResult:
    """Save a new or changed result, recording who recorded it.

    ``unit`` is the unit the figures are in, when the caller knows it (an import's
    unit column): it must be the measure's. Every rule on the figures (periods in
    order, the interval around the effect, percentages within 0 to 100) is in
    ``OutcomeResult.clean``, so a form and an import are refused alike."""
    _require_editor(result.evaluation, by)
    if result.source_report_id and result.source_report.evaluation_id != result.evaluation_id:
        raise ValidationError({"source_report": "Choose one of this evaluation's reports"})
    if unit is not None:
        result.unit = unit
    result.recorded_by = by
    result.full_clean(exclude=["recorded_by"])
    try:
        with transaction.atomic():
            result.save()
    except IntegrityError:
        # Two people recorded the same measure at once: the database's unique
        # constraint let one through; the other gets the form's message.
        duplicate = OutcomeResult.objects.filter(
            evaluation=result.evaluation_id,
            measure=result.measure_id,
            authority=result.authority_id,
            comparison_group=result.comparison_group,
        ).exclude(pk=result.pk)
        if duplicate.exists():
            raise ValidationError(
                {
                    "measure": "This evaluation already has a result for this measure and authority: change that "
                    "result instead"
                }
            ) from None
        raise
    return result


def add_report(*, evaluation: Evaluation, by, title: str, kind: str, published_on=None, upload) -> EvaluationReport:
    """Store an uploaded report under a random name, keeping the name it was given."""
    _require_editor(evaluation, by)
    try:
        facts = check_upload(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    report = EvaluationReport(
        evaluation=evaluation,
        title=title,
        kind=kind,
        published_on=published_on,
        original_name=facts.name,
        content_type=facts.content_type,
        size_bytes=facts.size,
        uploaded_by=by,
    )
    report.full_clean(exclude=["file"])
    report.file.save(facts.name, upload, save=False)
    try:
        with transaction.atomic():
            report.save()
            notices.report_added(report)
    except Exception:
        report.file.delete(save=False)
        raise
    return report


def rate_evaluation(
    *, evaluation: Evaluation, by, scale: str, value: str, rationale: str
) -> tuple[EvidenceRating, str | None]:
    """Rate the evidence on one scale, replacing an earlier rating on that scale.

    Returns the rating and the label of the value it replaced, if any. The rating's
    history names who rated (EvidenceRating.history), each time."""
    if not Evaluation.objects.ratable_by(by).filter(pk=evaluation.pk).exists():
        raise PermissionDenied(
            "The evidence of an evaluation is rated by a programme officer or a reviewer named on it, "
            "not by one of its own evaluators"
        )
    if value not in dict(EvidenceRating.VALUES.get(scale, ())):
        raise ValidationError({"rating": "Choose a rating on one of the scales"})
    rationale = (rationale or "").strip()
    if not rationale:
        raise ValidationError({"rationale": "Explain why the evidence gets this rating"})
    with transaction.atomic():
        earlier = EvidenceRating.objects.select_for_update().filter(evaluation=evaluation, scale=scale).first()
        replaced = earlier.value_label if earlier else None
        # update_or_create re-reads under a lock and survives a concurrent first rating.
        rating, _ = EvidenceRating.objects.update_or_create(
            evaluation=evaluation,
            scale=scale,
            defaults={"value": value, "rationale": rationale, "rated_by": by, "rated_at": timezone.now()},
        )
    return rating, replaced

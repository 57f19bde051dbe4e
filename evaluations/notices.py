"""Whom a new evaluation report is told to, and what they are told."""

from django.urls import reverse

from accounts.models import Role
from evaluations.models import Evaluation, EvaluationReport
from notifications.catalogue import Kind
from notifications.services import absolute_url, long_date, name_of, notify, people


def report_added(report: EvaluationReport) -> None:
    """The evaluation's other evaluators and the programme officers, not the person who added it."""
    evaluation = Evaluation.objects.prefetch_related("projects").get(pk=report.evaluation_id)
    details = {
        "evaluation": evaluation.title,
        "projects": ", ".join(project.title for project in evaluation.projects.all()),
        "report": report.title,
        "report_kind": report.get_kind_display(),
        "published_on": long_date(report.published_on) if report.published_on else "",
        "added_by": name_of(report.uploaded_by) if report.uploaded_by_id else "",
        "link": absolute_url(reverse("evaluations:detail", kwargs={"evaluation_pk": evaluation.pk})),
    }
    evaluators = people(roles=[Role.EVALUATOR], excluding=report.uploaded_by).filter(evaluations=evaluation)
    officers = people(roles=[Role.OFFICER], excluding=report.uploaded_by)
    for user in [*evaluators, *officers]:
        notify(
            user=user,
            kind=Kind.EVALUATION_REPORT_ADDED,
            key=f"evaluation_report:{report.pk}",
            personalisation={"name": name_of(user), **details},
        )

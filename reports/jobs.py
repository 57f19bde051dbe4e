"""The report files the background worker makes (downloads.tasks runs them): the same file the
report's page would have sent, from the filters the user chose, for the user who asked."""

import datetime as dt
from pathlib import Path

from django.http import QueryDict

from projects.models import Project
from reports.board_pack import build_board_pack_pdf
from reports.downloads import build_spending_pdf, build_spending_xlsx
from reports.forms import SpendingFilterForm
from reports.impact_views import impact_file
from reports.spending import SpendingReport


def spending_report(user, query: str) -> SpendingReport:
    """The spending report for the page's query string, as the page builds it."""
    form = SpendingFilterForm(QueryDict(query), user=user)
    if not form.is_valid():  # checked when the job was asked for; a programme or project removed since
        raise ValueError(f"The spending report's filters are no longer valid: {form.errors.as_text()}")
    return SpendingReport(user, form.filters(), form.cleaned_data["group"])


def make_spending_xlsx(job, path: Path, progress) -> None:
    path.write_bytes(build_spending_xlsx(spending_report(job.user, job.params["query"])))


def make_spending_pdf(job, path: Path, progress) -> None:
    path.write_bytes(build_spending_pdf(spending_report(job.user, job.params["query"])))


def make_board_pack_pdf(job, path: Path, progress) -> None:
    path.write_bytes(build_board_pack_pdf(dt.date.fromisoformat(job.params["date"]), job.user))


def _impact(job, fmt: str) -> bytes:
    """The impact report of the programme, or of one project while the user may still see it."""
    project_pk = job.params.get("project")
    project = Project.objects.for_user(job.user).get(pk=project_pk) if project_pk else None
    return impact_file(job.user, QueryDict(job.params["query"]), fmt, project)


def make_impact_xlsx(job, path: Path, progress) -> None:
    path.write_bytes(_impact(job, "xlsx"))


def make_impact_pdf(job, path: Path, progress) -> None:
    path.write_bytes(_impact(job, "pdf"))

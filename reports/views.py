"""The spending report page and its downloads.

The report covers the whole programme, so it is for the funder's staff and
viewers only; recipients and evaluators are refused (403), as on the other
programme-wide pages. A download is the page's figures for the same filters,
and every download is recorded. An Excel file with a long ledger, or a PDF of many
rows, is made by the background worker, with a page that shows when it is ready.
"""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from accounts.permissions import PROGRAMME_READERS, role_required
from audit.downloads import recorded
from core import data_version
from core.exports import XLSX_CONTENT_TYPE
from core.pdf import PDF_CONTENT_TYPE
from downloads.models import ExportJob
from downloads.tasks import background_job
from reports.dashboard import dashboard_figures
from reports.downloads import build_spending_pdf, build_spending_xlsx, spending_csv_response
from reports.forms import SpendingFilterForm
from reports.spending import SpendingReport

ROWS_PER_PAGE = 50
FORMATS = {"csv": "CSV", "xlsx": "Excel", "pdf": "PDF"}


def _download(request, report: SpendingReport, file_format: str) -> HttpResponse:
    as_at = f"-as-at-{report.as_at:%Y-%m-%d}" if report.as_at else ""
    filename = f"spending-report{as_at}-{report.generated_at:%Y-%m-%d}.{file_format}"
    if file_format == "csv":
        response = spending_csv_response(report, filename)
    else:
        content, content_type = (
            (build_spending_xlsx(report), XLSX_CONTENT_TYPE)
            if file_format == "xlsx"
            else (build_spending_pdf(report), PDF_CONTENT_TYPE)
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return recorded(
        request,
        response,
        description=f"Spending report ({FORMATS[file_format]}, by {report.grouping.label.lower()}; "
        f"{report.filters.summary()})",
    )


# A long Excel file or PDF is made by the worker, with a page that shows when it is ready.
BACKGROUND_KINDS = {"xlsx": ExportJob.Kind.SPENDING_XLSX, "pdf": ExportJob.Kind.SPENDING_PDF}


def _file_size(report: SpendingReport, file_format: str) -> int:
    """What makes a file long: the Excel file's ledger sheet (most of its size), counted in one query; the PDF's
    rows of its grouping."""
    if file_format == "xlsx":
        lines = report.payments.order_by().values("pk").union(report.spend_lines.order_by().values("pk"), all=True)
        return lines.count()
    return report.row_count()


@require_GET
@role_required(*PROGRAMME_READERS)
def spending(request):
    form = SpendingFilterForm(request.GET, user=request.user)
    file_format = request.GET.get("format", "")
    valid = form.is_valid()
    if file_format and file_format not in FORMATS:
        form.add_error(None, "Choose a download format: csv, xlsx or pdf")
        valid = False
    if not valid:
        return render(request, "reports/spending.html", {"form": form}, status=400)

    report = SpendingReport(request.user, form.filters(), form.cleaned_data["group"])
    if file_format in BACKGROUND_KINDS:
        size = _file_size(report, file_format)
        if size > settings.EXPORT_IN_REQUEST_ROWS[file_format]:
            query = request.GET.copy()
            for name in ("format", "page"):
                query.pop(name, None)
            params = {"query": urlencode(sorted(query.lists()), doseq=True)}
            job = background_job(request.user, BACKGROUND_KINDS[file_format], size=size, params=params)
            return redirect("downloads:job", job_pk=job.pk)
    if file_format:
        return _download(request, report, file_format)

    def report_html():
        params = {**report.filters.query_string(), "group": report.grouping.key}
        base = reverse("reports:spending")
        page, rows = report.page(request.GET.get("page"), ROWS_PER_PAGE)
        context = {
            "report": report,
            "page": page,
            "rows": rows,
            "downloads": [(label, f"{base}?{urlencode({**params, 'format': key})}") for key, label in FORMATS.items()],
            "page_url": f"{base}?{urlencode(params)}&page=",
        }
        return render_to_string("reports/_spending_report.html", context, request=request)

    # The same for everyone who may read it (the whole programme): worked out once for each change of the
    # data and of the filters, and shared.
    shown = data_version.for_everyone_who_sees(
        request.user, "spending report", sorted(request.GET.lists()), timezone.localdate(), build=report_html
    )
    return render(request, "reports/spending.html", {"form": form, "report_html": mark_safe(shown)})


@require_GET
@role_required(*PROGRAMME_READERS)
def index(request):
    """Every report and download of the whole programme, in one place."""
    return render(request, "reports/index.html")


@role_required(*PROGRAMME_READERS)
def dashboard(request):
    """The staff dashboard, served at /projects/dashboard/ (config/urls.py)."""
    today = timezone.localdate()
    figures = data_version.for_everyone_who_sees(
        request.user, "dashboard", today, build=lambda: dashboard_figures(request.user, today)
    )
    return render(request, "reports/dashboard.html", figures)

"""The project list as CSV and Excel: exactly the projects the list shows the user, filtered alike."""

import io
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.defaultfilters import pluralize
from django.urls import path
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from audit.downloads import recorded
from core.exports import (
    ILLUSTRATIVE_COLUMN,
    ILLUSTRATIVE_COLUMN_NOTE,
    XLSX_CONTENT_TYPE,
    csv_response,
    illustrative_cell,
    xlsx_text,
)
from core.workbook import write_key_values
from projects.filters import ProjectFilter
from projects.views import project_queryset

PENNY = Decimal("0.01")
MONEY_COLUMN = 6
PROJECT_COLUMNS = [
    "Reference",
    "Title",
    "Lead organisation",
    "Status",
    "RAG rating",
    "Total awarded (£)",
    ILLUSTRATIVE_COLUMN,
]


def _project_rows(request):
    """The projects the user may see, filtered as the project list filters them."""
    projects = ProjectFilter(request.GET or None, queryset=project_queryset(request.user), request=request).qs
    return [
        [
            project.reference,
            project.title,
            project.lead_organisation.name,
            project.get_status_display(),
            project.get_rag_display() or "Not rated",
            # SQLite's sum drops trailing zeros; money is always shown to the penny.
            project.awarded_total.quantize(PENNY),
            # Demo figures not in the programme's published record say so, as on every page.
            illustrative_cell(project.awarded_illustrative),
        ]
        for project in projects.order_by("reference")
    ]


def _described(kind, rows):
    return f"Projects ({kind}, {len(rows)} project{pluralize(len(rows))})"


@require_GET
@login_required
def projects_csv(request):
    rows = _project_rows(request)
    response = csv_response("projects.csv", PROJECT_COLUMNS, rows)
    return recorded(request, response, description=_described("CSV", rows))


@require_GET
@login_required
def projects_xlsx(request):
    rows = _project_rows(request)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Projects"
    sheet.append(PROJECT_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            xlsx_text(sheet.cell(row=row_number, column=column), value)
        sheet.cell(row=row_number, column=MONEY_COLUMN).number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFG", (12, 50, 40, 12, 12, 20, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    write_key_values(workbook.create_sheet("Notes"), [(ILLUSTRATIVE_COLUMN, ILLUSTRATIVE_COLUMN_NOTE)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="projects.xlsx"'
    return recorded(request, response, description=_described("Excel", rows))


app_name = "exports"
urlpatterns = [
    path("projects.csv", projects_csv, name="projects-csv"),
    path("projects.xlsx", projects_xlsx, name="projects-xlsx"),
]

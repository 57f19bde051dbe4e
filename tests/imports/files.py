"""Workbooks built the way a user would leave them, uploads, and a snapshot of
every row an import could touch."""

import io
from decimal import Decimal

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from grants.models import Allocation, SpendReturn
from imports.models import ImportBatch


def workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template(importer) -> openpyxl.Workbook:
    """The template the service offers, opened for editing as a user would."""
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(importer.workbook())))


def clear_rows(sheet):
    """Remove every data row under the header, leaving the sheet as the template made it otherwise."""
    if sheet.max_row > 1:
        sheet.delete_rows(2, sheet.max_row - 1)


def fill(workbook, sheet_name, rows):
    sheet = workbook[sheet_name]
    clear_rows(sheet)
    for row in rows:
        sheet.append(list(row))
    return workbook


def upload(content: bytes, name="returns.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def snapshot():
    """Everything an import can change, to prove that a refused one changed nothing."""
    return (
        list(
            Allocation.objects.order_by("pk").values_list(
                "pk", "recipient", "financial_year", "resource", "capital", "purpose"
            )
        ),
        list(
            SpendReturn.objects.order_by("pk").values_list(
                "pk", "allocation", "quarter", "spent", "forecast", "comment", "status"
            )
        ),
        list(ImportBatch.objects.order_by("pk").values_list("pk", "status")),
    )


def problems_text(response) -> str:
    """The messages of the problems table on a page, as plain text."""
    return " ".join(f"{problem.where}: {problem.message}" for problem in response.context["problems"])


def D(value) -> Decimal:
    return Decimal(value)

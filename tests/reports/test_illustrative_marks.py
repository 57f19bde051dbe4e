"""Issue 16: a figure invented for the demonstration carries its mark wherever it goes, once, and a figure from
the record carries none.

Two programmes built with the factories, one at a time: a grant whose every row is from the record, and the
same grant with one invented payment. Every page and file that shows the grant's money is read back (the
page's HTML, the CSV with the csv module, the workbooks with openpyxl, the PDFs' text with pypdf): with the
invented payment, each figure it adds to is marked and its table's legend says what the mark means; with
none, no mark and no legend anywhere. The 360Giving files are publish's, tested there.
"""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import Role
from downloads.models import ExportJob
from downloads.tasks import background_job
from grants.financial_year import FinancialYear
from reports.outturn import forecast_outturn
from reports.spending import SpendingFilters, SpendingReport
from tests.factories import (
    AllocationFactory,
    GrantFactory,
    PaymentFactory,
    ProgrammeFactory,
    SpendReturnFactory,
    UserFactory,
)

D = Decimal
MARK = 'class="app-illustrative"'
LEGEND = "Illustrative: invented for the demonstration, not from the programme’s record."
PAID = "£40,000.00"  # the payment: invented, or not
ALLOCATED = "£200,000.00"
SPENT = "£25,000.00"
PAID_NAME = "Paid, less recoveries"  # the paid column's name in the files' Illustrative column


def build(*, invented_payment=False, invented_return=False, reference="P-1"):
    """One programme, one project, one grant with one allocation, a payment and a spend return in 2015-16."""
    programme = ProgrammeFactory()
    grant = GrantFactory(
        project__programme=programme,
        project__reference=reference,
        project__title="Family hubs",
        round__programme=programme,
        amount_awarded=D("500000.00"),
    )
    allocation = AllocationFactory(grant=grant, financial_year=FinancialYear(2015), resource=D("200000.00"))
    PaymentFactory(
        allocation=allocation, amount=D("40000.00"), paid_on=dt.date(2015, 6, 30), illustrative=invented_payment
    )
    SpendReturnFactory(
        allocation=allocation, quarter=1, spent=D("25000.00"), forecast=D("150000.00"), illustrative=invented_return
    )
    return SimpleNamespace(
        grant=grant,
        project=grant.project,
        allocation=allocation,
        officer=UserFactory(role=Role.OFFICER),
        finance=UserFactory(role=Role.FINANCE),
    )


@pytest.fixture
def invented(db):
    return build(invented_payment=True)


@pytest.fixture
def real(db):
    return build()


# --- Reading the pages and files back -------------------------------------------------


def page(client, user, url, **params) -> str:
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def download(client, user, url, **params) -> bytes:
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_table(content: bytes) -> list[dict]:
    """The rows of a CSV as dicts, up to its first empty row (the notes follow it)."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header, *rows = rows
    rows = rows[: rows.index([])] if [] in rows else rows
    return [dict(zip(header, row, strict=True)) for row in rows]


def sheet_table(sheet) -> list[dict]:
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def section(html: str, start: str, end: str = "</table>") -> str:
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


def marked(html: str, figure: str) -> bool:
    return f"{figure}<sup {MARK}" in html


def ledger_job(settings, user, kind) -> bytes:
    """The ledger as the background worker makes it: asked for as the ledger page does, and the task run at once,
    here, in the test's transaction (django-tasks' immediate backend runs what is queued when it is queued)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    job = background_job(user, kind, size=2)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    with job.file.open("rb") as made:
        return made.read()


SPENDING = reverse("reports:spending")


def every_page(client, world) -> dict[str, str]:
    """Every page that shows the grant's money, as HTML."""
    return {
        "spending report": page(client, world.finance, SPENDING, group="project"),
        "dashboard": page(client, world.officer, reverse("projects:dashboard")),
        "project": page(client, world.officer, reverse("projects:detail", kwargs={"project_pk": world.project.pk})),
        "grant": page(client, world.officer, reverse("grants:detail", kwargs={"grant_pk": world.grant.pk})),
        "allocation": page(
            client, world.officer, reverse("grants:allocation", kwargs={"allocation_pk": world.allocation.pk})
        ),
    }


def every_file(client, world, settings, tmp_path) -> dict:
    """Every file that carries the grant's money, read back."""
    settings.MEDIA_ROOT = tmp_path
    spending_xlsx = load_workbook(io.BytesIO(download(client, world.finance, SPENDING, format="xlsx")))
    return {
        "spending csv": download(client, world.finance, SPENDING, format="csv", group="project"),
        "spending xlsx": spending_xlsx,
        "spending pdf": pdf_text(download(client, world.finance, SPENDING, format="pdf")),
        "board pack pdf": pdf_text(
            download(client, world.officer, reverse("reports:board-pack"), date=f"{timezone.localdate():%d/%m/%Y}")
        ),
        "ledger csv": download(client, world.officer, reverse("downloads:ledger-csv")),
        "ledger xlsx": load_workbook(io.BytesIO(download(client, world.officer, reverse("downloads:ledger-xlsx")))),
        "ledger csv (background)": ledger_job(settings, world.officer, ExportJob.Kind.LEDGER_CSV),
        "ledger xlsx (background)": load_workbook(
            io.BytesIO(ledger_job(settings, world.officer, ExportJob.Kind.LEDGER_XLSX))
        ),
    }


# --- The invented payment, marked everywhere it adds to a figure ------------------------


def test_every_page_marks_each_figure_the_invented_payment_adds_to_and_no_other(client, invented):
    pages = every_page(client, invented)

    spending = pages["spending report"]
    totals = section(spending, 'id="totals"', "</dl>")
    assert marked(totals, PAID) and not marked(totals, ALLOCATED) and not marked(totals, SPENT)
    row = section(spending, 'id="spending-table"', "</tfoot>")
    assert marked(row, PAID) and not marked(row, ALLOCATED) and not marked(row, SPENT)
    assert marked(section(spending, 'id="chart-figures"'), PAID)
    # Three tables hold a mark (the totals, the year table, the projects), each with its legend once.
    assert spending.count(LEGEND) == 3

    dashboard = section(pages["dashboard"], "app-programme-money", "</dl>")
    assert marked(dashboard, PAID) and not marked(dashboard, ALLOCATED)
    assert pages["dashboard"].count(LEGEND) == 1

    project = pages["project"]
    assert marked(section(project, 'id="grants"'), PAID)  # the grant's net paid
    assert marked(section(project, 'id="money"'), PAID)
    assert marked(section(project, 'id="payments"'), PAID)
    assert not marked(section(project, 'id="grants"'), "£500,000.00")  # the award is the record's
    assert MARK not in section(project, 'id="allocations"', "</table>")  # so is the allocation
    assert project.count(LEGEND) == 3

    grant = pages["grant"]
    assert marked(section(grant, 'id="paid"', "</dd>"), PAID)
    assert not marked(section(grant, 'id="amount-awarded"', "</dd>"), "£500,000.00")
    assert not marked(section(grant, 'id="allocated"', "</dd>"), ALLOCATED)
    assert grant.count(LEGEND) == 2  # the summary, and the year's allocations

    allocation = pages["allocation"]
    assert marked(section(allocation, 'id="paid"', "</dd>"), PAID)
    assert marked(section(allocation, 'id="payments"'), PAID)
    assert not marked(section(allocation, 'id="spend-returns"'), SPENT)
    assert allocation.count(LEGEND) == 2  # the summary, and the payments


def test_every_file_marks_the_invented_payment(client, invented, settings, tmp_path):
    files = every_file(client, invented, settings, tmp_path)

    rows = csv_table(files["spending csv"])
    assert [row["Illustrative"] for row in rows] == [PAID_NAME, PAID_NAME]  # P-1, then the total
    assert "Illustrative column" in files["spending csv"].decode("utf-8-sig")  # its note

    workbook = files["spending xlsx"]
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True)}
    assert summary["Illustrative"] == PAID_NAME and "Illustrative column" in summary["Illustrative figures"]
    for name in ("By project", "By organisation", "By financial year", "By quarter", "By round"):
        sheet = sheet_table(workbook[name])
        assert [row["Illustrative"] for row in sheet] == [PAID_NAME, PAID_NAME], name  # the row and the total
    ledger = sheet_table(workbook["Ledger"])
    assert {row["Kind"]: row["Illustrative"] for row in ledger if row["Kind"]} == {
        "Payment": "Yes",
        "Spend return": None,
    }

    for name in ("spending pdf", "board pack pdf"):
        text = files[name]
        assert f"{PAID}†" in text and f"{ALLOCATED}†" not in text and f"{SPENT}†" not in text, name
        assert f"† {LEGEND}" in text, name

    for name in ("ledger csv", "ledger csv (background)"):
        assert {row["Kind"]: row["Illustrative"] for row in csv_table(files[name])} == {
            "Payment": "Yes",
            "Spend return": "",
        }, name
    for name in ("ledger xlsx", "ledger xlsx (background)"):
        workbook = files[name]
        assert {row["Kind"]: row["Illustrative"] for row in sheet_table(workbook["Ledger"])} == {
            "Payment": "Yes",
            "Spend return": None,
        }, name
        notes = dict(workbook["Notes"].iter_rows(values_only=True))
        assert "Illustrative column" in notes["Illustrative"], name


def test_the_project_list_and_its_files_mark_an_invented_award_not_an_invented_payment(client, invented):
    """The list shows only what was awarded: the invented payment does not touch it; an invented award does."""
    listing = reverse("projects:list")
    for award_invented in (False, True):
        invented.grant.illustrative = award_invented
        invented.grant.save(update_fields=["illustrative"])
        html = page(client, invented.officer, listing)
        assert marked(html, "£500,000.00") is award_invented
        assert html.count(LEGEND) == (1 if award_invented else 0)
        expected = "Yes" if award_invented else ""
        assert csv_table(download(client, invented.officer, reverse("exports:projects-csv")))[0]["Illustrative"] == (
            expected
        )
        workbook = load_workbook(io.BytesIO(download(client, invented.officer, reverse("exports:projects-xlsx"))))
        assert (sheet_table(workbook["Projects"])[0]["Illustrative"] or "") == expected
        assert "Illustrative column" in dict(workbook["Notes"].iter_rows(values_only=True))["Illustrative"]


# --- A wholly real programme: no mark, no legend ------------------------------------------


def test_a_wholly_real_grant_is_marked_nowhere(client, real, settings, tmp_path):
    for name, html in every_page(client, real).items():
        assert MARK not in html and LEGEND not in html, name
    html = page(client, real.officer, reverse("projects:list"))
    assert MARK not in html and LEGEND not in html

    files = every_file(client, real, settings, tmp_path)
    assert {row["Illustrative"] for row in csv_table(files["spending csv"])} == {""}
    workbook = files["spending xlsx"]
    assert dict(workbook["Summary"].iter_rows(values_only=True))["Illustrative"] == "None"
    for name in ("By project", "By organisation", "By financial year", "By quarter", "By round", "Ledger"):
        assert {row["Illustrative"] for row in sheet_table(workbook[name])} == {None}, name
    for name in ("spending pdf", "board pack pdf"):
        assert "†" not in files[name] and LEGEND not in files[name], name
    for name in ("ledger csv", "ledger csv (background)"):
        assert {row["Illustrative"] for row in csv_table(files[name])} == {""}, name
    for name in ("ledger xlsx", "ledger xlsx (background)"):
        assert {row["Illustrative"] for row in sheet_table(files[name]["Ledger"])} == {None}, name
    projects = csv_table(download(client, real.officer, reverse("exports:projects-csv")))
    assert [row["Illustrative"] for row in projects] == [""]


# --- No mark beside a dash or an untouched zero; one legend a table ---------------------------


def test_no_mark_beside_a_dash_or_a_zero_no_invented_row_adds_to(client, invented):
    by_quarter = page(client, invented.finance, SPENDING, group="quarter")
    table = section(by_quarter, 'id="spending-table"')
    q1 = section(table, "2015-16 Q1", "</tr>")
    cells = re.findall(r'<td class="govuk-table__cell[^"]*">(.*?)</td>', q1, flags=re.S)
    # Awarded, allocated, paid, spent, forecast, variance, % spent, flag: a quarter has only paid and spent.
    assert cells[0] == cells[1] == cells[4] == cells[5] == cells[6] == cells[7] == "–"
    assert marked(cells[2], PAID) and cells[3] == SPENT
    assert by_quarter.count(LEGEND) == 3

    by_organisation = page(client, invented.finance, SPENDING, group="organisation")
    row = section(by_organisation, 'id="spending-table"', "</tbody>")
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">–</td>' in row  # awarded: not a figure here
    assert marked(row, PAID)

    # Nothing committed, and no invented milestone: the zero goes unmarked.
    project = page(client, invented.officer, reverse("projects:detail", kwargs={"project_pk": invented.project.pk}))
    money = section(project, 'id="money"')
    assert "£0.00<" in money and not marked(money, "£0.00")


def test_the_legend_follows_a_table_once_and_only_when_a_mark_is_in_it():
    template = Template(
        "{% load govuk %}"
        "{% illustrative_legend %}<table>{% for row in rows %}<td>{{ row.value }}{% illustrative row %}</td>"
        "{% endfor %}</table>{% endillustrative_legend %}"
    )
    real = [SimpleNamespace(value="£1.00", illustrative=False)] * 3
    html = template.render(Context({"rows": real}))
    assert MARK not in html and LEGEND not in html
    invented = [
        *real,
        SimpleNamespace(value="£2.00", illustrative=True),
        SimpleNamespace(value="£3.00", illustrative=True),
    ]
    html = template.render(Context({"rows": invented}))
    assert html.count(MARK) == 2 and html.count(LEGEND) == 1
    assert html.index(LEGEND) > html.index("</table>")
    assert "£2.00<sup" in html and '<span class="govuk-visually-hidden"> Illustrative</span>' in html


# --- The spending report's marks, summed in SQL the same way on every path ------------------


@pytest.mark.parametrize(
    "filters",
    [
        SpendingFilters(),  # from the kept balances
        SpendingFilters(financial_year=FinancialYear(2015)),  # paid from the payments
        SpendingFilters(financial_year=FinancialYear(2015), quarter=1),  # spent and forecast from the returns
        SpendingFilters(as_at=dt.date.today()),  # as recorded
    ],
    ids=["balances", "year", "quarter", "as-at"],
)
def test_the_reports_marks_come_from_the_rows_behind_each_sum(db, filters):
    world = build(invented_return=True)
    for grouping in ("project", "organisation", "financial_year", "quarter", "round"):
        report = SpendingReport(world.officer, filters, grouping)
        (row,) = report.rows()
        for summed in (row, report.totals):
            marks = summed.marks
            assert marks["spent"] and not marks["paid"], grouping
            if grouping != "quarter" or summed is report.totals:
                assert marks["forecast"] and marks["variance"] and not marks["allocated"], grouping
                assert marks["percent_spent"], grouping
            else:  # a quarter has no allocated, forecast or variance: nothing to mark
                assert not (marks["allocated"] or marks["forecast"] or marks["variance"]), grouping
            assert not marks["awarded"], grouping


# --- Spending set against outcomes, and the year's projected outturn ---------------------------


def test_the_impact_card_marks_its_money_only_when_invented(client, db):
    for invented_return, reference in ((True, "P-1"), (False, "P-2")):
        world = build(invented_return=invented_return, reference=reference)
        url = reverse("impact:card", kwargs={"project_pk": world.project.pk})
        html = page(client, world.officer, url)
        assert marked(html, SPENT) is invented_return
        assert not marked(html, "£500,000.00")  # the award is the record's either way
        assert html.count(LEGEND) == (1 if invented_return else 0)
        text = pdf_text(download(client, world.officer, url, format="pdf"))
        assert (f"{SPENT}†" in text) is invented_return and "£500,000.00†" not in text
        assert text.count(LEGEND) == (1 if invented_return else 0)


@pytest.mark.parametrize("invented_return", [True, False], ids=["invented return", "real"])
def test_the_projected_outturn_marks_what_an_invented_return_adds_to(db, invented_return):
    world = build(invented_return=invented_return)
    outturn = forecast_outturn(world.officer, year=FinancialYear(2015))
    (projected,) = outturn.grants  # spent and forecast leave 12.5% of the allocation: an underspend
    assert projected.marks == {"allocated": False, "outturn": invented_return, "variance": invented_return}
    html = render_to_string("reports/_outturn.html", {"outturn": outturn})
    assert html.count(MARK) == (3 if invented_return else 0)  # the outturn, the variance and its percentage
    assert html.count(LEGEND) == (1 if invented_return else 0)

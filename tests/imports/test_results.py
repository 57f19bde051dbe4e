"""Importing an evaluation's outcome results, written through
evaluations.services.save_result so that the results' own validation applies."""

import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse

from evaluations.models import OutcomeMeasure, OutcomeResult
from imports.models import ImportBatch
from imports.results import ResultImport
from projects.models import ProjectPartner
from tests.imports.files import fill, problems_text, template, upload, workbook_bytes

pytestmark = pytest.mark.django_db

MEASURE = "Social work time in direct work with families"


def results():
    return list(OutcomeResult.objects.order_by("pk").values())


def send(client, world, book):
    return client.post(
        reverse("imports:results-upload", kwargs={"evaluation_pk": world.evaluation.pk}),
        {"file": upload(workbook_bytes(book), "results.xlsx")},
    )


def row(
    measure=MEASURE,
    authority=None,
    unit=None,
    baseline=20,
    start=dt.datetime(2014, 4, 1),
    end=dt.datetime(2015, 3, 31),
    target=40,
    followup=None,
    f_start=None,
    f_end=None,
    comparison=None,
    effect=None,
    lower=None,
    upper=None,
    p=None,
    significance=None,
    report=None,
    where=None,
    group=None,
):
    return (
        measure,
        authority,
        unit,
        baseline,
        start,
        end,
        target,
        followup,
        f_start,
        f_end,
        comparison,
        effect,
        lower,
        upper,
        p,
        significance,
        report,
        where,
        group,
    )


@pytest.fixture
def evaluator(client, world):
    client.force_login(world.users.evaluator)
    return world


def test_the_template_lists_the_results_and_bounded_lists(client, evaluator):
    world = evaluator
    response = client.get(reverse("imports:results-template", kwargs={"evaluation_pk": world.evaluation.pk}))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Instructions", "Results", "Lists"]
    sheet = book["Results"]
    first = [c.value for c in sheet[2]]
    assert first[:7] == [MEASURE, None, "per cent", 20, dt.datetime(2014, 4, 1), dt.datetime(2015, 3, 31), 40]
    assert sheet["E2"].number_format == "dd/mm/yyyy"
    lists = {
        sheet_column[0].value: [c.value for c in sheet_column[1:] if c.value]
        for sheet_column in book["Lists"].iter_cols()
    }
    # The project's lead and partners first; every other organisation after them, for a comparison group.
    assert lists["Authorities"][:3] == [
        "Derbyshire County Council",
        "London Borough of Harrow",
        "Morning Lane Associates",
    ]
    assert "Kent County Council" in lists["Authorities"][3:]
    assert [c.value for c in sheet[1]][-1] == "Comparison group"
    assert lists["Measures"] == [MEASURE]
    assert lists["Significance"] == ["Statistically significant", "Not statistically significant", "Not tested"]
    assert "per cent" in lists["Units"]


def test_results_are_previewed_and_imported_exactly(client, evaluator):
    world = evaluator
    book = template(ResultImport(world.users.evaluator, world.evaluation))
    fill(
        book,
        "Results",
        [
            row(
                followup=31.25,
                f_start=dt.datetime(2015, 4, 1),
                f_end=dt.datetime(2016, 3, 31),
                effect=0.4,
                lower=0.1234,
                upper=0.7,
                p=0.03125,
                significance="Statistically significant",
                where="Table 4.2",
            ),
            row(authority="Derbyshire County Council", unit="per cent", baseline=18.5, target=None),
        ],
    )
    response = send(client, world, book)
    assert response.status_code == 302, problems_text(response)
    preview = client.get(response["Location"]).content.decode()
    assert "Follow-up value: (blank) → <strong>31.25</strong>" in preview
    assert "Follow-up period start: (blank) → <strong>01/04/2015</strong>" in preview
    assert "Significance: Not tested → <strong>Statistically significant</strong>" in preview

    batch = ImportBatch.objects.get()
    assert (batch.kind, batch.evaluation, batch.grant) == ("results", world.evaluation, None)
    client.post(reverse("imports:batch-confirm", kwargs={"token": batch.token}))
    batch.refresh_from_db()
    assert batch.status == "applied"
    overall = OutcomeResult.objects.get(pk=world.result.pk)
    assert (overall.followup_value, overall.followup_period_start, overall.followup_period_end) == (
        D("31.2500"),
        dt.date(2015, 4, 1),
        dt.date(2016, 3, 31),
    )
    assert (overall.effect_size, overall.ci_lower, overall.ci_upper, overall.p_value) == (
        D("0.4"),
        D("0.1234"),
        D("0.7"),
        D("0.03125"),
    )
    assert (overall.significance, overall.source_location, overall.recorded_by) == (
        "significant",
        "Table 4.2",
        world.users.evaluator,
    )
    derbyshire = OutcomeResult.objects.get(evaluation=world.evaluation, authority=world.derbyshire)
    assert (derbyshire.baseline_value, derbyshire.target_value, derbyshire.unit) == (D("18.5"), None, "percent")


def test_figures_and_dates_typed_as_text_are_read_as_a_form_reads_them(client, evaluator):
    world = evaluator
    book = fill(
        template(ResultImport(world.users.evaluator, world.evaluation)),
        "Results",
        [
            row(baseline="18.5", start="1/4/2014", end="2015-03-31", target="40"),
        ],
    )
    response = send(client, world, book)
    assert response.status_code == 302, problems_text(response)
    client.post(reverse("imports:batch-confirm", kwargs={"token": ImportBatch.objects.get().token}))
    result = OutcomeResult.objects.get(pk=world.result.pk)
    assert (result.baseline_value, result.baseline_period_start, result.baseline_period_end, result.target_value) == (
        D("18.5"),
        dt.date(2014, 4, 1),
        dt.date(2015, 3, 31),
        D("40"),
    )


@pytest.mark.parametrize(
    "cells, message",
    [
        ({"start": "31/02/2017"}, "row 2, column E (Baseline period start): The date must be a real date"),
        ({"start": "31/3/17"}, "row 2, column E (Baseline period start): The year must include 4 numbers"),
        (
            {"start": dt.datetime(1999, 12, 31)},
            "row 2, column E (Baseline period start): The date must be on or after 1 January 2000",
        ),
        ({"baseline": "20%"}, "row 2, column D (Baseline value): The value must be a number, like 23.5"),
        ({"baseline": "1e3"}, "row 2, column D (Baseline value): The value must be a number, like 23.5"),
        ({"baseline": 1e30}, "row 2, column D (Baseline value): The value must have no more than 14 digits"),
        ({"baseline": 20.12345}, "row 2, column D (Baseline value): The value must have no more than 4 decimal places"),
        ({"end": 42000}, "row 2, column F (Baseline period end): The cell holds a number, not a date"),
        # The results' own rules, from OutcomeResult.clean through save_result:
        (
            {"baseline": 120},
            "row 2, column D (Baseline value): The baseline value is a percentage, so it must be between 0 and 100",
        ),
        (
            {"effect": 0.5, "lower": 0.6, "upper": 0.9},
            "row 2, column M (Confidence interval lower): The confidence interval must contain the effect size",
        ),
        (
            {"unit": "pounds"},
            f"row 2, column C (Unit): The figures are in pounds but {MEASURE} is measured in per cent",
        ),
        (
            {"followup": 30, "f_start": dt.datetime(2015, 1, 1), "f_end": dt.datetime(2015, 12, 31)},
            "row 2, column I (Follow-up period start): The follow-up period must start after the baseline period ends",
        ),
        ({"measure": "Happiness"}, "row 2, column A (Outcome measure): “Happiness” is not a measure in the catalogue"),
        (
            {"authority": "Kent County Council"},
            "row 2, column B (Authority or organisation): Kent County Council does not take part in Reclaiming "
            "Social Work",
        ),
        (
            {"authority": "Cornwall"},
            "row 2, column B (Authority or organisation): “Cornwall” is not an organisation this service knows",
        ),
        ({"significance": "Very"}, "row 2, column P (Significance): “Very” is not a choice"),
        (
            {"report": "Final report"},
            "row 2, column Q (Source report): “Final report” is not one of this evaluation's reports",
        ),
    ],
)
def test_bad_results_are_refused_with_their_place_and_nothing_changes(client, evaluator, cells, message):
    world = evaluator
    book = fill(
        template(ResultImport(world.users.evaluator, world.evaluation)),
        "Results",
        [
            row(**cells),
            row(authority="London Borough of Harrow", baseline=10),
        ],
    )
    before = results()
    response = send(client, world, book)
    assert response.status_code == 400
    assert message in problems_text(response)
    assert results() == before and not ImportBatch.objects.exists()


def test_a_duplicate_result_row(client, evaluator):
    world = evaluator
    book = fill(
        template(ResultImport(world.users.evaluator, world.evaluation)),
        "Results",
        [row(authority="London Borough of Harrow"), row(authority="GB-LAE-HRW", baseline=1)],
    )
    before = results()
    response = send(client, world, book)
    assert "row 3, column A (Outcome measure): Row 2 is already the result for " in problems_text(response)
    assert results() == before


def test_an_evaluator_imports_only_into_its_own_evaluations(client, evaluator):
    world = evaluator
    for name in ("imports:results-upload", "imports:results-template"):
        assert client.get(reverse(name, kwargs={"evaluation_pk": world.other_evaluation.pk})).status_code == 404
    client.force_login(world.users.derbyshire)
    assert (
        client.get(reverse("imports:results-upload", kwargs={"evaluation_pk": world.evaluation.pk})).status_code == 403
    )


def test_the_evaluation_page_links_to_the_import(client, evaluator):
    world = evaluator
    page = client.get(reverse("evaluations:detail", kwargs={"evaluation_pk": world.evaluation.pk})).content.decode()
    assert reverse("imports:results-upload", kwargs={"evaluation_pk": world.evaluation.pk}) in page


def test_an_officer_imports_results_too(client, world):
    client.force_login(world.users.officer)
    OutcomeMeasure.objects.create(
        name="Average caseload", outcome_area=world.measure.outcome_area, unit="number", direction="lower"
    )
    book = fill(
        template(ResultImport(world.users.officer, world.evaluation)),
        "Results",
        [row(measure="Average caseload", baseline=22, target=15)],
    )
    response = send(client, world, book)
    client.post(reverse("imports:batch-confirm", kwargs={"token": ImportBatch.objects.get().token}))
    created = OutcomeResult.objects.get(measure__name="Average caseload")
    assert (created.baseline_value, created.target_value, created.recorded_by) == (
        D("22"),
        D("15"),
        world.users.officer,
    )
    assert response.status_code == 302


# Evidence that belongs (issue 16): a result is for an organisation taking part in the project,
# for the whole project, or for a named comparison group.

OUTSIDE = (
    "Kent County Council does not take part in Reclaiming Social Work: a result is for the project's lead or one "
    "of its partners, or for the whole project (no organisation). If the figure is a comparison group's, name the "
    "comparison group"
)


def test_a_row_for_an_organisation_outside_the_project_is_refused_at_its_row_and_nothing_is_written(client, evaluator):
    world = evaluator
    book = fill(
        template(ResultImport(world.users.evaluator, world.evaluation)),
        "Results",
        [
            row(authority="London Borough of Harrow", baseline=10),
            row(authority="Kent County Council", baseline=12),
            row(baseline=21),
        ],
    )
    before = results()
    response = send(client, world, book)
    assert response.status_code == 400
    assert [f"{problem.where}: {problem.message}" for problem in response.context["problems"]] == [
        f"sheet “Results”, row 3, column B (Authority or organisation): {OUTSIDE}"
    ]
    assert results() == before and not ImportBatch.objects.exists()


def test_a_partner_taken_off_before_the_confirmation_is_refused_then_and_nothing_is_written(client, evaluator):
    world = evaluator
    kent = ProjectPartner.objects.create(project=world.project, organisation=world.kent, role="partner_authority")
    book = fill(
        template(ResultImport(world.users.evaluator, world.evaluation)),
        "Results",
        [row(authority="London Borough of Harrow", baseline=10), row(authority="GB-LAE-KEN", baseline=12)],
    )
    assert send(client, world, book).status_code == 302
    kent.delete()
    before = results()
    response = client.post(reverse("imports:batch-confirm", kwargs={"token": ImportBatch.objects.get().token}))
    assert response.status_code == 400
    assert f"row 3, column B (Authority or organisation): {OUTSIDE}" in problems_text(response)
    assert results() == before
    assert ImportBatch.objects.get().status == "pending"


def test_a_comparison_groups_row_is_imported_for_any_organisation_and_said_to_be_one(client, evaluator):
    world = evaluator
    group = "Statistical neighbours of Derbyshire"
    book = fill(
        template(ResultImport(world.users.evaluator, world.evaluation)),
        "Results",
        [
            row(authority="Morning Lane Associates", baseline=19),  # the project's lead
            row(authority="Kent County Council", baseline=24, group=group),
            row(baseline=23, group=group),  # the group as a whole, beside the project's overall result
        ],
    )
    response = send(client, world, book)
    assert response.status_code == 302, problems_text(response)
    preview = client.get(response["Location"]).content.decode()
    assert f"comparison group: {group} (Kent County Council)" in preview
    client.post(reverse("imports:batch-confirm", kwargs={"token": ImportBatch.objects.get().token}))
    assert ImportBatch.objects.get().status == "applied"
    kent = OutcomeResult.objects.get(evaluation=world.evaluation, authority=world.kent)
    assert (kent.comparison_group, kent.baseline_value) == (group, D("24"))
    overall = OutcomeResult.objects.get(evaluation=world.evaluation, authority=None, comparison_group=group)
    assert overall.baseline_value == D("23")
    assert OutcomeResult.objects.get(pk=world.result.pk).baseline_value == D("20")  # the project's own, untouched
    lead = OutcomeResult.objects.get(evaluation=world.evaluation, authority=world.morning_lane)
    assert (lead.comparison_group, lead.baseline_value) == ("", D("19"))
    # The template offered back names the group in its own column.
    response = client.get(reverse("imports:results-template", kwargs={"evaluation_pk": world.evaluation.pk}))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Results"]
    rows = [[c.value for c in line] for line in sheet.iter_rows(min_row=2, max_row=5)]
    assert ["Kent County Council", group] in [[line[1], line[-1]] for line in rows]

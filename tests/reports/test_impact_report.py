"""The impact report: web page, Excel and PDF, for the programme and for one project.

The fixture adds to the world: spend returns on Reclaiming Social Work (£3,500.40
in all) and Kent's project, a follow-up on the world's before-and-after result
(Maryland level 2), and a randomised trial of Reclaiming Social Work (level 5)
of a measure that counts children, so a cost per outcome can be worked out."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from audit.models import DownloadRecord
from evaluations.models import Evaluation, EvidenceRating, OutcomeArea, OutcomeMeasure, OutcomeResult
from grants import money
from grants.models import Allocation, SpendReturn
from tests.factories import (
    AllocationFactory,
    EvaluationFactory,
    EvidenceRatingFactory,
    GrantFactory,
    OutcomeMeasureFactory,
    OutcomeResultFactory,
    ProjectFactory,
    RoundFactory,
    SpendReturnFactory,
)

REPORT = reverse("impact:report")
SPENT_RSW = Decimal("3500.40")  # 1,000.10 + 2,000.25 + 500.05
COST_PER_CHILD = Decimal("116.68")  # 3,500.40 / 30 fewer children, to the penny


def project_url(project, name="impact:project"):
    return reverse(name, kwargs={"project_pk": project.pk})


@pytest.fixture
def impact(world):
    for allocation, quarter, spent in (
        (world.allocations["GB-LAE-DBY"], 1, "1000.10"),
        (world.allocations["GB-LAE-DBY"], 2, "2000.25"),
        (world.allocations["GB-LAE-HRW"], 1, "500.05"),
        (world.other_allocation, 1, "700.00"),
    ):
        SpendReturn.objects.create(
            allocation=allocation,
            quarter=quarter,
            spent=Decimal(spent),
            forecast=Decimal("0.00"),
            submitted_by=world.users.derbyshire,
        )
    for allocation_id in Allocation.objects.values_list("pk", flat=True):  # returns written around the services
        money.refresh_balance(allocation_id)
    result = world.result
    result.followup_value = Decimal("31")
    result.followup_period_start, result.followup_period_end = dt.date(2016, 4, 1), dt.date(2017, 3, 31)
    result.save()
    EvidenceRating.objects.create(
        evaluation=world.evaluation,
        scale="maryland_sms",
        value="2",
        rationale="Before and after in three councils, no comparison group.",
    )
    entering_care = OutcomeMeasure.objects.create(
        name="Children entering care",
        outcome_area=OutcomeArea.objects.create(name="Safety and stability"),
        unit="number",
        direction="lower",
        is_count=True,
    )
    trial = EvaluationFactory(
        title="Trial of Reclaiming Social Work", design=Evaluation.Design.RCT, projects=[world.project]
    )
    EvidenceRatingFactory(evaluation=trial, value="5", rationale="Families were randomly assigned.")
    EvidenceRatingFactory(evaluation=trial, scale="wwcsc_effectiveness", value="positive", rationale="Clear effect.")
    counted = OutcomeResult.objects.create(
        evaluation=trial,
        measure=entering_care,
        baseline_value=Decimal("120"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
        followup_value=Decimal("90"),
        followup_period_start=dt.date(2016, 4, 1),
        followup_period_end=dt.date(2017, 3, 31),
        target_value=Decimal("100"),
        effect_size=Decimal("-0.4"),
        ci_lower=Decimal("-0.6"),
        ci_upper=Decimal("-0.2"),
    )
    world.trial, world.entering_care, world.counted = trial, entering_care, counted
    return world


def page(client, user, url=REPORT, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- The web page -------------------------------------------------------------


def test_each_result_with_its_figures_change_judgement_and_evidence(client, impact):
    html = page(client, impact.users.officer)
    assert "2 results" in html or "3 results" in html
    # The trial: 120 to 90 children, a fall of 30 (-25%), better than the target of 100.
    assert "Children entering care" in html
    assert "-30" in html and "-25% on the baseline" in html
    assert "Target met" in html
    assert "Maryland level 5 of 5" in html and "Randomised controlled trial" in html
    assert "Significant" in html and "The 95% confidence interval (-0.6 to -0.2) excludes 0" in html
    # The before-and-after result: 20% to 31%, 11 points, short of the 40% target.
    assert "+11 percentage points" in html and "+55% on the baseline" in html
    assert "Target not met" in html
    assert "Maryland level 2 of 5" in html
    assert "Before and after, no comparison group" in html


def test_stronger_evidence_is_shown_apart_from_and_before_weaker(client, impact):
    html = page(client, impact.users.viewer)
    stronger = html.index('id="stronger"')
    weaker = html.index('id="weaker"')
    assert stronger < weaker
    assert "Children entering care" in html[stronger:weaker]
    assert "Social work time in direct work with families" not in html[stronger:weaker]
    assert "Maryland level 2 of 5" in html[weaker:]
    assert "Maryland level 5 of 5" not in html[weaker:]


def test_a_before_and_after_study_rated_too_high_is_still_shown_as_weaker(client, impact):
    rating = EvidenceRating.objects.get(evaluation=impact.evaluation, scale="maryland_sms")
    rating.value = "4"
    rating.save()
    html = page(client, impact.users.officer)
    weaker = html[html.index('id="weaker"') :]
    assert "Maryland level 4 of 5" in weaker
    assert "the design has no comparison group: shown as weaker evidence" in weaker


def test_spend_to_date_and_cost_per_outcome(client, impact):
    html = page(client, impact.users.finance)
    assert "£3,500.40" in html  # Reclaiming Social Work's spend returns
    assert "£700.00" in html  # Kent's
    assert "£1,000,000.00" in html and "£500,000.00" in html  # awarded
    assert "£1,500,000.00" in html and "£4,200.40" in html  # totals
    assert "£116.68" in html
    assert "Not worked out: a percentage is not a count of children helped" in html


def test_an_svg_chart_per_measure_with_presentation_attributes_and_a_table(client, impact):
    html = page(client, impact.users.officer)
    assert html.count("<svg") == 2  # two measures
    chart = html[html.index("<svg") : html.index("</svg>")]
    assert 'fill="#1d70b8"' in chart and "style=" not in chart
    assert 'role="img"' in chart and "Children entering care" in chart
    assert "<title>Follow-up: 90</title>" in chart and "<title>Target: 100</title>" in chart
    assert "Children entering care as a table" in html


def test_filters(client, impact):
    officer = impact.users.officer
    assert "Children entering care" in page(client, officer, min_rating="3")
    assert "Social work time in direct work with families" not in page(client, officer, min_rating="3")
    area = impact.entering_care.outcome_area
    html = page(client, officer, outcome_area=area.pk)
    assert "Children entering care" in html and "Social work time" not in html
    other_round = RoundFactory(programme=impact.programme, number=2)
    GrantFactory(project=impact.other_project, round=other_round)
    html = page(client, officer, round=other_round.pk)
    assert "Evaluation of Kent family hubs" not in html  # qualitative, no rating: but it is in round 2
    assert "1 result" in html and "Kent family hubs" in html and "Children entering care" not in html
    html = page(client, officer, theme=impact.theme.pk)
    assert "Children entering care" in html and "Kent family hubs" not in html
    html = page(client, officer, authority=impact.kent.pk)
    assert "1 result" in html and "Kent family hubs" in html


def test_a_bad_filter_is_explained_not_a_500(client, impact):
    html = page(client, impact.users.officer, min_rating="9", round="abc")
    assert "There is a problem" in html
    assert "Choose a Maryland level from 1 to 5" in html
    assert "Choose a round from the list" in html
    assert "No outcome results match these filters" in html or "0 results" in html


def test_an_unknown_format_is_refused_plainly(client, impact):
    client.force_login(impact.users.officer)
    response = client.get(REPORT, {"format": "docx"})
    assert response.status_code == 400
    assert b"format=xlsx" in response.content


def test_the_programme_report_is_for_the_funders_staff(client, impact):
    for persona in ("morninglane", "derbyshire", "evaluator", "outsider"):
        client.force_login(getattr(impact.users, persona))
        assert client.get(REPORT).status_code == 403, persona
    client.logout()
    assert client.get(REPORT).status_code == 302


# --- One project ---------------------------------------------------------------


def test_a_projects_report_holds_only_its_results(client, impact):
    html = page(client, impact.users.officer, project_url(impact.project))
    assert "Impact of Reclaiming Social Work" in html
    assert "Children entering care" in html and "Kent family hubs" not in html
    assert "£3,500.40" in html and "£700.00" not in html


def test_the_lead_sees_its_projects_money_partners_and_evaluators_do_not(client, impact):
    html = page(client, impact.users.morninglane, project_url(impact.project))
    assert "£3,500.40" in html and "£116.68" in html
    for persona in ("derbyshire", "harrow", "evaluator"):
        html = page(client, getattr(impact.users, persona), project_url(impact.project))
        assert "Social work time in direct work with families" in html, persona
        # The evaluator sees the results of the evaluations assigned to it, not the trial.
        assert ("Children entering care" in html) == (persona != "evaluator"), persona
        assert "£3,500.40" not in html and "£116.68" not in html and "£1,000,000.00" not in html, persona
        assert "Spending is shown to the funder and to the project's lead organisation" in html, persona


def test_a_project_outside_the_users_scope_is_404(client, impact):
    for persona in ("morninglane", "derbyshire", "evaluator", "outsider"):
        client.force_login(getattr(impact.users, persona))
        for name in ("impact:project", "impact:card"):
            for fmt in ("", "xlsx", "pdf"):
                response = client.get(project_url(impact.other_project, name), {"format": fmt} if fmt else {})
                assert response.status_code == 404, (persona, name, fmt)


# --- Excel ---------------------------------------------------------------------


def workbook_of(response):
    return load_workbook(io.BytesIO(response.content))


def test_the_workbook_holds_the_figures_as_numbers_and_dates(client, impact):
    client.force_login(impact.users.officer)
    response = client.get(REPORT, {"format": "xlsx", "min_rating": "1"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="impact-programme-')
    book = workbook_of(response)
    assert book.sheetnames == ["About", "Results", "Projects"]
    about = {row[0]: row[1] for row in book["About"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert about["Minimum evidence rating"] == "Maryland level 1 or above"
    sheet = book["Results"]
    header = [cell.value for cell in sheet[1]]
    assert sheet.freeze_panes == "A2"
    rows = [dict(zip(header, [cell.value for cell in row])) for row in sheet.iter_rows(min_row=2)]
    trial = next(row for row in rows if row["Measure"] == "Children entering care")
    assert trial["Evidence"] == "Stronger"
    assert trial["Design"] == "Randomised controlled trial"
    assert trial["Maryland level"] == 5
    assert trial["WWCSC effectiveness"] == "Positive effect"
    assert trial["Baseline"] == 120 and trial["Follow-up"] == 90 and trial["Target"] == 100
    assert trial["Change"] == -30
    assert trial["Change %"] == pytest.approx(-0.25)
    assert trial["Baseline from"] == dt.datetime(2014, 4, 1)
    assert trial["Judgement"] == "Improved" and trial["Target met"] == "Yes"
    assert trial["Significance"] == "Significant"
    assert Decimal(str(trial["Spent to date by the projects"])) == SPENT_RSW
    assert Decimal(str(trial["Cost per outcome"])) == COST_PER_CHILD
    money_column = header.index("Cost per outcome") + 1
    assert sheet.cell(row=2, column=money_column).number_format == '"£"#,##0.00'
    before_after = next(row for row in rows if row["Evaluation"] == "Evaluation of Reclaiming Social Work")
    assert before_after["Evidence"] == "Weaker" and before_after["Maryland level"] == 2
    assert before_after["Judgement"] == "Improved" and before_after["Target met"] == "No"
    assert before_after["Cost per outcome"] is None
    assert before_after["Cost per outcome note"].startswith("Not worked out: a percentage")
    projects = book["Projects"]
    money = {row[0]: (row[3], row[4]) for row in projects.iter_rows(min_row=2, values_only=True) if row[0]}
    assert Decimal(str(money["R1-01"][1])) == SPENT_RSW
    assert Decimal(str(money["R1-01"][0])) == Decimal("1000000.00")
    assert money["Total"][0].startswith("=SUM(D2:D")


def test_a_workbook_for_a_partner_has_no_money(client, impact):
    client.force_login(impact.users.derbyshire)
    book = workbook_of(client.get(project_url(impact.project), {"format": "xlsx"}))
    assert book.sheetnames == ["About", "Results"]
    assert "Cost per outcome" not in [cell.value for cell in book["Results"][1]]


def test_downloads_are_recorded(client, impact):
    client.force_login(impact.users.viewer)
    client.get(REPORT, {"format": "xlsx"})
    client.get(project_url(impact.project), {"format": "pdf"})
    records = list(DownloadRecord.objects.order_by("pk").values_list("kind", "description", "user__username"))
    assert records == [
        ("export", "Impact report (Excel)", "viewer"),
        ("export", "Impact of Reclaiming Social Work (PDF)", "viewer"),
    ]


# --- PDF ---------------------------------------------------------------------------


def pdf_text(response):
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_has_a_cover_the_figures_and_page_numbers(client, impact):
    client.force_login(impact.users.officer)
    reader, text = pdf_text(client.get(REPORT, {"format": "pdf", "min_rating": "2"}))
    first = reader.pages[0].extract_text()
    assert "Impact report" in first and "Minimum evidence rating: Maryland level 2 or above" in first
    assert f"Page 1 of {len(reader.pages)}" in first
    assert "Children entering care" in text
    text = " ".join(text.split())
    assert "Maryland level 5 of 5" in text and "Maryland level 2 of 5" in text
    assert "£116.68" in text and "£3,500.40" in text
    assert "Not worked out: a percentage is not a count of children helped" in text
    assert text.index("Stronger evidence") < text.index("Weaker evidence")


# --- Queries do not grow with the number of projects ---------------------------------


def add_evaluated_projects(world, count):
    measure = OutcomeMeasureFactory()
    for _ in range(count):
        project = ProjectFactory(programme=world.programme)
        allocation = AllocationFactory(grant=GrantFactory(project=project, round=world.round))
        SpendReturnFactory(allocation=allocation, spent=Decimal("1234.56"))
        evaluation = EvaluationFactory(projects=[project])
        EvidenceRatingFactory(evaluation=evaluation)
        OutcomeResultFactory(
            evaluation=evaluation,
            measure=measure,
            followup_value=Decimal("30"),
            followup_period_start=dt.date(2015, 4, 1),
            followup_period_end=dt.date(2016, 3, 31),
        )


def queries_for(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url_params", [{}, {"format": "xlsx"}, {"min_rating": "2", "theme": ""}])
def test_the_query_count_does_not_grow_with_the_projects(client, world, url_params):
    client.force_login(world.users.officer)
    add_evaluated_projects(world, 2)
    few = queries_for(client, REPORT, url_params)
    add_evaluated_projects(world, 8)
    many = queries_for(client, REPORT, url_params)
    assert many == few
    assert OutcomeResult.objects.count() == 12


def test_a_projects_report_and_card_do_not_grow_with_its_results(client, world):
    client.force_login(world.users.officer)
    few = [
        queries_for(client, project_url(world.project)),
        queries_for(client, project_url(world.project, "impact:card")),
    ]
    for _ in range(5):
        evaluation = EvaluationFactory(projects=[world.project])
        EvidenceRatingFactory(evaluation=evaluation)
        OutcomeResultFactory(evaluation=evaluation)
    many = [
        queries_for(client, project_url(world.project)),
        queries_for(client, project_url(world.project, "impact:card")),
    ]
    assert many == few


def test_the_web_page_shows_a_readable_number_of_results_and_says_how_many(client, world, monkeypatch):
    """At national scale (20,000 results) the page lists the first few of each group; the downloads hold all."""
    monkeypatch.setattr("reports.impact_views.WEB_LIMIT", 1)
    client.force_login(world.users.officer)
    page = client.get(reverse("impact:report")).content.decode()
    assert "The first 1 of 2 results are shown." in page

"""A project's impact card: what it achieved, how sure we are, what it cost, on
one web page and one A4 page."""

import datetime as dt
import io
from decimal import Decimal

from django.urls import reverse
from pypdf import PdfReader

from audit.models import DownloadRecord
from evaluations.models import OutcomeResult
from tests.factories import EvaluationFactory, EvidenceRatingFactory, OutcomeMeasureFactory
from tests.reports.test_impact_report import impact  # noqa: F401  (the fixture)


def card_url(project):
    return reverse("impact:card", kwargs={"project_pk": project.pk})


def test_the_card_answers_the_boards_three_questions(client, impact):
    client.force_login(impact.users.officer)
    html = client.get(card_url(impact.project)).content.decode()
    for heading in ("What it achieved", "How sure we are", "What it cost"):
        assert heading in html
    assert "Children entering care" in html and "Improved; target met" in html
    assert "Randomised controlled trial; Maryland level 5 of 5" in html
    assert "Before and after, no comparison group; Maryland level 2 of 5" in html
    assert "With no comparison group, it cannot show what would have happened without the project." in html
    assert "£1,000,000.00" in html and "£3,500.40" in html
    assert "Children entering care: <strong>£116.68</strong> for each one fewer" in html
    assert "Not worked out for the other results: a percentage is not a count of children helped." in html
    # The surest finding comes first.
    assert html.index("Children entering care") < html.index("Social work time in direct work with families")


def test_a_partner_sees_the_card_without_the_money(client, impact):
    client.force_login(impact.users.harrow)
    html = client.get(card_url(impact.project)).content.decode()
    assert "Children entering care" in html
    assert "£3,500.40" not in html and "£116.68" not in html
    assert "The project's spending is shown to the funder and to its lead organisation." in html


def test_the_pdf_is_exactly_one_page_with_the_figures(client, impact):
    # More than the card shows: seven results (it shows six) and seven evaluations (it shows three).
    for number in range(5):
        evaluation = EvaluationFactory(projects=[impact.project], title=f"Study {number}")
        EvidenceRatingFactory(evaluation=evaluation, value="3", rationale="A matched comparison group. " * 20)
        EvidenceRatingFactory(
            evaluation=evaluation, scale="wwcsc_strength", value="moderate", rationale="Moderate evidence. " * 20
        )
        OutcomeResult.objects.create(
            evaluation=evaluation,
            measure=OutcomeMeasureFactory(),
            baseline_value=Decimal("50"),
            baseline_period_start=dt.date(2014, 4, 1),
            baseline_period_end=dt.date(2015, 3, 31),
            followup_value=Decimal("44.5"),
            followup_period_start=dt.date(2016, 4, 1),
            followup_period_end=dt.date(2017, 3, 31),
            target_value=Decimal("45"),
            illustrative=True,
        )
    client.force_login(impact.users.officer)
    response = client.get(card_url(impact.project), {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Reclaiming Social Work" in text and "Page 1 of 1" in text
    assert "What it achieved" in text and "How sure we are" in text and "What it cost" in text
    assert "120 90" in text and "-30 (-25%)" in text and "Improved; target met" in text
    assert "£1,000,000.00" in text and "£3,500.40" in text and "£116.68" in text
    assert "Maryland level 5 of 5" in text and "Illustrative" in text
    assert "And 1 more result in the project's impact report" in text
    assert "And 4 more evaluations in the project's impact report" in text
    assert (
        DownloadRecord.objects.filter(kind="export", description="Impact card: Reclaiming Social Work (PDF)").count()
        == 1
    )


def test_a_card_of_a_project_with_no_evidence(client, world):
    client.force_login(world.users.morninglane)
    OutcomeResult.objects.all().delete()
    html = client.get(card_url(world.project)).content.decode()
    assert "No outcome results have been recorded for this project yet." in html
    assert "No results to set the spending against." in html
    response = client.get(card_url(world.project), {"format": "pdf"})
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1


def test_the_card_is_404_outside_scope_and_refuses_an_unknown_format(client, impact):
    client.force_login(impact.users.outsider)
    assert client.get(card_url(impact.project)).status_code == 404
    client.force_login(impact.users.officer)
    assert client.get(card_url(impact.project), {"format": "xlsx"}).status_code == 400

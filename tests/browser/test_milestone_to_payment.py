"""The journey from evidence to payment, in a real browser, finding fields by
their labels and buttons by their names."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from grants.models import Payment
from projects.models import Milestone
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def evidence_pdf(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "private"
    path = tmp_path / "unit-opening-report.pdf"
    path.write_bytes(MINIMAL_PDF)
    return path


def test_evidence_accepted_paid_and_shown_and_kept_from_another_partner(world, open_as, evidence_pdf, live_server):
    milestone = world.derbyshire_milestone

    # Derbyshire submits its milestone evidence with a PDF.
    # Signed in, the home page lists what waits; the milestone itself is on "Your projects".
    page = open_as("derbyshire", PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Your projects").click()
    page.get_by_role("link", name="Family breakdown unit running").first.click()
    page.get_by_label("What was delivered").fill("The family breakdown unit opened on 1 September with four staff.")
    page.get_by_label("Evidence files (optional)").set_input_files(str(evidence_pdf))
    page.get_by_role("button", name="Submit evidence").click()
    assert page.locator(".govuk-notification-banner--success").is_visible()
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.SUBMITTED
    assert milestone.submissions.get().evidence_files.get().original_name == "unit-opening-report.pdf"

    # The officer accepts it.
    page = open_as("officer", PASSWORD)
    page.goto(f"/projects/milestones/{milestone.pk}/")
    assert page.get_by_role("link", name=re.compile("unit-opening-report.pdf")).is_visible()
    page.get_by_label("Accept").check()
    page.get_by_role("button", name="Save decision").click()
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.ACCEPTED

    # The finance user finds it waiting and records the payment.
    page = open_as("finance", PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Payments waiting").click()
    assert page.get_by_role("heading", name=re.compile("Payments waiting")).is_visible()
    page.get_by_role("link", name=re.compile("Pay.*Family breakdown unit running")).click()
    paid_on = page.get_by_role("group", name="Payment date")  # the GOV.UK date input: three boxes
    paid_on.get_by_label("Day").fill("15")
    paid_on.get_by_label("Month").fill("1")
    paid_on.get_by_label("Year").fill("2016")
    page.get_by_label("Remittance reference").fill("BACS-2016-0042")
    page.get_by_role("button", name="Record the payment").click()
    payment = Payment.objects.get(milestone=milestone)
    assert (payment.amount, payment.recorded_by, payment.reference, payment.paid_on) == (
        Decimal("50000.00"),
        world.users.finance,
        "BACS-2016-0042",
        dt.date(2016, 1, 15),
    )

    # The project page shows it.
    page.goto(f"/projects/{world.project.pk}/")
    assert page.locator("table", has_text="£50,000.00").first.is_visible()

    assert open_as.console_errors == []

    # Harrow, a partner in the same project, cannot open Derbyshire's milestone.
    page = open_as("harrow", PASSWORD)
    response = page.goto(f"/projects/milestones/{milestone.pk}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    assert "family breakdown unit opened" not in page.content()


def test_a_wrong_password_shows_the_error_summary_and_links_to_the_field(world, open_as):
    page = open_as("derbyshire", "not-the-password")
    summary = page.locator(".govuk-error-summary")
    summary.wait_for(state="visible")  # the answer to the sign-in, however long a loaded machine takes
    assert "Enter a correct username or email address and password" in summary.inner_text()
    assert page.get_by_label("Username or email address").is_visible()

"""What an edit in the admin does: status moves only through set_status, money is
saved through grants.services like on every other path, a partnership that money or
milestones hang from stays, and an uploaded report is checked like any other upload."""

from decimal import Decimal as D

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from evaluations.models import EvaluationReport
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Payment, SpendReturn
from projects.models import Milestone, Project, ProjectPartner
from tests import factories as f
from tests.admin.conftest import as_request, form_data, messages_of, url

pytestmark = pytest.mark.django_db


class TestAPartnershipWithMoneyOrMilestonesStays:
    """A partner's membership of a project (ProjectPartner) is what lets it see its share of the
    grants and its milestones; no foreign key protects it, so the admin does."""

    @pytest.fixture(params=["allocation", "milestone"])
    def held(self, request):
        partner = f.ProjectPartnerFactory()
        if request.param == "allocation":
            f.AllocationFactory(grant=f.GrantFactory(project=partner.project), recipient=partner.organisation)
        else:
            f.MilestoneFactory(project=partner.project, organisation=partner.organisation)
        return partner

    def test_its_delete_page_refuses(self, client, held):
        assert client.get(url(ProjectPartner, "delete", held.pk)).status_code == 403
        assert client.post(url(ProjectPartner, "delete", held.pk), {"post": "yes"}).status_code == 403
        assert ProjectPartner.objects.filter(pk=held.pk).exists()

    def test_the_bulk_delete_says_why_and_deletes_none(self, client, held):
        empty = f.ProjectPartnerFactory()
        data = {"action": "delete_selected", "_selected_action": [held.pk, empty.pk]}
        for step in (data, data | {"post": "yes"}):
            response = client.post(url(ProjectPartner, "changelist"), step)
            assert response.status_code == 200
            assert f"{held.organisation} stays a partner of {held.project.reference}" in response.content.decode()
        assert ProjectPartner.objects.filter(pk__in=[held.pk, empty.pk]).count() == 2

    def test_the_projects_page_will_not_remove_it(self, client, held):
        project = held.project
        change = url(Project, "change", project.pk)
        data = form_data(
            client.get(change),
            programme=project.programme_id,
            reference=project.reference,
            title=project.title,
            summary=project.summary,
            lead_organisation=project.lead_organisation_id,
            start_date="2014-10-01",
            end_date="2016-03-31",
        )
        prefix = "partnerships"
        data |= {
            f"{prefix}-0-id": held.pk,
            f"{prefix}-0-project": project.pk,
            f"{prefix}-0-organisation": held.organisation_id,
            f"{prefix}-0-role": held.role,
            f"{prefix}-0-DELETE": "on",
        }
        response = client.post(change, data)
        assert response.status_code == 200
        assert "stays a partner of" in response.content.decode()
        assert ProjectPartner.objects.filter(pk=held.pk).exists()

    def test_a_partner_added_by_mistake_may_still_be_deleted(self, client):
        partner = f.ProjectPartnerFactory()
        assert client.get(url(ProjectPartner, "delete", partner.pk)).status_code == 200
        assert client.post(url(ProjectPartner, "delete", partner.pk), {"post": "yes"}).status_code == 302
        assert not ProjectPartner.objects.filter(pk=partner.pk).exists()


def test_an_action_moves_a_grant_through_set_status_and_reports_an_illegal_move(client, superuser):
    awarded = f.GrantFactory(title="Awarded grant")
    closed = f.GrantFactory(title="Closed grant", status=Grant.Status.CLOSED)

    response = client.post(
        url(Grant, "changelist"), {"action": "move_to_active", "_selected_action": [awarded.pk, closed.pk]}, follow=True
    )

    awarded.refresh_from_db()
    closed.refresh_from_db()
    assert (awarded.status, closed.status) == ("active", "closed")
    change = awarded.status_changes.get()
    assert (change.old_status, change.new_status, change.changed_by, change.reason) == (
        "awarded",
        "active",
        superuser,
        "Changed in the admin",
    )
    assert not closed.status_changes.exists()
    assert messages_of(response) == [
        "Closed grant: A grant cannot move from Closed to Active.",
        "Moved 1 grant to Active.",
    ]


def test_projects_have_an_action_per_reachable_status_and_milestones_none(superuser):
    request = as_request(superuser)
    project_actions = {
        name for name in admin.site._registry[Project].get_actions(request) if name.startswith("move_to_")
    }
    assert project_actions == {"move_to_active", "move_to_closing", "move_to_closed", "move_to_withdrawn"}
    # A milestone moves only by a submission or a review, so each move has its evidence or decision.
    assert not [name for name in admin.site._registry[Milestone].get_actions(request) if name.startswith("move_to_")]


def test_a_grant_added_in_the_admin_starts_its_history(client, superuser):
    project = f.ProjectFactory()
    round_ = f.RoundFactory(programme=project.programme)
    page = client.get(url(Grant, "add"))
    data = form_data(
        page,
        project=project.pk,
        round=round_.pk,
        recipient=project.lead_organisation_id,
        title="Reclaiming Social Work",
        amount_awarded="4200000.00",
        award_date="2014-10-01",
        planned_start="2014-10-01",
        planned_end="2016-03-31",
        publishable="on",
    )

    assert client.post(url(Grant, "add"), data).status_code == 302
    grant = Grant.objects.get(title="Reclaiming Social Work")
    assert grant.amount_awarded == D("4200000.00")
    assert list(grant.status_changes.values_list("old_status", "new_status", "changed_by")) == [
        ("", "awarded", superuser.pk)
    ]


class TestMoneyGoesThroughTheServices:
    def allocation_data(self, client, grant, resource):
        page = client.get(url(Allocation, "add"))
        return form_data(
            page,
            grant=grant.pk,
            recipient=grant.recipient_id,
            financial_year="2015-16",
            resource=resource,
            capital="0.00",
        )

    def test_an_allocation_beyond_the_award_is_refused_with_a_message(self, client):
        grant = f.GrantFactory(amount_awarded=D("1000.00"))
        response = client.post(url(Allocation, "add"), self.allocation_data(client, grant, "1000.01"))

        assert response.status_code == 200
        assert "more than its award of £1,000.00" in str(response.context["adminform"].form.non_field_errors())
        assert not Allocation.objects.exists()

    def test_an_allocation_up_to_the_award_is_saved(self, client):
        grant = f.GrantFactory(amount_awarded=D("1000.00"))
        response = client.post(url(Allocation, "add"), self.allocation_data(client, grant, "1000.00"))

        assert response.status_code == 302
        allocation = Allocation.objects.get()
        assert (allocation.amount, str(allocation.financial_year)) == (D("1000.00"), "2015-16")

    def payment_data(self, client, allocation, amount):
        page = client.get(url(Payment, "add"))
        return form_data(page, allocation=allocation.pk, kind="payment", amount=amount, paid_on="2015-06-30")

    def test_a_payment_beyond_the_allocation_is_refused(self, client):
        allocation = f.AllocationFactory(resource=D("500.00"))
        response = client.post(url(Payment, "add"), self.payment_data(client, allocation, "500.01"))

        assert response.status_code == 200
        assert "so at most £500.00 can be paid" in str(response.context["adminform"].form.non_field_errors())
        assert not Payment.objects.exists()

    def test_a_payment_within_the_allocation_is_recorded_with_who_recorded_it(self, client, superuser):
        allocation = f.AllocationFactory(resource=D("500.00"))
        response = client.post(url(Payment, "add"), self.payment_data(client, allocation, "500.00"))

        assert response.status_code == 302
        payment = Payment.objects.get()
        assert (payment.amount, payment.recorded_by) == (D("500.00"), superuser)

    def test_an_allocations_amount_is_varied_in_the_service_not_the_admin(self, client):
        payment = f.PaymentFactory(
            amount=D("500.00"), allocation__resource=D("1000.00"), allocation__financial_year=FinancialYear(2015)
        )
        allocation = payment.allocation
        change = url(Allocation, "change", allocation.pk)
        page = client.get(change)
        data = form_data(
            page,
            recipient=allocation.recipient_id,
            financial_year=str(allocation.financial_year),
            resource="499.99",
            capital="0.00",
        )

        response = client.post(change, data)

        assert response.status_code == 200
        assert "make it on the grant" in str(response.context["adminform"].form.non_field_errors())
        allocation.refresh_from_db()
        assert allocation.resource == D("1000.00")
        assert client.post(change, data | {"resource": "1000.00", "purpose": "Set-up"}).status_code == 302
        allocation.refresh_from_db()
        assert (allocation.amount, allocation.purpose) == (D("1000.00"), "Set-up")

    def test_an_award_is_varied_in_the_service_not_the_admin(self, client):
        allocation = f.AllocationFactory(resource=D("600.00"), grant__amount_awarded=D("1000.00"))
        grant = allocation.grant
        change = url(Grant, "change", grant.pk)
        page = client.get(change)
        data = form_data(
            page,
            project=grant.project_id,
            round=grant.round_id,
            recipient=grant.recipient_id,
            title=grant.title,
            amount_awarded="599.99",
            award_date="2014-10-01",
            planned_start="2014-10-01",
            planned_end="2016-03-31",
        )

        response = client.post(change, data)

        assert response.status_code == 200
        assert "make it on the grant" in str(response.context["adminform"].form.non_field_errors())
        grant.refresh_from_db()
        assert grant.amount_awarded == D("1000.00")
        assert client.post(change, data | {"amount_awarded": "1000.00", "title": "Renamed"}).status_code == 302
        grant.refresh_from_db()
        assert (grant.amount_awarded, grant.title) == (D("1000.00"), "Renamed")

    def test_a_payment_cannot_be_edited_only_reversed(self, client):
        payment = f.PaymentFactory()
        response = client.get(url(Payment, "change", payment.pk))
        assert response.status_code == 200
        assert not response.context["has_change_permission"]


def test_an_officer_marks_spend_returns_reviewed_from_the_list(client, superuser):
    waiting = f.SpendReturnFactory()
    done = f.SpendReturnFactory(status="reviewed", reviewed_at=timezone.now(), reviewed_by=superuser)

    response = client.post(
        url(SpendReturn, "changelist"),
        {"action": "mark_reviewed", "_selected_action": [waiting.pk, done.pk]},
        follow=True,
    )

    waiting.refresh_from_db()
    assert (waiting.status, waiting.reviewed_by) == ("reviewed", superuser)
    assert messages_of(response) == [f"{done}: This return has already been reviewed", "Marked 1 as reviewed."]


class TestReportUploads:
    def post(self, client, evaluation, upload):
        page = client.get(url(EvaluationReport, "add"))
        data = form_data(page, evaluation=evaluation.pk, title="Final report", kind="final", file=upload)
        return client.post(url(EvaluationReport, "add"), data)

    def test_a_file_that_is_not_what_its_name_says_is_refused(self, client, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        upload = SimpleUploadedFile("report.pdf", b"<html><script>alert(1)</script></html>")
        response = self.post(client, f.EvaluationFactory(), upload)

        assert response.status_code == 200
        assert "is not what its name says" in str(response.context["adminform"].form.errors["file"])
        assert not EvaluationReport.objects.exists()

    def test_a_real_pdf_is_stored_with_its_details_and_uploader(self, client, superuser, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        upload = SimpleUploadedFile("Final report.pdf", b"%PDF-1.4\n%test\n")
        assert self.post(client, f.EvaluationFactory(), upload).status_code == 302

        report = EvaluationReport.objects.get()
        assert (report.original_name, report.content_type, report.size_bytes, report.uploaded_by) == (
            "Final_report.pdf",
            "application/pdf",
            15,
            superuser,
        )
        assert client.get(url(EvaluationReport, "change", report.pk)).status_code == 200

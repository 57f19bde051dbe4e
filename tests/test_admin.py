"""The admin: every page opens, lists do not run a query per row, nothing that carries
money or a decision can be deleted, status moves only through set_status, and money
is saved through grants.services like on every other path.

The model lists come from ``admin.site._registry`` so a newly registered model is
tested without anyone remembering to add it here.
"""

from decimal import Decimal as D

import factory
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import EnrolmentLink, Role, SecurityEvent, User
from audit.models import DownloadRecord
from evaluations.models import (
    Evaluation,
    EvaluationReport,
    EvaluationStatusChange,
    EvidenceRating,
    OutcomeArea,
    OutcomeMeasure,
    OutcomeResult,
)
from grants.financial_year import FinancialYear
from grants.models import (
    Allocation,
    AllocationBalance,
    Grant,
    GrantStatusChange,
    Organisation,
    Payment,
    Programme,
    Round,
    SpendReturn,
    Variation,
)
from projects.models import (
    EvidenceFile,
    Milestone,
    MilestoneReview,
    MilestoneStatusChange,
    MilestoneSubmission,
    Project,
    ProjectPartner,
    ProjectStatusChange,
    Theme,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)



class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Group {n}")


class _SignInRecordFactory(factory.django.DjangoModelFactory):
    username = factory.Sequence(lambda n: f"user{n}")
    ip_address = "192.0.2.1"
    user_agent = "Mozilla/5.0"
    http_accept = "text/html"
    path_info = "/account/sign-in/"


class AccessAttemptFactory(_SignInRecordFactory):
    class Meta:
        model = AccessAttempt

    get_data = ""
    post_data = "username=user"
    failures_since_start = 5


class AccessLogFactory(_SignInRecordFactory):
    class Meta:
        model = AccessLog


class AccessFailureLogFactory(_SignInRecordFactory):
    class Meta:
        model = AccessFailureLog

    locked_out = True


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(f.UserFactory, role=Role.OFFICER)
    name = "Authenticator app"


class StaticDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaticDevice

    user = factory.SubFactory(f.UserFactory, role=Role.OFFICER)
    name = "Recovery codes"


class SecurityEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SecurityEvent

    user = factory.SubFactory(f.UserFactory, role=Role.OFFICER)
    kind = SecurityEvent.Kind.RECOVERY_CODE_USED
    ip_address = "192.0.2.1"


class EnrolmentLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnrolmentLink

    user = factory.SubFactory(f.UserFactory, role=Role.OFFICER)
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(minutes=30))


class DownloadRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DownloadRecord

    user = factory.SubFactory(f.UserFactory)
    kind = DownloadRecord.Kind.EXPORT
    description = "Projects (CSV, 2 projects)"
    path = "/exports/projects.csv"
    ip_address = "127.0.0.1"


FACTORIES = {
    DownloadRecord: DownloadRecordFactory,
    Group: GroupFactory,
    User: f.UserFactory,
    Organisation: f.OrganisationFactory,
    Programme: f.ProgrammeFactory,
    Round: f.RoundFactory,
    Grant: f.GrantFactory,
    Allocation: f.AllocationFactory,
    Payment: f.PaymentFactory,
    SpendReturn: f.SpendReturnFactory,
    Theme: f.ThemeFactory,
    Project: f.ProjectFactory,
    ProjectPartner: f.ProjectPartnerFactory,
    Milestone: f.MilestoneFactory,
    MilestoneSubmission: f.MilestoneSubmissionFactory,
    MilestoneReview: f.MilestoneReviewFactory,
    EvidenceFile: f.EvidenceFileFactory,
    OutcomeArea: f.OutcomeAreaFactory,
    OutcomeMeasure: f.OutcomeMeasureFactory,
    Evaluation: f.EvaluationFactory,
    EvaluationReport: f.EvaluationReportFactory,
    EvidenceRating: f.EvidenceRatingFactory,
    OutcomeResult: f.OutcomeResultFactory,
    AccessAttempt: AccessAttemptFactory,
    AccessLog: AccessLogFactory,
    AccessFailureLog: AccessFailureLogFactory,
    TOTPDevice: TOTPDeviceFactory,
    StaticDevice: StaticDeviceFactory,
    SecurityEvent: SecurityEventFactory,
    EnrolmentLink: EnrolmentLinkFactory,
}

# Made only by their workflows (projects.services, grants.services), which check who acts,
# check uploaded files and move statuses; the admin shows them.
NO_ADD = {MilestoneSubmission, MilestoneReview, EvidenceFile, SpendReturn, DownloadRecord}
# Written by django-axes as people sign in; the admin shows them.
NO_ADD |= {AccessAttempt, AccessLog, AccessFailureLog}
# Written by accounts.services as people set up and use two-factor sign-in.
NO_ADD |= {SecurityEvent, EnrolmentLink}

UNDELETABLE = [
    Grant, Allocation, Payment, SpendReturn, Milestone, MilestoneSubmission, MilestoneReview, EvidenceFile,
    OutcomeResult, EvidenceRating, Organisation, Project, Programme, Round,
    # Records that stay: who downloaded what, who signed in, failed to and was locked out.
    DownloadRecord, AccessAttempt, AccessLog, AccessFailureLog, SecurityEvent, EnrolmentLink,
]
RECORDS = [DownloadRecord, AccessAttempt, AccessLog, AccessFailureLog, SecurityEvent, EnrolmentLink]

STATUS_HISTORY = {GrantStatusChange: Grant, ProjectStatusChange: Project, MilestoneStatusChange: Milestone,
                  EvaluationStatusChange: Evaluation,
                  # Made and decided in the service; kept by the money services: read on the parent only.
                  Variation: Grant, AllocationBalance: Allocation}


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def ids(models):
    return [model._meta.label for model in models]


@pytest.fixture
def superuser():
    return f.UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def client(client, superuser):
    client.force_login(superuser)
    return client


def as_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(response, **fields):
    """What the page posts: the given fields and its inlines' management forms, unchanged."""
    data = dict(fields)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {f"{management.prefix}-{name}": value for name, value in management.initial.items()}
    return data


def test_every_model_has_an_admin_or_is_history_shown_on_its_parent(superuser):
    models = {model for label in ("accounts", "grants", "projects", "evaluations")
              for model in apps.get_app_config(label).get_models()}
    # The audit history's copies (django-simple-history) are read on the History
    # page of the model they copy, whose admin must offer it.
    audit_copies = {model for model in models if hasattr(model, "instance_type")}
    for copy in audit_copies:
        assert isinstance(admin.site._registry[copy.instance_type], SimpleHistoryAdmin), copy
    models -= audit_copies
    assert models - set(REGISTERED) == set(STATUS_HISTORY)
    assert set(FACTORIES) == set(REGISTERED)
    for history, parent in STATUS_HISTORY.items():
        inlines = admin.site._registry[parent].get_inline_instances(as_request(superuser))
        assert history in [inline.model for inline in inlines]


@pytest.mark.parametrize("model", REGISTERED, ids=ids(REGISTERED))
def test_the_list_change_and_add_pages_open(client, model):
    obj = FACTORIES[model]()

    listing = client.get(url(model, "changelist"))
    assert listing.status_code == 200
    assert obj in listing.context["cl"].result_list

    assert client.get(url(model, "change", obj.pk)).status_code == 200
    assert client.get(url(model, "add")).status_code == (403 if model in NO_ADD else 200)


@pytest.mark.parametrize("model", REGISTERED, ids=ids(REGISTERED))
def test_a_list_runs_the_same_queries_for_one_row_as_for_six(client, model, django_assert_max_num_queries):
    FACTORIES[model]()
    client.get(url(model, "changelist"))  # warm the session and caches
    with CaptureQueriesContext(connection) as one_row:
        client.get(url(model, "changelist"))

    FACTORIES[model].create_batch(5)
    with django_assert_max_num_queries(len(one_row)):
        response = client.get(url(model, "changelist"))
    assert len(response.context["cl"].result_list) >= 6


@pytest.mark.parametrize("model", UNDELETABLE, ids=ids(UNDELETABLE))
def test_nothing_that_carries_money_or_a_decision_can_be_deleted(client, model):
    obj = FACTORIES[model]()

    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    listing = client.get(url(model, "changelist"))
    action_form = listing.context["action_form"]  # None when no action is left at all
    assert action_form is None or "delete_selected" not in dict(action_form.fields["action"].choices)
    client.post(url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert model.objects.filter(pk=obj.pk).exists()
    assert url(model, "delete", obj.pk) not in client.get(url(model, "change", obj.pk)).content.decode()


@pytest.mark.parametrize("model", RECORDS, ids=ids(RECORDS))
def test_a_record_is_read_never_edited(client, superuser, model):
    obj = FACTORIES[model]()
    model_admin = admin.site._registry[model]
    assert not model_admin.has_change_permission(as_request(superuser), obj)
    assert not model_admin.get_actions(as_request(superuser))  # nor axes's "clean up expired attempts"
    before = list(model.objects.values())
    response = client.post(url(model, "change", obj.pk), {"username": "someone-else", "path_info": "/"})
    assert response.status_code == 403
    assert list(model.objects.values()) == before


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
            client.get(change), programme=project.programme_id, reference=project.reference, title=project.title,
            summary=project.summary, lead_organisation=project.lead_organisation_id,
            start_date="2014-10-01", end_date="2016-03-31",
        )
        prefix = "partnerships"
        data |= {f"{prefix}-0-id": held.pk, f"{prefix}-0-project": project.pk,
                 f"{prefix}-0-organisation": held.organisation_id, f"{prefix}-0-role": held.role,
                 f"{prefix}-0-DELETE": "on"}
        response = client.post(change, data)
        assert response.status_code == 200
        assert "stays a partner of" in response.content.decode()
        assert ProjectPartner.objects.filter(pk=held.pk).exists()

    def test_a_partner_added_by_mistake_may_still_be_deleted(self, client):
        partner = f.ProjectPartnerFactory()
        assert client.get(url(ProjectPartner, "delete", partner.pk)).status_code == 200
        assert client.post(url(ProjectPartner, "delete", partner.pk), {"post": "yes"}).status_code == 302
        assert not ProjectPartner.objects.filter(pk=partner.pk).exists()


def test_status_history_is_read_only_on_its_parent(superuser):
    request = as_request(superuser)
    for history, parent in STATUS_HISTORY.items():
        [inline] = [i for i in admin.site._registry[parent].get_inline_instances(request) if i.model is history]
        assert not inline.has_add_permission(request, None)
        assert not inline.has_change_permission(request, None)
        assert not inline.has_delete_permission(request, None)
        assert inline.has_view_permission(request, None)


@pytest.mark.parametrize("model", [Grant, Project, Milestone], ids=ids([Grant, Project, Milestone]))
def test_status_is_not_a_field_of_the_form(superuser, model):
    model_admin = admin.site._registry[model]
    obj = FACTORIES[model]()
    request = as_request(superuser)
    assert "status" not in model_admin.get_form(request, obj).base_fields
    assert "status" in model_admin.get_readonly_fields(request, obj)


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
        "awarded", "active", superuser, "Changed in the admin"
    )
    assert not closed.status_changes.exists()
    assert messages_of(response) == [
        "Closed grant: A grant cannot move from Closed to Active.",
        "Moved 1 grant to Active.",
    ]


def test_projects_have_an_action_per_reachable_status_and_milestones_none(superuser):
    request = as_request(superuser)
    project_actions = {name for name in admin.site._registry[Project].get_actions(request) if name.startswith("move_to_")}
    assert project_actions == {"move_to_active", "move_to_closing", "move_to_closed", "move_to_withdrawn"}
    # A milestone moves only by a submission or a review, so each move has its evidence or decision.
    assert not [name for name in admin.site._registry[Milestone].get_actions(request) if name.startswith("move_to_")]


def test_a_grant_added_in_the_admin_starts_its_history(client, superuser):
    project = f.ProjectFactory()
    round_ = f.RoundFactory(programme=project.programme)
    page = client.get(url(Grant, "add"))
    data = form_data(
        page, project=project.pk, round=round_.pk, recipient=project.lead_organisation_id, title="Reclaiming Social Work",
        amount_awarded="4200000.00", award_date="2014-10-01", planned_start="2014-10-01", planned_end="2016-03-31",
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
            page, grant=grant.pk, recipient=grant.recipient_id, financial_year="2015-16", resource=resource, capital="0.00"
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
        data = form_data(page, recipient=allocation.recipient_id, financial_year=str(allocation.financial_year),
                         resource="499.99", capital="0.00")

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
            page, project=grant.project_id, round=grant.round_id, recipient=grant.recipient_id, title=grant.title,
            amount_awarded="599.99", award_date="2014-10-01", planned_start="2014-10-01", planned_end="2016-03-31",
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
        url(SpendReturn, "changelist"), {"action": "mark_reviewed", "_selected_action": [waiting.pk, done.pk]}, follow=True
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
            "Final_report.pdf", "application/pdf", 15, superuser
        )
        assert client.get(url(EvaluationReport, "change", report.pk)).status_code == 200


def test_the_admin_refuses_people_who_are_not_staff(client, db):
    client.logout()
    client.force_login(f.UserFactory(role=Role.OFFICER))
    response = client.get(url(Grant, "changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


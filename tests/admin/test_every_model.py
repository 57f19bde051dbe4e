"""The admin: every page opens, lists do not run a query per row, nothing that carries
money or a decision can be deleted, records are read and never edited, and status history
is read on its parent. What an edit does is tests/admin/test_edits.py.

The model lists come from ``admin.site._registry`` so a newly registered model is
tested without anyone remembering to add it here.
"""

import datetime as dt

import factory
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import EnrolmentLink, Role, SecurityEvent, User
from api.models import ApiToken
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
from grants.models import (
    Allocation,
    AllocationBalance,
    Grant,
    GrantStatusChange,
    Organisation,
    Payment,
    Programme,
    Round,
    Source,
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
from tests.admin.conftest import as_request, ids, url

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


class ApiTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiToken

    user = factory.SubFactory(f.UserFactory)
    name = "Finance ledger feed"
    prefix = factory.Sequence(lambda n: f"mig_{n:08d}")
    key_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))


FACTORIES = {
    ApiToken: ApiTokenFactory,
    DownloadRecord: DownloadRecordFactory,
    Group: GroupFactory,
    User: f.UserFactory,
    Organisation: f.OrganisationFactory,
    Source: f.SourceFactory,
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
# An API token's key is shown once, to its owner, at /account/api-tokens/: the admin only reads and revokes.
NO_ADD |= {ApiToken}

UNDELETABLE = [
    Grant,
    Allocation,
    Payment,
    SpendReturn,
    Milestone,
    MilestoneSubmission,
    MilestoneReview,
    EvidenceFile,
    OutcomeResult,
    EvidenceRating,
    Organisation,
    Project,
    Programme,
    Round,
    Source,
    # Records that stay: who downloaded what, who signed in, failed to and was locked out.
    DownloadRecord,
    AccessAttempt,
    AccessLog,
    AccessFailureLog,
    SecurityEvent,
    EnrolmentLink,
]
RECORDS = [DownloadRecord, AccessAttempt, AccessLog, AccessFailureLog, SecurityEvent, EnrolmentLink]

STATUS_HISTORY = {
    GrantStatusChange: Grant,
    ProjectStatusChange: Project,
    MilestoneStatusChange: Milestone,
    EvaluationStatusChange: Evaluation,
    # Made and decided in the service; kept by the money services: read on the parent only.
    Variation: Grant,
    AllocationBalance: Allocation,
}


def test_every_model_has_an_admin_or_is_history_shown_on_its_parent(superuser):
    models = {
        model
        for label in ("accounts", "grants", "projects", "evaluations")
        for model in apps.get_app_config(label).get_models()
    }
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


def test_the_admin_refuses_people_who_are_not_staff(client, db):
    client.logout()
    client.force_login(f.UserFactory(role=Role.OFFICER))
    response = client.get(url(Grant, "changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))

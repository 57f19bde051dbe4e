"""Personas and a small programme for the view and permission tests.

Two projects: Reclaiming Social Work (lead Morning Lane Associates, partners
Derbyshire and Harrow), and Kent's project, which none of the recipient
personas take part in. One evaluation of each, only the first assigned to
the evaluator.
"""

import contextlib
import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from accounts.models import Role, User
from evaluations.models import Evaluation, OutcomeArea, OutcomeMeasure, OutcomeResult
from grants import money
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Organisation, Programme, Round
from projects.models import Milestone, Project, ProjectPartner, Theme

PASSWORD = "a-long-test-password-1"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextlib.contextmanager
def demo_loaded(django_db_blocker, stdout=None):
    """The demo programme loaded for a group of tests that share it (a load takes seconds), rolled
    back afterwards; yields what load_demo printed."""
    out = stdout or io.StringIO()
    with django_db_blocker.unblock(), override_settings(DEVELOPMENT=True, PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic():
            call_command("load_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)


@pytest.fixture(scope="session", autouse=True)
def static_files_looked_up_when_asked_for():
    """WhiteNoise lists every collected static file (about 6,000 with their compressed copies) when a
    middleware chain is built, and the test client builds one for each test: half a second, more than
    most tests' own work. In the tests it looks a file up when one is asked for instead, as it does in
    development; a server started by a test (tests/deploy) keeps the production behaviour."""
    django_settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher is slow by design; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Pages and files worked out once for each change of the data are cached across requests
    (core/data_version.py, publish/files.py). A test's rolled-back data can leave the same stamp as
    another's, so each test starts with an empty cache."""
    cache.clear()
    yield
    cache.clear()


def _authority(code, name, gss, kind="CTY"):
    return Organisation.objects.create(
        name=name, short_name=name, kind="local_authority", org_id=f"GB-LAE-{code}", gss_code=gss, authority_type=kind
    )


def _user(username, role, organisation=None):
    user = User.objects.create_user(
        username,
        f"{username}@example.gov.uk",
        PASSWORD,
        role=role,
        organisation=organisation,
        first_name=username.title(),
        last_name="Tester",
    )
    return user


@pytest.fixture
def world(db):
    dfe = Organisation.objects.create(name="Department for Education", kind="government_department", org_id="GB-GOR-D6")
    morning_lane = Organisation.objects.create(name="Morning Lane Associates", kind="company", org_id="GB-COH-07000001")
    university = Organisation.objects.create(name="Example University", kind="university", org_id="GB-EDU-100001")
    derbyshire = _authority("DBY", "Derbyshire County Council", "E10000007")
    harrow = _authority("HRW", "London Borough of Harrow", "E09000015", "LBO")
    kent = _authority("KEN", "Kent County Council", "E10000016")
    surrey = _authority("SRY", "Surrey County Council", "E10000030")

    programme = Programme.objects.create(
        name="Children's Social Care Innovation Programme",
        code="cscip",
        funder=dfe,
        budget=Decimal("200000000"),
        start_date=dt.date(2014, 10, 1),
        end_date=dt.date(2020, 3, 31),
    )
    round_1 = Round.objects.create(
        programme=programme,
        number=1,
        name="Round 1",
        budget=Decimal("110000000"),
        start_date=dt.date(2014, 10, 1),
        end_date=dt.date(2016, 3, 31),
    )
    theme = Theme.objects.create(name="Reducing bureaucracy")

    project = Project.objects.create(
        programme=programme,
        reference="R1-01",
        title="Reclaiming Social Work",
        summary="Less time on bureaucracy.",
        lead_organisation=morning_lane,
        start_date=dt.date(2015, 1, 1),
        end_date=dt.date(2016, 12, 31),
        status=Project.Status.ACTIVE,
        rag=Project.Rag.AMBER,
        rag_reason="Recruitment is slow",
    )
    project.themes.add(theme)
    ProjectPartner.objects.create(project=project, organisation=derbyshire, role="partner_authority")
    ProjectPartner.objects.create(project=project, organisation=harrow, role="partner_authority")
    grant = Grant.objects.create(
        project=project,
        round=round_1,
        recipient=morning_lane,
        title="Reclaiming Social Work",
        amount_awarded=Decimal("1000000.00"),
        award_date=dt.date(2015, 1, 5),
        planned_start=dt.date(2015, 1, 1),
        planned_end=dt.date(2016, 12, 31),
    )
    year = FinancialYear(2015)
    allocations = {
        org.org_id: Allocation.objects.create(
            grant=grant, recipient=org, financial_year=year, resource=Decimal(amount), capital=Decimal("0")
        )
        for org, amount in ((morning_lane, "100000.00"), (derbyshire, "300000.00"), (harrow, "300000.00"))
    }
    derbyshire_milestone = Milestone.objects.create(
        project=project,
        organisation=derbyshire,
        title="Family breakdown unit running",
        due_date=dt.date(2015, 9, 30),
        payment_amount=Decimal("50000.00"),
        allocation=allocations["GB-LAE-DBY"],
    )
    harrow_milestone = Milestone.objects.create(
        project=project,
        organisation=harrow,
        title="Harrow unit recruited",
        due_date=dt.date(2015, 9, 30),
        payment_amount=Decimal("40000.00"),
        allocation=allocations["GB-LAE-HRW"],
    )

    other = Project.objects.create(
        programme=programme,
        reference="R1-02",
        title="Kent family hubs",
        summary="Family hubs in Kent.",
        lead_organisation=kent,
        start_date=dt.date(2015, 1, 1),
        end_date=dt.date(2016, 12, 31),
        status=Project.Status.ACTIVE,
    )
    other_grant = Grant.objects.create(
        project=other,
        round=round_1,
        recipient=kent,
        title="Kent family hubs",
        amount_awarded=Decimal("500000.00"),
        award_date=dt.date(2015, 1, 5),
        planned_start=dt.date(2015, 1, 1),
        planned_end=dt.date(2016, 12, 31),
    )
    other_allocation = Allocation.objects.create(
        grant=other_grant, recipient=kent, financial_year=year, resource=Decimal("250000.00"), capital=Decimal("0")
    )
    other_milestone = Milestone.objects.create(
        project=other,
        organisation=kent,
        title="Hubs open",
        due_date=dt.date(2015, 9, 30),
        payment_amount=Decimal("25000.00"),
        allocation=other_allocation,
    )

    area = OutcomeArea.objects.create(name="Social work practice")
    measure = OutcomeMeasure.objects.create(
        name="Social work time in direct work with families", outcome_area=area, unit="percent", direction="higher"
    )
    evaluation = Evaluation.objects.create(
        title="Evaluation of Reclaiming Social Work", evaluator_organisation=university, design="before_after"
    )
    evaluation.projects.add(project)
    other_evaluation = Evaluation.objects.create(
        title="Evaluation of Kent family hubs", evaluator_organisation=university, design="qualitative"
    )
    other_evaluation.projects.add(other)
    result = OutcomeResult.objects.create(
        evaluation=evaluation,
        measure=measure,
        baseline_value=Decimal("20"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
        target_value=Decimal("40"),
    )
    other_result = OutcomeResult.objects.create(
        evaluation=other_evaluation,
        measure=measure,
        baseline_value=Decimal("25"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
    )

    users = SimpleNamespace(
        officer=_user("officer", Role.OFFICER, dfe),
        finance=_user("finance", Role.FINANCE, dfe),
        viewer=_user("viewer", Role.VIEWER),
        admin=_user("admin", Role.ADMIN, dfe),
        morninglane=_user("morninglane", Role.RECIPIENT, morning_lane),
        derbyshire=_user("derbyshire", Role.RECIPIENT, derbyshire),
        harrow=_user("harrow", Role.RECIPIENT, harrow),
        kent=_user("kent", Role.RECIPIENT, kent),
        evaluator=_user("evaluator", Role.EVALUATOR, university),
        outsider=_user("outsider", Role.RECIPIENT, surrey),
    )
    evaluation.evaluators.add(users.evaluator)

    # The rows above were written directly, not through the money services, so each allocation's
    # balance (which pages and reports add up) is written here from its rows, as the services would.
    for allocation in (*allocations.values(), other_allocation):
        money.refresh_balance(allocation.pk)

    return SimpleNamespace(
        users=users,
        dfe=dfe,
        morning_lane=morning_lane,
        derbyshire=derbyshire,
        harrow=harrow,
        kent=kent,
        university=university,
        programme=programme,
        round=round_1,
        theme=theme,
        project=project,
        grant=grant,
        allocations=allocations,
        derbyshire_milestone=derbyshire_milestone,
        harrow_milestone=harrow_milestone,
        other_project=other,
        other_grant=other_grant,
        other_allocation=other_allocation,
        other_milestone=other_milestone,
        measure=measure,
        evaluation=evaluation,
        result=result,
        other_evaluation=other_evaluation,
        other_result=other_result,
    )

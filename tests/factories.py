"""factory_boy factories for every model, each valid by default.

Defaults are modest and consistent: a grant's recipient leads its project, its round
belongs to its project's programme, an allocation goes to the grant's recipient and
is far below the award, a recipient user belongs to an organisation. Money is
Decimal. Factories write rows directly; the rules that span rows (allocations within
the award, payments within allocations) are checked by grants.services, so tests of
those rules should go through the services. The services keep each allocation's
balance in step with its rows; so that the pages and reports a test reads (which add
up balances) agree with the rows a factory wrote, the factories of rows that move a
balance (allocation, payment, spend return, milestone) rewrite that balance after
they write, as the services would.
"""

import datetime as dt
from decimal import Decimal
from functools import cache

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from accounts.models import Role, User
from evaluations.models import (
    Evaluation,
    EvaluationReport,
    EvidenceRating,
    OutcomeArea,
    OutcomeMeasure,
    OutcomeResult,
)
from grants import money
from grants.financial_year import FinancialYear
from grants.models import (
    Allocation,
    Grant,
    Organisation,
    Payment,
    Programme,
    RecoveryReason,
    Round,
    Source,
    SpendReturn,
)
from projects.models import (
    EvidenceFile,
    Milestone,
    MilestoneReview,
    MilestoneSubmission,
    Project,
    ProjectPartner,
    Theme,
)

PASSWORD = "a-long-test-password-1"


@cache
def _password_hash():
    # Hashing is deliberately slow; every factory user shares one hash.
    return make_password(PASSWORD)


def _refresh_balance(allocation_id):
    """A post-generation hook's body: the allocation's balance rewritten from its rows."""
    if allocation_id is not None:
        money.refresh_balance(allocation_id)


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Children's Social Care Innovation Programme: report {n}")
    publisher = "Department for Education"
    published_on = dt.date(2017, 7, 1)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Example Company {n} Ltd")
    kind = Organisation.Kind.COMPANY
    org_id = factory.Sequence(lambda n: f"GB-COH-{n:08d}")


class LocalAuthorityFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Exampleshire {n} County Council")
    short_name = factory.Sequence(lambda n: f"Exampleshire {n}")
    kind = Organisation.Kind.LOCAL_AUTHORITY
    # The E99 prefix is not used by ONS, so these never clash with the real authorities.
    org_id = factory.Sequence(lambda n: f"GB-LAE-X{n:04d}")
    gss_code = factory.Sequence(lambda n: f"E99{n:06d}")
    authority_type = Organisation.AuthorityType.COUNTY
    dfe_la_number = factory.Sequence(lambda n: 100 + n % 900)


class DepartmentFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Department for Examples {n}")
    kind = Organisation.Kind.GOVERNMENT_DEPARTMENT
    org_id = factory.Sequence(lambda n: f"GB-GOR-X{n}")


class UserFactory(DjangoModelFactory):
    """A user with a role; a recipient gets an organisation unless one is given."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.gov.uk")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Tester{n}")
    password = factory.LazyFunction(_password_hash)
    role = Role.VIEWER
    organisation = factory.Maybe(
        factory.LazyAttribute(lambda user: user.role == Role.RECIPIENT),
        yes_declaration=factory.SubFactory(OrganisationFactory),
        no_declaration=None,
    )


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Innovation Programme {n}")
    code = factory.Sequence(lambda n: f"programme-{n}")
    funder = factory.SubFactory(DepartmentFactory)
    budget = Decimal("200000000.00")
    start_date = dt.date(2014, 4, 1)
    end_date = dt.date(2020, 3, 31)


class RoundFactory(DjangoModelFactory):
    class Meta:
        model = Round

    programme = factory.SubFactory(ProgrammeFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda round: f"Round {round.number}")
    budget = Decimal("110000000.00")
    start_date = factory.SelfAttribute("programme.start_date")
    end_date = factory.SelfAttribute("programme.end_date")


class ThemeFactory(DjangoModelFactory):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"Theme {n}")


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    programme = factory.SubFactory(ProgrammeFactory)
    reference = factory.Sequence(lambda n: f"P-{n:04d}")
    title = factory.Sequence(lambda n: f"Project {n}")
    summary = "Rethinking how social workers spend their time."
    lead_organisation = factory.SubFactory(OrganisationFactory)
    start_date = dt.date(2014, 10, 1)
    end_date = dt.date(2016, 3, 31)


class ProjectPartnerFactory(DjangoModelFactory):
    class Meta:
        model = ProjectPartner

    project = factory.SubFactory(ProjectFactory)
    organisation = factory.SubFactory(LocalAuthorityFactory)
    role = ProjectPartner.Role.PARTNER_AUTHORITY


class GrantFactory(DjangoModelFactory):
    class Meta:
        model = Grant

    project = factory.SubFactory(ProjectFactory)
    round = factory.SubFactory(RoundFactory, programme=factory.SelfAttribute("..project.programme"))
    recipient = factory.SelfAttribute("project.lead_organisation")
    title = factory.SelfAttribute("project.title")
    amount_awarded = Decimal("1000000.00")
    award_date = dt.date(2014, 10, 1)
    planned_start = factory.SelfAttribute("project.start_date")
    planned_end = factory.SelfAttribute("project.end_date")


class AllocationFactory(DjangoModelFactory):
    """£100,000 of resource; each new allocation takes the next financial year (2014-15 to
    2033-34, all offered by the forms), so a batch for one grant and recipient does not
    break the one-per-year rule."""

    class Meta:
        model = Allocation
        skip_postgeneration_save = True

    grant = factory.SubFactory(GrantFactory)
    recipient = factory.SelfAttribute("grant.recipient")
    financial_year = factory.Sequence(lambda n: FinancialYear(2014 + n % 20))
    resource = Decimal("100000.00")
    capital = Decimal("0.00")

    @factory.post_generation
    def refresh_balance(allocation, create, extracted, **kwargs):
        if create:
            _refresh_balance(allocation.pk)


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = Payment
        skip_postgeneration_save = True

    allocation = factory.SubFactory(AllocationFactory)
    kind = Payment.Kind.PAYMENT
    amount = Decimal("10000.00")
    paid_on = dt.date(2015, 6, 30)
    # A recovery must say why (a database constraint); an underspend returned is the common case.
    recovery_reason = factory.Maybe(
        factory.LazyAttribute(lambda payment: payment.kind == Payment.Kind.RECOVERY),
        yes_declaration=RecoveryReason.UNDERSPEND,
        no_declaration="",
    )
    recorded_by = factory.SubFactory(UserFactory, role=Role.FINANCE)

    @factory.post_generation
    def refresh_balance(payment, create, extracted, **kwargs):
        if create:
            _refresh_balance(payment.allocation_id)


class SpendReturnFactory(DjangoModelFactory):
    class Meta:
        model = SpendReturn
        skip_postgeneration_save = True

    allocation = factory.SubFactory(AllocationFactory)
    quarter = factory.Sequence(lambda n: n % 4 + 1)
    spent = Decimal("20000.00")
    forecast = Decimal("60000.00")
    submitted_by = factory.SubFactory(
        UserFactory, role=Role.RECIPIENT, organisation=factory.SelfAttribute("..allocation.recipient")
    )

    @factory.post_generation
    def refresh_balance(spend_return, create, extracted, **kwargs):
        if create:
            _refresh_balance(spend_return.allocation_id)


class MilestoneFactory(DjangoModelFactory):
    """Delivered by the project's lead; releases no payment unless given one and an allocation."""

    class Meta:
        model = Milestone
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    organisation = factory.SelfAttribute("project.lead_organisation")
    title = factory.Sequence(lambda n: f"Milestone {n}")
    due_date = dt.date(2015, 3, 31)

    @factory.post_generation
    def refresh_balance(milestone, create, extracted, **kwargs):
        # A milestone with a payment commits it from its allocation.
        if create:
            _refresh_balance(milestone.allocation_id)


class MilestoneSubmissionFactory(DjangoModelFactory):
    class Meta:
        model = MilestoneSubmission

    milestone = factory.SubFactory(MilestoneFactory, status=Milestone.Status.SUBMITTED)
    narrative = "The family breakdown units are staffed and running."
    submitted_by = factory.SubFactory(
        UserFactory, role=Role.RECIPIENT, organisation=factory.SelfAttribute("..milestone.organisation")
    )


class EvidenceFileFactory(DjangoModelFactory):
    """A row only: no file is written to storage."""

    class Meta:
        model = EvidenceFile

    submission = factory.SubFactory(MilestoneSubmissionFactory)
    file = factory.Sequence(lambda n: f"evidence/{n:032x}.pdf")
    original_name = "evidence.pdf"
    content_type = "application/pdf"
    size_bytes = 1024
    sha256 = "0" * 64


class MilestoneReviewFactory(DjangoModelFactory):
    class Meta:
        model = MilestoneReview

    # The milestone ends up where the decision leaves it: accepted or returned.
    submission = factory.SubFactory(MilestoneSubmissionFactory, milestone__status=factory.SelfAttribute("...decision"))
    decision = MilestoneReview.Decision.ACCEPTED
    reviewed_by = factory.SubFactory(UserFactory, role=Role.OFFICER)


class OutcomeAreaFactory(DjangoModelFactory):
    class Meta:
        model = OutcomeArea

    name = factory.Sequence(lambda n: f"Outcome area {n}")


class OutcomeMeasureFactory(DjangoModelFactory):
    class Meta:
        model = OutcomeMeasure

    name = factory.Sequence(lambda n: f"Children on child protection plans per 10,000 ({n})")
    outcome_area = factory.SubFactory(OutcomeAreaFactory)
    unit = OutcomeMeasure.Unit.PER_10000
    direction = OutcomeMeasure.Direction.LOWER_IS_BETTER


class EvaluationFactory(DjangoModelFactory):
    """Evaluates one new project unless ``projects=[...]`` is given; ``evaluators=[...]`` assigns people."""

    class Meta:
        model = Evaluation
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Evaluation {n}")
    evaluator_organisation = factory.SubFactory(
        OrganisationFactory, kind=Organisation.Kind.UNIVERSITY, name=factory.Sequence(lambda n: f"University {n}")
    )
    design = Evaluation.Design.MIXED

    @factory.post_generation
    def projects(evaluation, create, extracted, **kwargs):
        if create:
            evaluation.projects.set(extracted if extracted is not None else [ProjectFactory()])

    @factory.post_generation
    def evaluators(evaluation, create, extracted, **kwargs):
        if create and extracted:
            evaluation.evaluators.set(extracted)


class EvaluationReportFactory(DjangoModelFactory):
    """A published report with a public address and no uploaded file."""

    class Meta:
        model = EvaluationReport

    evaluation = factory.SubFactory(EvaluationFactory)
    title = factory.Sequence(lambda n: f"Evaluation report {n}")
    kind = EvaluationReport.Kind.FINAL
    published_on = dt.date(2017, 7, 1)
    url = "https://www.gov.uk/government/publications/example-evaluation"


class OutcomeResultFactory(DjangoModelFactory):
    """An overall result (no authority) with a baseline only."""

    class Meta:
        model = OutcomeResult

    evaluation = factory.SubFactory(EvaluationFactory)
    measure = factory.SubFactory(OutcomeMeasureFactory)
    baseline_value = Decimal("45.0000")
    baseline_period_start = dt.date(2013, 4, 1)
    baseline_period_end = dt.date(2014, 3, 31)


class EvidenceRatingFactory(DjangoModelFactory):
    class Meta:
        model = EvidenceRating

    evaluation = factory.SubFactory(EvaluationFactory)
    scale = EvidenceRating.Scale.MARYLAND
    value = "3"
    rationale = "Before and after, with a matched comparison group of authorities."

"""What the API returns for each object: the output schemas of every read and write operation.

Money is a decimal string with two places ("1234.50"), never a float: a float cannot hold every
penny, and a client that adds floats gets a total the reconciliation would not.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import ObjectDoesNotExist
from ninja import Schema
from pydantic import Field, PlainSerializer, WithJsonSchema

from evaluations.models import Evaluation, EvaluationReport, EvidenceRating, OutcomeResult
from grants import money
from grants.models import Grant, Organisation, Payment, RecoveryReason, SpendReturn
from projects.models import Milestone, MilestoneReview, Project, ProjectPartner


def _two_places(value: Decimal) -> str:
    return str(money.to_penny(value))


def _plain(value: Decimal) -> str:
    # normalize() drops the stored trailing zeros ("20.0000" -> "20"); the "f" format keeps it out of
    # exponent form ("2E+1").
    return f"{value.normalize():f}"


Money = Annotated[
    Decimal,
    PlainSerializer(_two_places, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?\d+\.\d{2}$",
            "description": "Pounds sterling: a decimal string with two places.",
            "examples": ["1234.50"],
        }
    ),
]

# An outcome figure (a rate, a percentage, an effect size): exact, so a decimal string too, without the
# stored trailing zeros.
Figure = Annotated[
    Decimal,
    PlainSerializer(_plain, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["12.5"]}),
]


def choice(choices) -> type:
    """The values of a model's TextChoices, as a Literal: the OpenAPI description lists them as an enum."""
    return Literal[tuple(choices.values)]


# --- Set-up -----------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    name: str
    short_name: str
    kind: choice(Organisation.Kind)
    org_id: str = Field(description="Its identifier in org-id form, as 360Giving uses: GB-LAE-DBY.")
    gss_code: str = Field(description="A local authority's ONS GSS code; empty for others.")
    authority_type: str
    dfe_la_number: int | None
    valid_from: date | None
    valid_to: date | None = Field(description="The last day the organisation existed; null while it exists.")
    replaced_by: list[int] = Field(description="The ids of the organisations that succeeded it.")
    website: str

    @staticmethod
    def resolve_replaced_by(obj):
        return [successor.pk for successor in obj.replaced_by.all()]


class ProgrammeOut(Schema):
    id: int
    name: str
    code: str
    funder_id: int
    description: str
    budget: Money
    budget_is_illustrative: bool
    ggis_scheme_reference: str
    start_date: date
    end_date: date


class RoundOut(Schema):
    id: int
    programme_id: int
    number: int
    name: str
    description: str
    budget: Money
    budget_is_illustrative: bool
    start_date: date
    end_date: date


# --- Money ------------------------------------------------------------------------------


class IllustrativeMarks(Schema):
    """Which figures have an invented demonstration row behind them (grants.money.illustrative_marks): the
    pages mark these figures "illustrative"."""

    allocated: bool
    paid: bool
    recovered: bool
    net_paid: bool
    committed: bool
    held: bool
    headroom: bool
    spent: bool
    forecast: bool
    variance: bool
    underspend: bool
    overspend: bool


class MoneyOut(Schema):
    """The money terms, each defined once (grants.money; the glossary at /help/money/)."""

    allocated: Money
    paid: Money = Field(description="Payments made, before recoveries.")
    recovered: Money
    net_paid: Money = Field(description="Paid less recovered.")
    committed: Money = Field(description="Milestone payments planned or accepted, not yet paid.")
    held: Money = Field(description="Recovered money not yet made payable again by a variation.")
    headroom: Money = Field(description="Allocated less net paid, committed and held.")
    spent: Money
    forecast: Money = Field(description="The forecast in each allocation's latest spend return.")
    variance: Money = Field(description="Allocated less spent less forecast.")
    has_spend_returns: bool = Field(
        description="Whether any spend return is in: until one is, there is no forecast, and neither "
        "underspend nor overspend is flagged."
    )
    underspend: bool
    overspend: bool
    illustrative: IllustrativeMarks


def money_out(figures: money.Figures, *, has_returns: bool, marks: dict[str, bool]) -> dict:
    """The MoneyOut of some figures: an allocation's, or the sum of a grant's allocations'."""
    return {
        "allocated": figures.allocated,
        "paid": figures.paid,
        "recovered": figures.recovered,
        "net_paid": figures.net_paid,
        "committed": figures.committed,
        "held": figures.held,
        "headroom": figures.headroom,
        "spent": figures.spent,
        "forecast": figures.forecast,
        "variance": figures.variance,
        "has_spend_returns": has_returns,
        # As the allocation and grant pages flag them (grants.views.flag): not before the first return.
        "underspend": has_returns and figures.underspend,
        "overspend": has_returns and figures.overspend,
        "illustrative": marks,
    }


# --- Projects and grants ----------------------------------------------------------------


class PartnerOut(Schema):
    organisation_id: int
    role: choice(ProjectPartner.Role)
    joined_on: date | None


class ProjectOut(Schema):
    id: int
    reference: str
    title: str
    summary: str
    programme_id: int
    lead_organisation_id: int
    partners: list[PartnerOut]
    themes: list[str]
    start_date: date
    end_date: date
    status: choice(Project.Status)
    rag: str = Field(description="RAG rating: red, amber or green; empty when not rated.")
    rag_reason: str
    awarded: Money = Field(description="The sum of the project's grants' awards.")
    awarded_illustrative: bool

    @staticmethod
    def resolve_partners(obj):
        return list(obj.partnerships.all())

    @staticmethod
    def resolve_themes(obj):
        return [theme.name for theme in obj.themes.all()]

    @staticmethod
    def resolve_awarded(obj):
        return obj.awarded_total


class GrantOut(Schema):
    id: int
    threesixtygiving_id: str = Field(description="Its stable 360Giving identifier.")
    project_id: int
    round_id: int
    recipient_id: int = Field(description="The lead organisation.")
    title: str
    description: str
    amount_awarded: Money = Field(description="The award as it stands, after approved variations.")
    original_amount: Money = Field(description="The award as first made.")
    award_date: date
    planned_start: date
    planned_end: date
    status: choice(Grant.Status)
    ggis_award_reference: str
    illustrative: bool = Field(description="The amount awarded is invented for the demonstration.")
    dates_are_illustrative: bool
    money: MoneyOut | None = Field(
        description="The sums of all the grant's allocations, for those who see all its money (the funder's "
        "staff, viewers and the project's lead); null for a partner, whose own allocations are at /allocations."
    )

    @staticmethod
    def resolve_original_amount(obj):
        return obj.original_award

    @staticmethod
    def resolve_money(obj):
        if not obj.sees_all_money:
            return None
        figures = money.figures_from({name: getattr(obj, name) for name in money.balance_sums()})
        marks = money.illustrative_marks(
            allocated=obj.invented_allocated > 0,
            paid=obj.invented_paid > 0,
            committed=obj.invented_committed > 0,
            spent=obj.invented_spent > 0,
            forecast=obj.invented_forecast,
        )
        return money_out(figures, has_returns=obj.has_returns, marks=marks)


class AllocationOut(Schema):
    id: int
    grant_id: int
    recipient_id: int
    financial_year: str = Field(description='The UK government financial year it is for, "2016-17".')
    resource: Money
    capital: Money
    purpose: str
    illustrative: bool
    money: MoneyOut

    @staticmethod
    def resolve_financial_year(obj):
        return str(obj.financial_year)

    @staticmethod
    def resolve_money(obj):
        balance = getattr(obj, "balance", None)
        marks = money.illustrative_marks(
            allocated=obj.illustrative,
            paid=bool(balance and balance.invented_paid),
            committed=bool(balance and balance.invented_committed),
            spent=bool(balance and balance.invented_spent),
            forecast=obj.invented_forecast,
        )
        return money_out(money.allocation_figures(obj), has_returns=obj.has_returns, marks=marks)


class PaymentOut(Schema):
    """A payment or a recovery (``kind``): the amount is always positive; a recovery reduces the net paid."""

    id: int
    kind: choice(Payment.Kind)
    allocation_id: int
    amount: Money
    paid_on: date
    milestone_id: int | None = Field(description="The milestone whose acceptance released the payment.")
    in_advance: bool
    advance_reason: str
    recovery_reason: Literal[("", *RecoveryReason.values)] = Field(
        description="A recovery's reason; empty for a payment."
    )
    reference: str = Field(description="Remittance or ledger reference.")
    note: str
    recorded_at: datetime
    illustrative: bool


class SpendReturnOut(Schema):
    id: int
    allocation_id: int
    financial_year: str = Field(description="The allocation's financial year.")
    quarter: int = Field(ge=1, le=4, description="1 = April to June … 4 = January to March.")
    spent: Money = Field(description="Spent in this quarter.")
    forecast: Money = Field(description="Forecast to spend in the rest of the financial year.")
    comment: str
    status: choice(SpendReturn.Status)
    submitted_at: datetime
    reviewed_at: datetime | None
    illustrative: bool

    @staticmethod
    def resolve_financial_year(obj):
        return str(obj.allocation.financial_year)


# --- Milestones -------------------------------------------------------------------------


class EvidenceFileOut(Schema):
    """An evidence file's name and size; its content is served only by the pages' checked download view."""

    id: int
    name: str = Field(validation_alias="original_name", description="The name it was uploaded with.")
    content_type: str
    size_bytes: int
    uploaded_at: datetime


class MilestoneReviewOut(Schema):
    decision: choice(MilestoneReview.Decision)
    reason: str
    reviewed_at: datetime


class MilestoneSubmissionOut(Schema):
    id: int
    milestone_id: int
    narrative: str
    submitted_at: datetime
    evidence_files: list[EvidenceFileOut]
    review: MilestoneReviewOut | None = Field(description="Its review; null while it waits for one.")

    @staticmethod
    def resolve_evidence_files(obj):
        return list(obj.evidence_files.all())

    @staticmethod
    def resolve_review(obj):
        try:
            return obj.review
        except ObjectDoesNotExist:
            return None


class MilestoneOut(Schema):
    id: int
    project_id: int
    organisation_id: int = Field(description="Who must deliver it.")
    title: str
    description: str
    due_date: date
    status: choice(Milestone.Status)
    overdue: bool = Field(description="Planned or returned, and past its due date: worked out, never stored.")
    payment_amount: Money | None = Field(description="The payment its acceptance releases, if any.")
    allocation_id: int | None = Field(description="The allocation the payment is drawn from.")
    illustrative: bool
    submissions: list[MilestoneSubmissionOut]

    @staticmethod
    def resolve_overdue(obj):
        return obj.is_overdue()

    @staticmethod
    def resolve_submissions(obj):
        return list(obj.submissions.all())


# --- Evaluations ------------------------------------------------------------------------


class EvidenceRatingOut(Schema):
    scale: choice(EvidenceRating.Scale)
    value: str
    rationale: str
    rated_at: datetime


class EvaluationReportOut(Schema):
    id: int
    title: str
    kind: choice(EvaluationReport.Kind)
    published_on: date | None
    url: str = Field(description="Its public address, if it has one.")
    file_name: str = Field(validation_alias="original_name", description="The uploaded file's name, if any.")
    size_bytes: int | None


class EvaluationOut(Schema):
    id: int
    title: str
    project_ids: list[int] = Field(description="The projects it evaluates that the token's owner may see.")
    evaluator_organisation_id: int
    design: choice(Evaluation.Design)
    status: choice(Evaluation.Status)
    summary: str
    start_date: date | None
    end_date: date | None
    ratings: list[EvidenceRatingOut]
    reports: list[EvaluationReportOut]

    @staticmethod
    def resolve_project_ids(obj):
        return [project.pk for project in obj.visible_projects]

    @staticmethod
    def resolve_ratings(obj):
        return list(obj.ratings.all())

    @staticmethod
    def resolve_reports(obj):
        return list(obj.reports.all())


class OutcomeResultOut(Schema):
    id: int
    evaluation_id: int
    measure_id: int
    measure: str
    direction: str = Field(description="Whether lower or higher is better, from the measure.")
    unit: str
    authority_id: int | None = Field(description="The local authority the figures are for; null for all.")
    comparison_group: str
    baseline_value: Figure
    baseline_period_start: date
    baseline_period_end: date
    target_value: Figure | None
    followup_value: Figure | None
    followup_period_start: date | None
    followup_period_end: date | None
    comparison_value: Figure | None
    change: Figure | None = Field(description="Follow-up less baseline, in the measure's unit.")
    judgement: str = Field(description="Improved, worsened or unchanged by the measure's direction.")
    effect_size: Figure | None
    ci_lower: Figure | None
    ci_upper: Figure | None
    p_value: Figure | None
    significance: choice(OutcomeResult.Significance)
    source_report_id: int | None
    source_location: str
    illustrative: bool

    @staticmethod
    def resolve_measure(obj):
        return obj.measure.name

    @staticmethod
    def resolve_direction(obj):
        return obj.measure.direction

    @staticmethod
    def resolve_unit(obj):
        # Empty means the measure's own unit (OutcomeResult.unit).
        return obj.unit or obj.measure.unit

    @staticmethod
    def resolve_change(obj):
        return obj.change

    @staticmethod
    def resolve_judgement(obj):
        return obj.judgement

"""What the API reads: each list and object through the same scoped querysets and filters as the pages.

Every operation starts from the model's ``for_user(request.user)`` (request.user is the token's owner), so an
object outside the owner's scope is not found (404), exactly as on the pages. Lists are cursor-paged on the
id; each list's queryset reads its related rows with joins and prefetches, so its queries do not grow with
its rows.
"""

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, Value
from django.http import Http404
from ninja import Query, Router
from ninja.pagination import paginate

from api import filters
from api.auth import read_token
from api.paging import CursorPagination
from api.schemas import (
    AllocationOut,
    EvaluationOut,
    GrantOut,
    MilestoneOut,
    OrganisationOut,
    OutcomeResultOut,
    PaymentOut,
    ProgrammeOut,
    ProjectOut,
    RoundOut,
    SpendReturnOut,
)
from evaluations.filters import ImpactFilter
from evaluations.models import Evaluation, OutcomeResult
from grants import money
from grants.filters import OrganisationFilter
from grants.models import Allocation, Grant, Organisation, Payment, Programme, Round, SpendReturn
from projects.filters import ProjectFilter
from projects.models import Milestone, MilestoneSubmission, Project, ProjectPartner

router = Router(auth=read_token)


def _one(queryset, pk: int):
    """The object ``pk`` of a scoped queryset: not found (404) when it is outside the scope or does not exist,
    the two never told apart."""
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise Http404 from None


# --- Scopes of the set-up records --------------------------------------------------------
#
# Programmes, rounds and organisations have no for_user of their own: the set-up pages that list them are the
# funder's staff's and viewers' (PROGRAMME_READERS). A recipient or an evaluator meets them only on the pages
# of what it may see (a project names its programme and its organisations, a grant its round, an evaluation
# its evaluator), so that is all the API shows them. The rules live here because only the API lists these
# records to people outside the funder.


def programmes_for(user):
    if user.is_authenticated and user.sees_whole_programme:
        return Programme.objects.all()
    return Programme.objects.filter(pk__in=Project.objects.for_user(user).values("programme"))


def rounds_for(user):
    if user.is_authenticated and user.sees_whole_programme:
        return Round.objects.all()
    return Round.objects.filter(pk__in=Grant.objects.for_user(user).values("round"))


def organisations_for(user):
    if user.is_authenticated and user.sees_whole_programme:
        return Organisation.objects.all()
    if not user.is_authenticated:
        return Organisation.objects.none()
    projects = Project.objects.for_user(user)
    named = (
        Q(pk=user.organisation_id)
        | Q(pk__in=projects.values("lead_organisation"))
        | Q(pk__in=ProjectPartner.objects.filter(project__in=projects).values("organisation"))
        | Q(pk__in=Grant.objects.for_user(user).values("recipient"))
        | Q(pk__in=Allocation.objects.for_user(user).values("recipient"))
        | Q(pk__in=Evaluation.objects.for_user(user).values("evaluator_organisation"))
        | Q(pk__in=OutcomeResult.objects.for_user(user).filter(authority__isnull=False).values("authority"))
    )
    return Organisation.objects.filter(named)


# --- Querysets with what their schema reads ---------------------------------------------


def _organisations(user):
    return organisations_for(user).prefetch_related(Prefetch("replaced_by", queryset=Organisation.objects.only("pk")))


def _projects(user):
    return (
        Project.objects.for_user(user)
        .with_awarded()
        .prefetch_related(Prefetch("partnerships", queryset=ProjectPartner.objects.order_by("pk")), "themes")
    )


def _latest_return_invented(returns):
    """Whether one of ``returns``' allocations' latest return (the one whose forecast counts) is invented."""
    return Exists(money.latest_returns(returns).filter(illustrative=True))


def _sees_all_money(user):
    """Whether ``user`` sees all the money of the grant in the row, as on the grant page: the funder's staff and
    viewers do, and the project's lead; a partner sees only its own allocations."""
    if user.sees_whole_programme:
        return Value(True)
    if user.is_recipient:
        return ExpressionWrapper(Q(project__lead_organisation=user.organisation_id), output_field=BooleanField())
    return Value(False)


def _grants(user):
    """Grants with the sums of all their allocations' figures (grants.money.balance_sums, summed in SQL) and
    which of them have invented rows behind them."""
    prefix = "allocations__"
    returns = SpendReturn.objects.filter(allocation__grant=OuterRef("pk"))
    return Grant.objects.for_user(user).annotate(
        **money.balance_sums(prefix),
        **{name: count(prefix) for name, count in money.INVENTED_COUNTS.items()},
        original_award=money.original_award_expression(),
        has_returns=Exists(returns),
        invented_forecast=_latest_return_invented(returns),
        sees_all_money=_sees_all_money(user),
    )


def _allocations(user):
    returns = SpendReturn.objects.filter(allocation=OuterRef("pk"))
    return (
        Allocation.objects.for_user(user)
        .select_related("balance")
        .annotate(has_returns=Exists(returns), invented_forecast=_latest_return_invented(returns))
    )


def _milestones(user):
    submissions = MilestoneSubmission.objects.select_related("review").prefetch_related("evidence_files")
    return Milestone.objects.for_user(user).prefetch_related(Prefetch("submissions", queryset=submissions))


def _evaluations(user):
    return Evaluation.objects.for_user(user).prefetch_related(
        Prefetch("projects", queryset=Project.objects.for_user(user).only("pk"), to_attr="visible_projects"),
        "ratings",
        "reports",
    )


# --- Operations ---------------------------------------------------------------------------

RoundQuery = filters.query_schema(filters.RoundFilter, "RoundQuery")
OrganisationQuery = filters.query_schema(OrganisationFilter, "OrganisationQuery")
ProjectQuery = filters.query_schema(ProjectFilter, "ProjectQuery")
GrantQuery = filters.query_schema(filters.GrantFilter, "GrantQuery")
AllocationQuery = filters.query_schema(filters.AllocationFilter, "AllocationQuery")
MilestoneQuery = filters.query_schema(filters.MilestoneFilter, "MilestoneQuery")
PaymentQuery = filters.query_schema(filters.PaymentFilter, "PaymentQuery")
SpendReturnQuery = filters.query_schema(filters.SpendReturnFilter, "SpendReturnQuery")
EvaluationQuery = filters.query_schema(filters.EvaluationFilter, "EvaluationQuery")
OutcomeResultQuery = filters.query_schema(ImpactFilter, "OutcomeResultQuery")

# The query schemas above only document each list's filters: ``filters.apply`` reads them from request.GET
# through the FilterSet, so the operations take them as ``query`` and leave them be.


@router.get("/programmes", response=list[ProgrammeOut], tags=["Set-up"], summary="List programmes")
@paginate(CursorPagination)
def list_programmes(request):
    return filters.apply(filters.ProgrammeFilter, request, programmes_for(request.user))


@router.get("/programmes/{programme_id}", response=ProgrammeOut, tags=["Set-up"], summary="Get a programme")
def get_programme(request, programme_id: int):
    return _one(programmes_for(request.user), programme_id)


@router.get("/rounds", response=list[RoundOut], tags=["Set-up"], summary="List funding rounds")
@paginate(CursorPagination)
def list_rounds(request, query: Query[RoundQuery]):
    return filters.apply(filters.RoundFilter, request, rounds_for(request.user))


@router.get("/rounds/{round_id}", response=RoundOut, tags=["Set-up"], summary="Get a funding round")
def get_round(request, round_id: int):
    return _one(rounds_for(request.user), round_id)


@router.get("/organisations", response=list[OrganisationOut], tags=["Set-up"], summary="List organisations")
@paginate(CursorPagination)
def list_organisations(request, query: Query[OrganisationQuery]):
    return filters.apply(OrganisationFilter, request, _organisations(request.user))


@router.get(
    "/organisations/{organisation_id}", response=OrganisationOut, tags=["Set-up"], summary="Get an organisation"
)
def get_organisation(request, organisation_id: int):
    return _one(_organisations(request.user), organisation_id)


@router.get("/projects", response=list[ProjectOut], tags=["Projects"], summary="List projects")
@paginate(CursorPagination)
def list_projects(request, query: Query[ProjectQuery]):
    return filters.apply(ProjectFilter, request, _projects(request.user))


@router.get("/projects/{project_id}", response=ProjectOut, tags=["Projects"], summary="Get a project")
def get_project(request, project_id: int):
    return _one(_projects(request.user), project_id)


@router.get("/milestones", response=list[MilestoneOut], tags=["Projects"], summary="List milestones")
@paginate(CursorPagination)
def list_milestones(request, query: Query[MilestoneQuery]):
    return filters.apply(filters.MilestoneFilter, request, _milestones(request.user))


@router.get("/milestones/{milestone_id}", response=MilestoneOut, tags=["Projects"], summary="Get a milestone")
def get_milestone(request, milestone_id: int):
    return _one(_milestones(request.user), milestone_id)


@router.get("/grants", response=list[GrantOut], tags=["Money"], summary="List grants")
@paginate(CursorPagination)
def list_grants(request, query: Query[GrantQuery]):
    return filters.apply(filters.GrantFilter, request, _grants(request.user))


@router.get("/grants/{grant_id}", response=GrantOut, tags=["Money"], summary="Get a grant")
def get_grant(request, grant_id: int):
    return _one(_grants(request.user), grant_id)


@router.get("/allocations", response=list[AllocationOut], tags=["Money"], summary="List allocations")
@paginate(CursorPagination)
def list_allocations(request, query: Query[AllocationQuery]):
    return filters.apply(filters.AllocationFilter, request, _allocations(request.user))


@router.get("/allocations/{allocation_id}", response=AllocationOut, tags=["Money"], summary="Get an allocation")
def get_allocation(request, allocation_id: int):
    return _one(_allocations(request.user), allocation_id)


@router.get(
    "/payments", response=list[PaymentOut], tags=["Money"], summary="List payments and recoveries (kind says which)"
)
@paginate(CursorPagination)
def list_payments(request, query: Query[PaymentQuery]):
    return filters.apply(filters.PaymentFilter, request, Payment.objects.for_user(request.user))


@router.get("/payments/{payment_id}", response=PaymentOut, tags=["Money"], summary="Get a payment or a recovery")
def get_payment(request, payment_id: int):
    return _one(Payment.objects.for_user(request.user), payment_id)


@router.get("/spend-returns", response=list[SpendReturnOut], tags=["Money"], summary="List spend returns")
@paginate(CursorPagination)
def list_spend_returns(request, query: Query[SpendReturnQuery]):
    returns = SpendReturn.objects.for_user(request.user).select_related("allocation")
    return filters.apply(filters.SpendReturnFilter, request, returns)


@router.get("/spend-returns/{spend_return_id}", response=SpendReturnOut, tags=["Money"], summary="Get a spend return")
def get_spend_return(request, spend_return_id: int):
    return _one(SpendReturn.objects.for_user(request.user).select_related("allocation"), spend_return_id)


@router.get("/evaluations", response=list[EvaluationOut], tags=["Evaluations"], summary="List evaluations")
@paginate(CursorPagination)
def list_evaluations(request, query: Query[EvaluationQuery]):
    return filters.apply(filters.EvaluationFilter, request, _evaluations(request.user))


@router.get("/evaluations/{evaluation_id}", response=EvaluationOut, tags=["Evaluations"], summary="Get an evaluation")
def get_evaluation(request, evaluation_id: int):
    return _one(_evaluations(request.user), evaluation_id)


@router.get("/outcome-results", response=list[OutcomeResultOut], tags=["Evaluations"], summary="List outcome results")
@paginate(CursorPagination)
def list_outcome_results(request, query: Query[OutcomeResultQuery]):
    results = OutcomeResult.objects.for_user(request.user).select_related("measure")
    return filters.apply(ImpactFilter, request, results)


@router.get(
    "/outcome-results/{result_id}", response=OutcomeResultOut, tags=["Evaluations"], summary="Get an outcome result"
)
def get_outcome_result(request, result_id: int):
    return _one(OutcomeResult.objects.for_user(request.user).select_related("measure"), result_id)

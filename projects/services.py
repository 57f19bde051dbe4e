"""The milestone workflow: a recipient submits evidence, an officer accepts it or
returns it with a reason, and the recipient may submit again. Planning a milestone's payment
and closing a project keep the money rules of grants.services, under the same locks, in the
same order (grants, then allocations, then milestones)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When

from core.uploads import check_upload
from grants import money
from grants.financial_year import FinancialQuarter
from grants.models import Allocation, Grant, Payment, SpendReturn
from grants.services import ZERO, MoneyRuleError, describe_headroom, pounds, refuse_if_closed
from projects import notices
from projects.models import EvidenceFile, Milestone, MilestoneReview, MilestoneSubmission, Project, ProjectPartner

MAX_FILES_PER_SUBMISSION = 10


def submit_milestone(*, milestone: Milestone, by, narrative: str, files=()) -> MilestoneSubmission:
    """Record a submission with its evidence files and mark the milestone submitted.

    Every file is checked before anything is written, so one bad file leaves no trace.
    """
    if not (by.is_recipient and by.organisation_id == milestone.organisation_id):
        raise PermissionDenied("Only the organisation that delivers this milestone can submit evidence for it")
    narrative = (narrative or "").strip()
    if not narrative:
        raise ValidationError({"narrative": "Describe what was delivered"})
    files = list(files)
    if len(files) > MAX_FILES_PER_SUBMISSION:
        raise ValidationError({"files": f"Upload no more than {MAX_FILES_PER_SUBMISSION} files at once"})
    checked = []
    for upload in files:
        try:
            checked.append((upload, check_upload(upload)))
        except ValidationError as error:
            raise ValidationError({"files": error.messages}) from None
    stored = []
    try:
        with transaction.atomic():
            locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
            if locked.status not in (Milestone.Status.PLANNED, Milestone.Status.RETURNED):
                raise ValidationError(
                    f"This milestone is {locked.get_status_display().lower()} and cannot be submitted now"
                )
            submission = MilestoneSubmission.objects.create(milestone=locked, narrative=narrative, submitted_by=by)
            for upload, facts in checked:
                evidence = EvidenceFile(
                    submission=submission,
                    original_name=facts.name,
                    content_type=facts.content_type,
                    size_bytes=facts.size,
                    sha256=facts.sha256,
                )
                evidence.file.save(facts.name, upload, save=False)
                stored.append(evidence.file)
                evidence.save()
            locked.set_status(Milestone.Status.SUBMITTED, by=by)
            notices.milestone_submitted(submission)
    except BaseException:
        # The rows were rolled back; files already written would be left with no row
        # pointing at them, so they go too.
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise
    milestone.status = locked.status
    return submission


def review_milestone(*, milestone: Milestone, by, decision: str, reason: str = "") -> MilestoneReview:
    """Accept the latest submission, or return it with a reason."""
    if not by.is_officer:
        raise PermissionDenied("Only a programme officer can review a milestone")
    reason = (reason or "").strip()
    if decision not in MilestoneReview.Decision.values:
        raise ValidationError({"decision": "Choose whether to accept or return the submission"})
    if decision == MilestoneReview.Decision.RETURNED and not reason:
        raise ValidationError({"reason": "Say why the submission is returned"})
    with transaction.atomic():
        locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if locked.status != Milestone.Status.SUBMITTED:
            raise ValidationError("This milestone has no submission waiting for review")
        submission = locked.submissions.filter(review__isnull=True).order_by("-submitted_at", "-pk").first()
        if submission is None:
            raise ValidationError("This milestone has no submission waiting for review")
        review = MilestoneReview.objects.create(submission=submission, decision=decision, reason=reason, reviewed_by=by)
        locked.set_status(decision, by=by, reason=reason)
        notices.milestone_reviewed(review)
    milestone.status = locked.status
    return review


def save_milestone(*, milestone, by):
    """Plan a milestone, or change one. A payment it releases is committed from its allocation from
    now on, so it may not pass the allocation's headroom (its own earlier commitment aside)."""
    with transaction.atomic():
        old = None
        if milestone.pk is not None:
            old = Milestone.objects.values("allocation_id", "payment_amount").get(pk=milestone.pk)
        allocation_ids = sorted({i for i in (old and old["allocation_id"], milestone.allocation_id) if i})
        allocations = Allocation.objects.filter(pk__in=allocation_ids)
        grant_ids = sorted(set(allocations.values_list("grant_id", flat=True)))
        list(Grant.objects.select_for_update().filter(pk__in=grant_ids).order_by("pk").values_list("pk"))
        locked = {
            a.pk: a
            for a in Allocation.objects.select_for_update()
            .select_related("grant__project", "recipient")
            .filter(pk__in=allocation_ids)
            .order_by("pk")
        }
        if milestone.pk is not None:  # read again under the milestone's lock, taken last
            old = Milestone.objects.select_for_update().values("allocation_id", "payment_amount").get(pk=milestone.pk)
        if milestone.allocation_id and milestone.payment_amount is not None:
            allocation = locked[milestone.allocation_id]
            changed = old is None or (old["allocation_id"], old["payment_amount"]) != (
                milestone.allocation_id,
                milestone.payment_amount,
            )
            if changed:
                refuse_if_closed(allocation.grant, "milestone payment")
            figures = money.ledger_figures(allocation.pk)
            available = figures.headroom
            paid = (
                milestone.pk is not None
                and Payment.objects.filter(milestone_id=milestone.pk, kind=Payment.Kind.PAYMENT).exists()
            )
            if old and old["allocation_id"] == allocation.pk and old["payment_amount"] is not None and not paid:
                available += old["payment_amount"]
            if changed and milestone.payment_amount > available:
                raise MoneyRuleError(
                    {
                        "payment_amount": f"{describe_headroom(figures)}, so a milestone payment from it can be at most "
                        f"{pounds(max(available, ZERO))}. Plan a smaller payment, or ask for a "
                        "variation of the allocation first."
                    }
                )
        new = milestone.pk is None
        milestone.full_clean()
        milestone._history_user = by
        milestone.save()
        if new:
            milestone.record_initial_status(by=by)
        for allocation_id in allocation_ids:
            money.refresh_balance(allocation_id)
        return milestone


def closure_problems(project) -> list[str]:
    """What stops a project's money being settled: each a sentence an officer can act on."""
    problems = []
    allocations = Allocation.objects.filter(grant__project=project).select_related("recipient")
    committed = money.committed_milestones(Milestone.objects.filter(project=project))
    count = committed.count()
    figures = money.totals(allocations)
    if count:
        problems.append(
            f"{count} milestone payment{'s' if count != 1 else ''} of {pounds(figures.committed)} "
            "committed and not yet paid: pay them, or remove the payments from the milestones"
        )
    # Each allocation's last return is for Q4, or, in the year the project ends, for the quarter it ends in:
    # a return for a quarter that starts after the project's end cannot be made.
    last = FinancialQuarter.of(project.end_date)
    final_quarter = Case(
        When(financial_year=last.year, then=Value(last.number)), default=Value(4), output_field=IntegerField()
    )
    without_final = (
        allocations.filter(financial_year__lte=last.year)
        .annotate(final_quarter=final_quarter)
        .filter(~Exists(SpendReturn.objects.filter(allocation=OuterRef("pk"), quarter=OuterRef("final_quarter"))))
        .order_by("financial_year", "recipient__name")
    )
    for allocation in without_final:
        quarter = f"Q{allocation.final_quarter} of {allocation.financial_year}"
        problems.append(f"No spend return for {quarter} from {allocation.recipient}")
    if figures.net_paid > figures.spent:
        problems.append(
            f"Net paid {pounds(figures.net_paid)} is {pounds(figures.net_paid - figures.spent)} more than spent "
            f"{pounds(figures.spent)}: recover the difference first"
        )
    return problems


def close_project(*, project, by, reason: str = "", exception: str = "") -> None:
    """Close a project once its money is settled, or with a recorded exception that says why not."""
    exception = (exception or "").strip()
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        problems = closure_problems(locked)
        if problems and not exception:
            raise MoneyRuleError(
                [
                    "The project's money is not settled, so it cannot close:",
                    *problems,
                    "Settle these, or record an exception that says why the project closes anyway.",
                ]
            )
        why = (reason or "").strip()
        if problems:
            why = f"{why}\nClosed with an exception: {exception}\nUnsettled: " + "; ".join(problems)
        project.set_status(Project.Status.CLOSED, by=by, reason=why.strip())


def partner_removal_problems(partnership: ProjectPartner) -> list[str]:
    """Why a partner cannot leave a project: any share of its grants or milestones is on record, and the
    partnership is what lets the partner see them (DESIGN.md: what carries money is never deleted)."""
    project, organisation = partnership.project_id, partnership.organisation_id
    name = partnership.organisation.display_name
    problems = []
    if Grant.objects.filter(project=project, recipient=organisation).exists():
        problems.append(f"{name} receives one of the project's grants")
    allocations = Allocation.objects.filter(grant__project=project, recipient=organisation)
    if allocations.exists():
        problems.append(f"{name} has {allocations.count()} allocation(s) of the project's grants")
    milestones = Milestone.objects.filter(project=project, organisation=organisation)
    if milestones.exists():
        problems.append(f"{name} delivers {milestones.count()} of the project's milestones")
    return problems


def remove_partner(*, partnership: ProjectPartner, by) -> None:
    """Take a partner off a project that holds no grant, allocation or milestone of it. The history keeps
    the partnership, who removed it and when."""
    with transaction.atomic():
        # The project's grants first, as save_allocation locks them before it checks that the recipient
        # takes part: no allocation to the partner can be added between the check and the removal.
        list(Grant.objects.select_for_update().filter(project=partnership.project_id).order_by("pk"))
        locked = (
            ProjectPartner.objects.select_for_update().select_related("organisation").filter(pk=partnership.pk).first()
        )
        if locked is None:
            raise ValidationError("This partner has already been removed from the project")
        problems = partner_removal_problems(locked)
        if problems:
            raise ValidationError(
                [
                    f"{locked.organisation.display_name} cannot be removed from the project:",
                    *problems,
                    "A partner with money or milestones on record stays; change its role or dates instead.",
                ]
            )
        locked._history_user = by
        locked.delete()

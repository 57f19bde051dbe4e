"""Pages of the projects app: the project lists and
page, the officer's project and milestone forms, and the milestone workflow
(a recipient submits evidence, an officer reviews it).

Every object is fetched through its ``for_user`` queryset, so what a page shows
is what the user may see: a partner council sees the project's summary but only
its own money and milestones."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from accounts.models import Role
from accounts.permissions import OFFICERS, PROGRAMME_READERS, RECIPIENTS, role_required
from audit.downloads import stored_file
from audit.models import DownloadRecord
from core import data_version
from core.forms import show_refusal
from core.lifecycle import IllegalStatusChange
from core.paging import page_in_one_query, page_of, rows_and_count, sort_and_page
from grants import money
from grants.models import Allocation, Grant, Payment
from projects.activity import activity_page, page_number
from projects.filters import ProjectFilter
from projects.forms import (
    MilestoneForm,
    MilestoneReviewForm,
    MilestoneSubmissionForm,
    PartnerForm,
    PartnershipForm,
    ProjectForm,
    ProjectStatusForm,
)
from projects.history import project_history
from projects.models import (
    EvidenceFile,
    Milestone,
    MilestoneReview,
    Project,
    ProjectPartner,
)
from projects.services import (
    close_project,
    closure_problems,
    partner_removal_problems,
    remove_partner,
    review_milestone,
    save_milestone,
    submit_milestone,
)
from projects.tables import ProjectTable, YourProjectTable

PER_PAGE = 25
WAITING_SHOWN = 20  # of a council's submitted milestones on "Your projects"
TO_DO_PER_PAGE = 20  # of a council's milestones that need its evidence, a page at a time, the earliest due first
ALL_ROLES = tuple(Role.values)
MILESTONE_READERS = (*PROGRAMME_READERS, *RECIPIENTS)


def _url_or_none(name, **kwargs):
    """A link to a page another part of the service may not have built yet."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _posted(request):
    """The form data of a POST, even an empty one, so an empty form is checked too."""
    return request.POST if request.method == "POST" else None


# --- Project lists ---------------------------------------------------------------


def project_queryset(user):
    """The projects a user may see, with their awards' total."""
    return Project.objects.for_user(user).select_related("lead_organisation").with_awarded()


@role_required(*PROGRAMME_READERS)
def project_list(request):
    filterset = ProjectFilter(request.GET or None, queryset=project_queryset(request.user), request=request)
    table = ProjectTable(filterset.qs)
    sort_and_page(request, table, per_page=PER_PAGE)
    return render(request, "projects/list.html", {"filter": filterset, "form": filterset.form, "table": table})


@role_required(*RECIPIENTS)
def your_projects(request):
    user = request.user
    partner_role = ProjectPartner.objects.filter(project=OuterRef("pk"), organisation=user.organisation_id).values(
        "role"
    )[:1]
    projects = (
        Project.objects.for_user(user).select_related("lead_organisation").annotate(partner_role=Subquery(partner_role))
    )
    # The projects a page at a time: a council can take part in hundreds of them.
    table = sort_and_page(request, YourProjectTable(projects, organisation_id=user.organisation_id))
    own = Milestone.objects.submittable_by(user).select_related("project", "organisation").order_by("due_date", "pk")
    # Nothing to do but wait for: the longest waiting, and how many more.
    waiting, submitted = rows_and_count(own.filter(status=Milestone.Status.SUBMITTED), 0, WAITING_SHOWN)
    # Every one needs the council's evidence, so all can be reached, a page at a time (a council of a national
    # programme has a hundred or more open): the earliest due, and so the overdue, first.
    to_do = page_in_one_query(
        request, own.filter(status__in=Milestone.OPEN_STATUSES), TO_DO_PER_PAGE, param="to_do_page"
    )
    context = {
        "table": table,
        "to_do": to_do,
        "waiting": waiting,
        "waiting_more": submitted - len(waiting),
        "today": timezone.localdate(),
    }
    return render(request, "projects/yours.html", context)


# --- Project page ----------------------------------------------------------------


def _officer_actions(project):
    actions = [
        ("Edit project", _url_or_none("projects:edit", project_pk=project.pk)),
        ("Change status", _url_or_none("projects:status", project_pk=project.pk)),
        ("Add a partner", _url_or_none("projects:partner-add", project_pk=project.pk)),
        ("Add a milestone", _url_or_none("projects:milestone-create", project_pk=project.pk)),
        ("Add a grant", _url_or_none("grants:create", project_pk=project.pk)),
    ]
    return [(label, url) for label, url in actions if url]


@role_required(*PROGRAMME_READERS, *RECIPIENTS)
def project_history_page(request, project_pk):
    """The audit trail of the project's money and status, scoped as its page is:
    a partner council sees the changes to its own money, not its partners'."""
    user = request.user
    project = get_object_or_404(Project.objects.for_user(user).select_related("programme"), pk=project_pk)
    grants = list(Grant.objects.for_user(user).filter(project=project))
    allocations = Allocation.objects.for_user(user).filter(grant__project=project)
    payments = Payment.objects.for_user(user).filter(allocation__grant__project=project)
    milestones = Milestone.objects.for_user(user).filter(project=project)
    history = project_history(project, grants=grants, allocations=allocations, payments=payments, milestones=milestones)
    page = page_of(request, history)
    return render(request, "projects/history.html", {"project": project, "history": page, "page": page})


@role_required(*ALL_ROLES)
def project_detail(request, project_pk):
    user = request.user
    project = get_object_or_404(
        Project.objects.for_user(user).select_related("programme", "lead_organisation"), pk=project_pk
    )
    activity_number = page_number(request.GET.get("activity_page"))
    # Everyone with the same view of the project (the funder's staff of one role; each council and
    # evaluator their own) shares the page, rendered once for each change of the data and each page
    # of its activity.
    body = data_version.for_everyone_who_sees(
        user,
        "project page",
        project.pk,
        user.role,
        timezone.localdate(),
        activity_number,
        build=lambda: render_to_string(
            "projects/_detail_body.html", _project_page(user, project, activity_number), request=request
        ),
    )
    return render(request, "projects/detail.html", {"project": project, "body_html": mark_safe(body)})


def _project_page(user, project, activity_number) -> dict:
    """What the project page shows ``user``: its grants, money, payments, milestones, evaluations and
    page ``activity_number`` of its activity."""
    grants = list(
        Grant.objects.for_user(user).filter(project=project).select_related("round").order_by("award_date", "pk")
    )
    allocations = Allocation.objects.for_user(user).filter(grant__project=project)
    allocation_table = money.allocation_grid(allocations)

    payments = list(
        Payment.objects.for_user(user)
        .filter(allocation__grant__project=project)
        .select_related("allocation__recipient", "milestone", "recorded_by")
        .order_by("paid_on", "pk")
    )
    milestones = list(
        Milestone.objects.for_user(user)
        .filter(project=project)
        .select_related("organisation")
        .order_by("due_date", "pk")
    )
    grant_url = {grant.pk: _url_or_none("grants:detail", grant_pk=grant.pk) for grant in grants}
    sees_part = user.is_recipient and not project.is_led_by(user)
    shows_delivery = not user.is_evaluator
    # Each grant's money, for those who see all of it: a partner sees only its own allocations' share.
    money_rows, money_totals, grant_money = money.money_by_recipient(
        allocations, allocation_table["rows"], grants, per_grant=shows_delivery and not sees_part
    )
    evaluations = [
        (evaluation, _url_or_none("evaluations:detail", evaluation_pk=evaluation.pk))
        for evaluation in project.evaluations.for_user(user).order_by("title")
    ]
    return {
        "project": project,
        "themes": list(project.themes.all()),
        "partners": list(project.partnerships.select_related("organisation")),
        "grants": [(grant, grant_url[grant.pk], grant_money.get(grant.pk)) for grant in grants],
        "grant_money": bool(grant_money),
        "money_columns": money.SHOWN_COLUMNS,
        "allocation_table": allocation_table,
        "money_rows": money_rows,
        "money_totals": money_totals,
        "payments": payments,
        "milestones": milestones,
        "evaluations": evaluations,
        "activity": activity_page(
            project, grants=grants, milestones=milestones, payments=payments, number=activity_number
        ),
        "actions": _officer_actions(project) if user.is_officer else [],
        "sees_part": sees_part,
        # An evaluator reads the project it evaluates, but none of its money or milestones.
        "shows_delivery": shows_delivery,
        "today": timezone.localdate(),
    }


# --- Officer: projects and partners ------------------------------------------------


def _officer_project(request, project_pk):
    return get_object_or_404(Project.objects.for_user(request.user), pk=project_pk)


@role_required(*OFFICERS)
def project_create(request):
    form = ProjectForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            project = form.save(commit=False)
            if project.rag:
                project.rag_updated_at = timezone.now()
            project.save()
            form.save_m2m()
            project.record_initial_status(by=request.user)
        messages.success(request, f"Project {project.reference} ‘{project.title}’ added")
        return redirect("projects:detail", project_pk=project.pk)
    context = {"form": form, "title": "Add a project", "back": reverse("projects:list"), "button": "Add project"}
    return render(request, "projects/form.html", context)


@role_required(*OFFICERS)
def project_edit(request, project_pk):
    project = _officer_project(request, project_pk)
    form = ProjectForm(_posted(request), instance=project)
    if request.method == "POST" and form.is_valid():
        project = form.save(commit=False)
        if form.rag_changed:
            project.rag_updated_at = timezone.now()
        project.save()
        form.save_m2m()
        messages.success(request, f"Project {project.reference} saved")
        return redirect("projects:detail", project_pk=project.pk)
    context = {
        "form": form,
        "title": f"Edit {project.reference}",
        "caption": project.title,
        "back": reverse("projects:detail", kwargs={"project_pk": project.pk}),
        "button": "Save changes",
    }
    return render(request, "projects/form.html", context)


@role_required(*OFFICERS)
def project_status(request, project_pk):
    project = _officer_project(request, project_pk)
    form = ProjectStatusForm(_posted(request), project=project)
    if request.method == "POST" and form.is_valid():
        new_status = form.cleaned_data["status"]
        reason = form.cleaned_data["reason"].strip()
        try:
            if new_status == Project.Status.CLOSED:
                close_project(project=project, by=request.user, reason=reason, exception=form.cleaned_data["exception"])
            else:
                project.set_status(new_status, by=request.user, reason=reason)
        except IllegalStatusChange as error:
            form.add_error("status", str(error))
        except ValidationError as error:
            form.add_error("exception", error.messages)
        else:
            messages.success(request, f"Project {project.reference} is now {project.get_status_display().lower()}")
            return redirect("projects:detail", project_pk=project.pk)
    context = {
        "form": form,
        "project": project,
        "back": reverse("projects:detail", kwargs={"project_pk": project.pk}),
        "closure_problems": closure_problems(project) if Project.Status.CLOSED in project.allowed_statuses() else [],
    }
    return render(request, "projects/status_form.html", context)


@role_required(*OFFICERS)
def partner_add(request, project_pk):
    project = _officer_project(request, project_pk)
    form = PartnerForm(_posted(request), project=project)
    if request.method == "POST" and form.is_valid():
        partnership = form.save()
        role = partnership.get_role_display().lower()
        messages.success(request, f"{partnership.organisation} added to {project.reference} as {role}")
        return redirect("projects:detail", project_pk=project.pk)
    context = {
        "form": form,
        "title": "Add a partner",
        "caption": f"{project.reference} {project.title}",
        "back": reverse("projects:detail", kwargs={"project_pk": project.pk}),
        "button": "Add partner",
    }
    return render(request, "projects/form.html", context)


def _officer_partnership(request, partnership_pk):
    return get_object_or_404(
        ProjectPartner.objects.filter(project__in=Project.objects.for_user(request.user)).select_related(
            "project", "organisation"
        ),
        pk=partnership_pk,
    )


@role_required(*OFFICERS)
def partner_edit(request, partnership_pk):
    partnership = _officer_partnership(request, partnership_pk)
    project = partnership.project
    form = PartnershipForm(_posted(request), instance=partnership)
    if request.method == "POST" and form.is_valid():
        partnership = form.save()
        role = partnership.get_role_display().lower()
        messages.success(request, f"{partnership.organisation} is now a {role} of {project.reference}")
        return redirect("projects:detail", project_pk=project.pk)
    context = {
        "form": form,
        "title": f"Change {partnership.organisation.display_name}’s part",
        "caption": f"{project.reference} {project.title}",
        "back": reverse("projects:detail", kwargs={"project_pk": project.pk}),
        "button": "Save changes",
    }
    return render(request, "projects/form.html", context)


@role_required(*OFFICERS)
def partner_remove(request, partnership_pk):
    """A page that asks to confirm, or says why the partner must stay; the removal itself is a POST."""
    partnership = _officer_partnership(request, partnership_pk)
    project = partnership.project
    problems = partner_removal_problems(partnership)
    if request.method == "POST":
        try:
            remove_partner(partnership=partnership, by=request.user)
        except ValidationError as error:
            problems = error.messages[1:-1] or error.messages
        else:
            messages.success(request, f"{partnership.organisation} removed from {project.reference}")
            return redirect("projects:detail", project_pk=project.pk)
    context = {
        "partnership": partnership,
        "project": project,
        "problems": problems,
        "back": reverse("projects:detail", kwargs={"project_pk": project.pk}),
    }
    return render(request, "projects/partner_remove.html", context, status=200)


# --- Officer: milestones ------------------------------------------------------------


@role_required(*OFFICERS)
def milestone_create(request, project_pk):
    project = _officer_project(request, project_pk)
    form = MilestoneForm(_posted(request), project=project)
    if request.method == "POST" and form.is_valid():
        try:
            milestone = save_milestone(milestone=form.save(commit=False), by=request.user)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Milestone ‘{milestone.title}’ added")
            return redirect("projects:milestone", milestone_pk=milestone.pk)
    context = {
        "form": form,
        "title": "Add a milestone",
        "caption": f"{project.reference} {project.title}",
        "back": reverse("projects:detail", kwargs={"project_pk": project.pk}),
        "button": "Add milestone",
    }
    return render(request, "projects/form.html", context)


@role_required(*OFFICERS)
def milestone_edit(request, milestone_pk):
    milestone = get_object_or_404(Milestone.objects.for_user(request.user).select_related("project"), pk=milestone_pk)
    form = MilestoneForm(_posted(request), instance=milestone, project=milestone.project)
    if request.method == "POST" and form.is_valid():
        try:
            save_milestone(milestone=form.save(commit=False), by=request.user)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Milestone ‘{milestone.title}’ saved")
            return redirect("projects:milestone", milestone_pk=milestone.pk)
    context = {
        "form": form,
        "title": "Edit milestone",
        "caption": f"{milestone.project.reference} {milestone.project.title}",
        "back": reverse("projects:milestone", kwargs={"milestone_pk": milestone.pk}),
        "button": "Save changes",
    }
    return render(request, "projects/form.html", context)


# --- Milestone page and workflow ----------------------------------------------------


def _milestone_queryset(queryset):
    return queryset.select_related("project", "organisation", "allocation__recipient", "allocation__grant")


def _render_milestone(request, milestone, *, submit_form=None, review_form=None):
    user = request.user
    can_submit = (
        user.is_recipient
        and user.organisation_id == milestone.organisation_id
        and milestone.status in Milestone.OPEN_STATUSES
    )
    can_review = user.is_officer and milestone.status == Milestone.Status.SUBMITTED
    if submit_form is None and can_submit:
        submit_form = MilestoneSubmissionForm()
    if review_form is None and can_review:
        review_form = MilestoneReviewForm()
    submissions = list(
        milestone.submissions.select_related("submitted_by", "review__reviewed_by")
        .prefetch_related("evidence_files")
        .order_by("-submitted_at", "-pk")
    )
    latest = submissions[0] if submissions else None
    returned = (
        latest.review
        if milestone.status == Milestone.Status.RETURNED and latest is not None and hasattr(latest, "review")
        else None
    )
    context = {
        "milestone": milestone,
        "project": milestone.project,
        "submissions": submissions,
        "returned": returned,
        "payments": list(Payment.objects.for_user(user).filter(milestone=milestone).order_by("paid_on", "pk")),
        "submit_form": submit_form,
        "review_form": review_form,
        "form": submit_form or review_form,
        "edit_url": _url_or_none("projects:milestone-edit", milestone_pk=milestone.pk) if user.is_officer else None,
        "overdue": milestone.is_overdue(),
    }
    return render(request, "projects/milestone.html", context)


@role_required(*MILESTONE_READERS)
def milestone_detail(request, milestone_pk):
    milestone = get_object_or_404(_milestone_queryset(Milestone.objects.for_user(request.user)), pk=milestone_pk)
    return _render_milestone(request, milestone)


@role_required(*RECIPIENTS)
def milestone_submit(request, milestone_pk):
    # Only the organisation that delivers the milestone finds it here: the lead may
    # read a partner's milestone, but not submit evidence in the partner's name.
    milestone = get_object_or_404(_milestone_queryset(Milestone.objects.submittable_by(request.user)), pk=milestone_pk)
    if request.method != "POST":
        return redirect("projects:milestone", milestone_pk=milestone.pk)
    form = MilestoneSubmissionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            submit_milestone(
                milestone=milestone,
                by=request.user,
                narrative=form.cleaned_data["narrative"],
                files=form.cleaned_data["files"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Evidence for ‘{milestone.title}’ submitted. A programme officer will review it."
            )
            return redirect("projects:milestone", milestone_pk=milestone.pk)
    return _render_milestone(request, milestone, submit_form=form)


@role_required(*OFFICERS)
def milestone_review(request, milestone_pk):
    milestone = get_object_or_404(_milestone_queryset(Milestone.objects.for_user(request.user)), pk=milestone_pk)
    if request.method != "POST":
        return redirect("projects:milestone", milestone_pk=milestone.pk)
    form = MilestoneReviewForm(request.POST)
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            review_milestone(
                milestone=milestone, by=request.user, decision=decision, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if decision == MilestoneReview.Decision.ACCEPTED:
                text = f"‘{milestone.title}’ accepted"
                if milestone.payment_amount and Milestone.objects.filter(pk=milestone.pk).payable().exists():
                    text += f". A finance officer can now release its payment of £{milestone.payment_amount:,.2f}"
                elif milestone.payment_amount:
                    # Only where the rules were broken before commitments were kept (or the project closed).
                    text += (
                        f". Its payment of £{milestone.payment_amount:,.2f} cannot be made now: the allocation's "
                        "headroom does not hold it or the project is closed; vary the allocation first"
                    )
            else:
                text = f"‘{milestone.title}’ returned to {milestone.organisation.display_name} with your reason"
            messages.success(request, text)
            return redirect("projects:milestone", milestone_pk=milestone.pk)
    return _render_milestone(request, milestone, review_form=form)


@role_required(*MILESTONE_READERS)
def evidence_download(request, evidence_pk):
    evidence = get_object_or_404(EvidenceFile.objects.for_user(request.user), pk=evidence_pk)
    return stored_file(
        request,
        evidence.file,
        name=evidence.original_name,
        content_type=evidence.content_type,
        kind=DownloadRecord.Kind.EVIDENCE_FILE,
        obj=evidence,
    )

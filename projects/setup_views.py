"""Set-up pages that read the work as well as the money: an organisation's page (its projects and grants)
and the themes projects are tagged with. They keep their paths and names in the "setup" namespace
(config/urls.py), beside the programmes and organisations of grants/setup_views.py."""

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.permissions import OFFICERS, PROGRAMME_READERS, role_required
from core.history import with_previous
from core.paging import page_of
from grants.models import Allocation, Grant, Organisation
from projects.forms import ThemeForm
from projects.models import Project, ProjectPartner, Theme

SHOWN_HISTORY = 10


def _organisation_changes(organisation):
    """The latest changes to the organisation, newest first, each with the fields it changed."""
    records = list(organisation.history.select_related("history_user").order_by("history_date", "history_id"))
    changes = []
    for previous, record in with_previous(records):
        changed = (
            [] if previous is None else record.diff_against(previous, excluded_fields=["modified_at"]).changed_fields
        )
        changes.append({"record": record, "fields": [_label(name) for name in changed]})
    return list(reversed(changes))[:SHOWN_HISTORY]


def _label(name):
    field = Organisation._meta.get_field(name)
    return str(field.verbose_name)


@role_required(*PROGRAMME_READERS)
def organisation_detail(request, organisation_pk):
    """An organisation, with the projects it leads or takes part in and the grants and money it receives,
    as far as the user may see them: each list a page at a time (a council can take part in a hundred
    grants), chosen by key rather than by a DISTINCT over a join."""
    user = request.user
    organisation = get_object_or_404(Organisation, pk=organisation_pk)
    takes_part = ProjectPartner.objects.filter(organisation=organisation).values("project")
    projects = page_of(
        request,
        Project.objects.for_user(user)
        .filter(Q(lead_organisation=organisation) | Q(pk__in=takes_part))
        .select_related("lead_organisation", "programme")
        .order_by("reference", "pk"),
        param="projects_page",
    )
    roles = {
        partnership.project_id: partnership.get_role_display()
        for partnership in organisation.partnerships.filter(project__in=[project.pk for project in projects])
    }
    has_a_share = Allocation.objects.filter(recipient=organisation).values("grant")
    grants = page_of(
        request,
        Grant.objects.for_user(user)
        .filter(Q(recipient=organisation) | Q(pk__in=has_a_share))
        .select_related("project", "round", "recipient")
        .order_by("award_date", "pk"),
        param="grants_page",
    )
    context = {
        "organisation": organisation,
        "projects": [(project, roles.get(project.pk, "Lead organisation")) for project in projects],
        "projects_page": projects,
        "grants": grants,
        "successors": list(organisation.replaced_by.order_by("name")),
        "predecessors": list(organisation.predecessors.order_by("name")),
        "changes": _organisation_changes(organisation),
    }
    return render(request, "grants/setup/organisation_detail.html", context)


# Themes


@role_required(*PROGRAMME_READERS)
def theme_list(request):
    return render(request, "grants/setup/theme_list.html", {"themes": Theme.objects.order_by("name")})


def _theme_form_page(request, form, *, title, button):
    if form.is_valid():
        theme = form.save()
        messages.success(request, f"Theme ‘{theme.name}’ saved")
        return redirect("setup:themes")
    context = {"form": form, "title": title, "back": reverse("setup:themes"), "button": button}
    return render(request, "projects/form.html", context)


@role_required(*OFFICERS)
def theme_create(request):
    form = ThemeForm(request.POST if request.method == "POST" else None)
    return _theme_form_page(request, form, title="Add a theme", button="Add theme")


@role_required(*OFFICERS)
def theme_edit(request, theme_pk):
    theme = get_object_or_404(Theme, pk=theme_pk)
    form = ThemeForm(request.POST if request.method == "POST" else None, instance=theme)
    return _theme_form_page(request, form, title=f"Change the theme ‘{theme.name}’", button="Save changes")

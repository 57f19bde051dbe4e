"""Setting up the programme in the service: programmes, their rounds and the organisations that give, get
and evaluate the money. Programme officers change them; the funder's other staff and viewers read the lists.

Budgets and dates are checked against each other by grants.budgets under the programme's lock; its
refusals are put back on the form and change nothing. Every save keeps a history copy with its user
(django-simple-history, whose middleware names the signed-in user).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.permissions import OFFICERS, PROGRAMME_READERS, role_required
from core.forms import show_refusal
from core.paging import sort_and_page
from grants import budgets
from grants.filters import OrganisationFilter
from grants.forms import OrganisationForm, ProgrammeForm, RoundForm
from grants.models import Grant, Organisation, Programme, Round
from grants.tables import OrganisationTable, ProgrammeTable, RoundTable

PER_PAGE = 50
MONEY = DecimalField(max_digits=16, decimal_places=2)


def _posted(request):
    return request.POST if request.method == "POST" else None


def _form_page(request, form, *, title, back, button, caption=""):
    context = {"form": form, "title": title, "caption": caption, "back": back, "button": button}
    return render(request, "projects/form.html", context)


@role_required(*PROGRAMME_READERS)
def index(request):
    """The set-up area: what the programme is made of, and where each part is changed."""
    context = {
        "programmes": Programme.objects.count(),
        "rounds": Round.objects.count(),
        "organisations": Organisation.objects.count(),
    }
    return render(request, "grants/setup/index.html", context)


# Programmes


@role_required(*PROGRAMME_READERS)
def programme_list(request):
    table = ProgrammeTable(Programme.objects.select_related("funder").annotate(round_count=Count("rounds")))
    sort_and_page(request, table, per_page=PER_PAGE)
    return render(request, "grants/setup/programme_list.html", {"table": table})


def _rounds_with_awards(programme):
    awarded = (
        Grant.objects.filter(round=OuterRef("pk"))
        .exclude(status=Grant.Status.WITHDRAWN)
        .order_by()
        .values("round")
        .annotate(total=Sum("amount_awarded"))
        .values("total")
    )
    return programme.rounds.annotate(
        awarded=Coalesce(Subquery(awarded, output_field=MONEY), Value(budgets.ZERO, output_field=MONEY))
    )


@role_required(*PROGRAMME_READERS)
def programme_detail(request, programme_pk):
    programme = get_object_or_404(Programme.objects.select_related("funder"), pk=programme_pk)
    table = RoundTable(_rounds_with_awards(programme), can_change=request.user.is_officer)
    sort_and_page(request, table, per_page=PER_PAGE)
    rounds_budget = programme.rounds.aggregate(total=Sum("budget"))["total"] or budgets.ZERO
    context = {
        "programme": programme,
        "table": table,
        "rounds_budget": rounds_budget,
        "unassigned": programme.budget - rounds_budget,
        "history": programme.history.select_related("history_user")[:10],
    }
    return render(request, "grants/setup/programme_detail.html", context)


def _save_programme(request, form, *, title, back, button, caption=""):
    if form.is_valid():
        try:
            programme = budgets.save_programme(programme=form.save(commit=False), by=request.user)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Programme ‘{programme.name}’ saved")
            return redirect("setup:programme", programme_pk=programme.pk)
    return _form_page(request, form, title=title, back=back, button=button, caption=caption)


@role_required(*OFFICERS)
def programme_create(request):
    form = ProgrammeForm(_posted(request))
    return _save_programme(
        request, form, title="Add a programme", back=reverse("setup:programmes"), button="Add programme"
    )


@role_required(*OFFICERS)
def programme_edit(request, programme_pk):
    programme = get_object_or_404(Programme, pk=programme_pk)
    form = ProgrammeForm(_posted(request), instance=programme)
    back = reverse("setup:programme", kwargs={"programme_pk": programme.pk})
    return _save_programme(
        request, form, title="Change the programme", caption=programme.name, back=back, button="Save changes"
    )


# Rounds


def _save_round(request, form, *, programme, title, button):
    back = reverse("setup:programme", kwargs={"programme_pk": programme.pk})
    if form.is_valid():
        try:
            round_ = budgets.save_round(round_=form.save(commit=False), by=request.user)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Round {round_.number}, ‘{round_.name}’, saved")
            return redirect(back)
    return _form_page(request, form, title=title, caption=programme.name, back=back, button=button)


@role_required(*OFFICERS)
def round_create(request, programme_pk):
    programme = get_object_or_404(Programme, pk=programme_pk)
    form = RoundForm(_posted(request), programme=programme)
    return _save_round(request, form, programme=programme, title="Add a round", button="Add round")


@role_required(*OFFICERS)
def round_edit(request, round_pk):
    round_ = get_object_or_404(Round.objects.select_related("programme"), pk=round_pk)
    form = RoundForm(_posted(request), instance=round_, programme=round_.programme)
    return _save_round(request, form, programme=round_.programme, title=f"Change {round_.name}", button="Save changes")


# Organisations


@role_required(*PROGRAMME_READERS)
def organisation_list(request):
    filterset = OrganisationFilter(request.GET or None, queryset=Organisation.objects.all(), request=request)
    table = OrganisationTable(filterset.qs)
    sort_and_page(request, table, per_page=PER_PAGE)
    return render(
        request, "grants/setup/organisation_list.html", {"filter": filterset, "form": filterset.form, "table": table}
    )


def _save_organisation(request, form, *, title, back, button, caption=""):
    if form.is_valid():
        with transaction.atomic():
            organisation = form.save()
        messages.success(request, f"Organisation ‘{organisation.name}’ saved, with the org-id {organisation.org_id}")
        return redirect("setup:organisation", organisation_pk=organisation.pk)
    return _form_page(request, form, title=title, back=back, button=button, caption=caption)


@role_required(*OFFICERS)
def organisation_create(request):
    form = OrganisationForm(_posted(request))
    back = reverse("setup:organisations")
    return _save_organisation(request, form, title="Add an organisation", back=back, button="Add organisation")


@role_required(*OFFICERS)
def organisation_edit(request, organisation_pk):
    organisation = get_object_or_404(Organisation, pk=organisation_pk)
    form = OrganisationForm(_posted(request), instance=organisation)
    back = reverse("setup:organisation", kwargs={"organisation_pk": organisation.pk})
    return _save_organisation(
        request, form, title="Change the organisation", caption=organisation.name, back=back, button="Save changes"
    )

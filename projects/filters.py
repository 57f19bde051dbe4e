"""Filters of the project list. Each filter over a related table selects project
ids in a subquery rather than joining, so a project appears once and the
awarded total beside it is never multiplied by the join."""

import django_filters
from django.db.models import Q

from core.forms import GovukForm
from grants.models import Grant, Organisation, Round
from projects.models import Project, ProjectPartner, Theme

NOT_RATED = "none"


def organisations_matching(value: str):
    """The organisations a typed value names: by part of the name or short name, or by the whole org-id. A
    number alone is an organisation's key, as a link from another page gives it."""
    value = value.strip()
    if value.isdigit():
        return Organisation.objects.filter(pk=int(value)) if len(value) < 18 else Organisation.objects.none()
    return Organisation.objects.filter(
        Q(name__icontains=value) | Q(short_name__icontains=value) | Q(org_id__iexact=value)
    ).values("pk")


class ProjectFilterForm(GovukForm):
    pass


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search", method="search", max_length=200, help_text="Title, reference, summary or lead organisation"
    )
    round = django_filters.ModelChoiceFilter(
        label="Round", queryset=Round.objects.select_related("programme"), method="in_round", empty_label="Any round"
    )
    status = django_filters.ChoiceFilter(label="Status", choices=Project.Status.choices, empty_label="Any status")
    # A programme has hundreds of organisations: a list of them all would be most of the page's size and
    # time (713 options at 1,000 projects). A name typed in a box is matched instead.
    lead_organisation = django_filters.CharFilter(
        label="Lead organisation",
        method="led_by",
        max_length=200,
        help_text="Its name, or part of it, or its org-id",
    )
    partner = django_filters.CharFilter(
        label="Partner", method="with_partner", max_length=200, help_text="Its name, or part of it, or its org-id"
    )
    theme = django_filters.ModelChoiceFilter(
        label="Theme", queryset=Theme.objects.all(), method="with_theme", empty_label="Any theme"
    )
    rag = django_filters.ChoiceFilter(
        label="RAG rating",
        choices=[*Project.Rag.choices, (NOT_RATED, "Not rated")],
        method="with_rag",
        empty_label="Any rating",
    )

    class Meta:
        model = Project
        fields = ["q", "round", "status", "lead_organisation", "partner", "theme", "rag"]
        form = ProjectFilterForm

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(reference__icontains=value)
            | Q(summary__icontains=value)
            | Q(lead_organisation__name__icontains=value)
            | Q(lead_organisation__short_name__icontains=value)
        )

    def in_round(self, queryset, name, value):
        return queryset.filter(pk__in=Grant.objects.filter(round=value).values("project"))

    def led_by(self, queryset, name, value):
        return queryset.filter(lead_organisation__in=organisations_matching(value))

    def with_partner(self, queryset, name, value):
        partners = ProjectPartner.objects.filter(organisation__in=organisations_matching(value))
        return queryset.filter(pk__in=partners.values("project"))

    def with_theme(self, queryset, name, value):
        return queryset.filter(pk__in=Project.themes.through.objects.filter(theme=value).values("project"))

    def with_rag(self, queryset, name, value):
        return queryset.filter(rag="" if value == NOT_RATED else value)

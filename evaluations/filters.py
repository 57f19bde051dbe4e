"""Filters of the impact report. Each filter over projects selects evaluation ids
in a subquery rather than joining, so a result appears once."""

import django_filters
from django.db.models import Q

from core.forms import GovukForm
from evaluations.models import Evaluation, EvidenceRating, OutcomeArea
from grants.models import Grant, Organisation, Round
from projects.models import Project, ProjectPartner, Theme

MARYLAND_LEVELS = [
    (str(level), f"Maryland level {level} or above{extra}")
    for level, extra in ((1, ""), (2, ""), (3, ": a comparison group"), (4, ""), (5, ": randomised"))
]


def _evaluations_of(projects):
    return Evaluation.projects.through.objects.filter(project__in=projects).values("evaluation")


class ImpactFilterForm(GovukForm):
    pass


class ImpactFilter(django_filters.FilterSet):
    round = django_filters.ModelChoiceFilter(
        label="Round", queryset=Round.objects.select_related("programme"), method="in_round", empty_label="Any round"
    )
    theme = django_filters.ModelChoiceFilter(
        label="Theme", queryset=Theme.objects.all(), method="with_theme", empty_label="Any theme"
    )
    outcome_area = django_filters.ModelChoiceFilter(
        label="Outcome area",
        queryset=OutcomeArea.objects.all(),
        field_name="measure__outcome_area",
        empty_label="Any outcome area",
    )
    min_rating = django_filters.ChoiceFilter(
        label="Minimum evidence rating",
        choices=MARYLAND_LEVELS,
        method="rated_at_least",
        empty_label="Any, or not rated",
    )
    authority = django_filters.ModelChoiceFilter(
        label="Local authority",
        queryset=Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY).filter(
            Q(pk__in=ProjectPartner.objects.values("organisation"))
            | Q(pk__in=Project.objects.values("lead_organisation"))
        ),
        method="for_authority",
        empty_label="Any authority",
    )

    class Meta:
        form = ImpactFilterForm
        fields = ["round", "theme", "outcome_area", "min_rating", "authority"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        messages = {
            "round": "Choose a round from the list",
            "theme": "Choose a theme from the list",
            "outcome_area": "Choose an outcome area from the list",
            "min_rating": "Choose a Maryland level from 1 to 5",
            "authority": "Choose a local authority from the list",
        }
        for name, message in messages.items():
            self.form.fields[name].error_messages["invalid_choice"] = message

    def in_round(self, queryset, name, value):
        return queryset.filter(evaluation__in=_evaluations_of(Grant.objects.filter(round=value).values("project")))

    def with_theme(self, queryset, name, value):
        return queryset.filter(
            evaluation__in=_evaluations_of(Project.themes.through.objects.filter(theme=value).values("project"))
        )

    def rated_at_least(self, queryset, name, value):
        # Levels are the single characters "1" to "5", so text order is number order.
        rated = EvidenceRating.objects.filter(scale=EvidenceRating.Scale.MARYLAND, value__gte=value)
        return queryset.filter(evaluation__in=rated.values("evaluation"))

    def for_authority(self, queryset, name, value):
        """The authority's own results, and the overall results of projects it takes part in."""
        projects = Project.objects.filter(
            Q(lead_organisation=value) | Q(pk__in=ProjectPartner.objects.filter(organisation=value).values("project"))
        )
        return queryset.filter(
            Q(authority=value) | Q(authority__isnull=True, evaluation__in=_evaluations_of(projects.values("pk")))
        )

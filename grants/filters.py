import django_filters
from django.db.models import Q

from core.forms import GovukForm
from grants.models import Organisation


class OrganisationFilterForm(GovukForm):
    pass


class OrganisationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Name or org-id", method="search", max_length=200, help_text="Its name, or part of it, or its org-id"
    )
    kind = django_filters.ChoiceFilter(label="Kind", choices=Organisation.Kind.choices, empty_label="Any kind")
    ended = django_filters.ChoiceFilter(
        label="Still existing",
        choices=[("no", "Still existing"), ("yes", "Ended")],
        method="by_end",
        empty_label="Either",
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "ended"]
        form = OrganisationFilterForm

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(short_name__icontains=value)
            | Q(org_id__iexact=value)
            | Q(gss_code__iexact=value)
        )

    def by_end(self, queryset, name, value):
        return queryset.filter(valid_to__isnull=value == "no")

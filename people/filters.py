import django_filters
from django.db.models import Q

from accounts.models import Role, User
from core.forms import GovukForm
from projects.filters import organisations_matching

ACTIVE_CHOICES = [("yes", "Active"), ("no", "Disabled")]


class PersonFilterForm(GovukForm):
    pass


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search", method="search", max_length=200, help_text="Name, username or email address"
    )
    role = django_filters.ChoiceFilter(label="Role", choices=Role.choices, empty_label="Any role")
    organisation = django_filters.CharFilter(
        label="Organisation",
        method="at_organisation",
        max_length=200,
        help_text="Its name, or part of it, or its org-id",
    )
    active = django_filters.ChoiceFilter(
        label="Account", choices=ACTIVE_CHOICES, method="by_active", empty_label="Active or disabled"
    )

    class Meta:
        model = User
        fields = ["q", "role", "organisation", "active"]
        form = PersonFilterForm

    def __init__(self, *args, officer: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not officer:
            # A lead contact's list is their own organisation's grant recipients already.
            for name in ("role", "organisation"):
                del self.filters[name]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(username__icontains=value)
            | Q(email__icontains=value)
        )

    def at_organisation(self, queryset, name, value):
        return queryset.filter(organisation__in=organisations_matching(value))

    def by_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "yes")

import django_filters

from core.forms import GovukForm
from notifications.catalogue import Kind
from notifications.models import Message


class MessageFilterForm(GovukForm):
    pass


class MessageFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label="Status", choices=Message.Status.choices, empty_label="Any status")
    kind = django_filters.ChoiceFilter(label="Kind of message", choices=Kind.choices, empty_label="Any kind")
    to = django_filters.CharFilter(
        label="Sent to", method="sent_to", max_length=200, help_text="Part of a name, username or email address"
    )

    class Meta:
        model = Message
        fields = ["status", "kind", "to"]
        form = MessageFilterForm

    def sent_to(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            django_filters.filters.Q(email__icontains=value)
            | django_filters.filters.Q(user__username__icontains=value)
            | django_filters.filters.Q(user__first_name__icontains=value)
            | django_filters.filters.Q(user__last_name__icontains=value)
        )

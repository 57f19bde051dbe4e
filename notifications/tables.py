import django_tables2 as tables
from django.middleware.csrf import get_token
from django.template.defaultfilters import date as format_date
from django.template.defaultfilters import truncatechars
from django.utils.html import format_html

from core.tables import table_url
from core.templatetags.govuk import status_tag
from notifications.models import Message

_STATUS_COLOURS = {
    "queued": "in_progress",
    "sending": "in_progress",
    "held": "planned",
    "sent": "accepted",
    "failed": "withdrawn",
}


class MessageTable(tables.Table):
    created_at = tables.Column(verbose_name="Recorded")
    to = tables.Column(verbose_name="Sent to", accessor="email", order_by=("email",))
    kind = tables.Column(verbose_name="Kind")
    subject = tables.Column(orderable=False)
    status = tables.Column()
    last_error = tables.Column(verbose_name="Last error", orderable=False, default="")
    action = tables.Column(verbose_name="Action", accessor="pk", orderable=False)

    class Meta:
        model = Message
        fields = ("created_at", "to", "kind", "subject", "status", "last_error", "action")
        order_by = "-created_at"
        empty_text = "No messages match these filters."
        attrs = {"class": "govuk-table"}

    def render_created_at(self, value):
        return format_date(value, "j M Y, H:i")

    def render_to(self, record):
        if record.user_id:
            return format_html('{}<br><span class="govuk-body-s">{}</span>', record.user, record.email)
        return record.email

    def render_kind(self, record):
        return record.get_kind_display()

    def render_status(self, record):
        tag = status_tag(_STATUS_COLOURS.get(record.status, ""), record.get_status_display())
        if record.status == Message.Status.SENT:
            return format_html(
                '{}<br><span class="govuk-body-s">{}</span>', tag, format_date(record.sent_at, "j M Y, H:i")
            )
        tries = f"{record.attempts} tr{'y' if record.attempts == 1 else 'ies'}"
        return format_html('{}<br><span class="govuk-body-s">{}</span>', tag, tries) if record.attempts else tag

    def render_last_error(self, record):
        return truncatechars(record.last_error, 160) if record.status != Message.Status.SENT else ""

    def render_action(self, record):
        if record.status != Message.Status.FAILED:
            return ""
        return format_html(
            '<form method="post" action="{}" class="app-inline-form">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" '
            'data-module="govuk-button">Send again<span class="govuk-visually-hidden"> to {}</span></button></form>',
            table_url(self, "notifications:send-again", message_pk=record.pk),
            get_token(self.request),
            record.email,
        )

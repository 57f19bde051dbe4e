import django_tables2 as tables
from django.utils.html import format_html

from accounts.models import User
from core.templatetags.govuk import status_tag

TO_PERSON = {"viewname": "people:person", "kwargs": {"person_pk": tables.A("pk")}}
LINK = {"a": {"class": "govuk-link"}}


class PersonTable(tables.Table):
    name = tables.Column(
        verbose_name="Name", accessor="last_name", order_by=("last_name", "first_name"), linkify=TO_PERSON, attrs=LINK
    )
    email = tables.Column(verbose_name="Email address")
    role = tables.Column()
    organisation = tables.Column(
        verbose_name="Organisation", accessor="organisation__name", order_by=("organisation__name",), default="None"
    )
    is_active = tables.Column(verbose_name="Account")
    last_login = tables.DateTimeColumn(verbose_name="Last signed in", format="j M Y", default="Never")

    class Meta:
        model = User
        fields = ("name", "email", "role", "organisation", "is_active", "last_login")
        order_by = "name"
        empty_text = "No people match these filters."
        attrs = {"class": "govuk-table"}

    def render_name(self, record):
        return str(record)

    def render_role(self, record):
        if record.is_lead_contact and record.is_recipient:
            return format_html('{} <span class="govuk-body-s">(lead contact)</span>', record.get_role_display())
        return record.get_role_display()

    def render_is_active(self, record):
        return status_tag("active", "Active") if record.is_active else status_tag("withdrawn", "Disabled")

import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from core.tables import table_url
from core.templatetags.govuk import illustrative, illustrative_mark, money, status_tag
from projects.models import Project, ProjectPartner

TO_PROJECT = {"viewname": "projects:detail", "kwargs": {"project_pk": tables.A("pk")}}
TO_PROJECT_OF_ROW = {"viewname": "projects:detail", "kwargs": {"project_pk": tables.A("project_id")}}
LINK = {"a": {"class": "govuk-link"}}
NUMERIC = {"th": {"class": "govuk-table__header--numeric"}, "td": {"class": "govuk-table__cell--numeric"}}


class ProjectTable(tables.Table):
    """Rows come from ProjectQuerySet.with_awarded, which annotates ``awarded_total``
    and ``awarded_illustrative``."""

    reference = tables.Column(linkify=TO_PROJECT, attrs=LINK)
    title = tables.Column(linkify=TO_PROJECT, attrs=LINK)
    lead = tables.Column(
        verbose_name="Lead organisation", accessor="lead_organisation__name", order_by=("lead_organisation__name",)
    )
    status = tables.Column()
    rag = tables.Column(verbose_name="RAG", default="Not rated")
    awarded_total = tables.Column(verbose_name="Awarded", attrs=NUMERIC)

    class Meta:
        model = Project
        fields = ("reference", "title", "lead", "status", "rag", "awarded_total")
        order_by = "reference"
        empty_text = "No projects match these filters."
        attrs = {"class": "govuk-table"}

    def render_status(self, record):
        return status_tag(record.status, record.get_status_display())

    def render_rag(self, record):
        return status_tag(record.rag, record.get_rag_display())

    def render_awarded_total(self, value, record):
        return format_html("{}{}", money(value), illustrative(record, "awarded_illustrative"))


class PaymentsWaitingTable(tables.Table):
    """One page of projects.payment_views.payments_waiting, already cut and ordered (the longest waiting
    first): each row a dict of the milestone's values with its project's title, its allocation's year and
    recipient's name, and its latest acceptance (``accepted_at``, and ``accepted_by`` the reviewer, or
    None for neither). The page's links come from the view's own paginator."""

    title = tables.Column(
        verbose_name="Milestone", linkify=("projects:milestone", {"milestone_pk": tables.A("pk")}), attrs=LINK
    )
    project = tables.Column(verbose_name="Project", accessor="project__title", linkify=TO_PROJECT_OF_ROW, attrs=LINK)
    recipient = tables.Column(verbose_name="Recipient", accessor="allocation_id")
    accepted = tables.Column(verbose_name="Accepted", accessor="pk")
    payment_amount = tables.Column(verbose_name="Amount", attrs=NUMERIC)
    pay = tables.Column(verbose_name=mark_safe('<span class="govuk-visually-hidden">Action</span>'), accessor="pk")

    class Meta:
        orderable = False
        attrs = {"class": "govuk-table", "id": "payments-waiting"}

    def __init__(self, *args, can_pay=False, **kwargs):
        super().__init__(*args, exclude=() if can_pay else ("pay",), **kwargs)
        self.caption = "Payments waiting"
        self.caption_class = "govuk-visually-hidden"

    def render_recipient(self, record):
        return format_html(
            '<a class="govuk-link" href="{}">{}</a> ({})',
            table_url(self, "grants:allocation", allocation_pk=record["allocation_id"]),
            record["allocation__recipient__name"],
            record["allocation__financial_year"],
        )

    def render_accepted(self, record):
        if record["accepted_at"] is None:
            return ""
        return f"{date_format(localtime(record['accepted_at']), 'j M Y')} by {record['accepted_by']}"

    def render_payment_amount(self, value, record):
        return format_html("{}{}", money(value), illustrative_mark(record["illustrative"]))

    def render_pay(self, record):
        return format_html(
            '<a class="govuk-link" href="{}">Pay<span class="govuk-visually-hidden"> {}</span></a>',
            table_url(self, "grants:milestone-pay", milestone_pk=record["pk"]),
            record["title"],
        )


class YourProjectTable(tables.Table):
    """A recipient's projects (projects.views.your_projects): the lead organisation joined and the
    organisation's own ``partner_role`` annotated. A council takes part in a handful, so it is sorted, not paged."""

    project = tables.Column(
        verbose_name="Project", accessor="reference", linkify=TO_PROJECT, attrs=LINK, order_by=("reference",)
    )
    lead = tables.Column(
        verbose_name="Lead organisation",
        accessor="lead_organisation__display_name",
        order_by=("lead_organisation__name", "reference"),
    )
    role = tables.Column(verbose_name="Your role", accessor="pk", orderable=False)
    status = tables.Column(order_by=("status", "reference"))

    class Meta:
        model = Project
        fields = ("project", "lead", "role", "status")
        order_by = "project"
        empty_text = "Your organisation does not take part in any project yet."
        attrs = {"class": "govuk-table", "id": "your-projects"}

    def __init__(self, *args, organisation_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id = organisation_id
        self.caption = "Projects your organisation takes part in"

    def render_project(self, record):
        return f"{record.reference} {record.title}"

    def render_role(self, record):
        if record.lead_organisation_id == self.organisation_id:
            return "Lead organisation"
        return ProjectPartner.Role(record.partner_role).label if record.partner_role else "Partner"

    def render_status(self, record):
        return status_tag(record.status, record.get_status_display())

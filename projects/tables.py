import django_tables2 as tables
from django.utils.html import format_html

from core.templatetags.govuk import illustrative, money, status_tag
from projects.models import Project

TO_PROJECT = {"viewname": "projects:detail", "kwargs": {"project_pk": tables.A("pk")}}
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

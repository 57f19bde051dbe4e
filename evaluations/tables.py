import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.tables import table_url
from core.templatetags.govuk import status_tag
from evaluations.models import Evaluation, OutcomeMeasure

LINK = {"a": {"class": "govuk-link"}}
NUMERIC = {"th": {"class": "govuk-table__header--numeric"}, "td": {"class": "govuk-table__cell--numeric"}}


class EvaluationTable(tables.Table):
    """Rows come from evaluations.views._listed: the evaluator organisation joined, the projects the
    reader may see prefetched, and ``result_count`` and ``report_count`` annotated."""

    title = tables.Column(
        verbose_name="Evaluation",
        linkify=("evaluations:detail", {"evaluation_pk": tables.A("pk")}),
        attrs=LINK,
        order_by=("title", "pk"),
    )
    projects = tables.Column(verbose_name="Projects", accessor="pk", orderable=False)
    evaluator = tables.Column(
        verbose_name="Evaluator",
        accessor="evaluator_organisation__display_name",
        order_by=("evaluator_organisation__name", "title", "pk"),
    )
    design = tables.Column(order_by=("design", "title", "pk"))
    status = tables.Column(order_by=("status", "title", "pk"))
    result_count = tables.Column(verbose_name="Results", attrs=NUMERIC, order_by=("result_count", "title", "pk"))
    report_count = tables.Column(verbose_name="Reports", attrs=NUMERIC, order_by=("report_count", "title", "pk"))

    class Meta:
        model = Evaluation
        fields = ("title", "projects", "evaluator", "design", "status", "result_count", "report_count")
        order_by = "title"
        empty_text = "There are no evaluations yet."
        attrs = {"class": "govuk-table", "id": "evaluations"}

    def __init__(self, *args, caption="Evaluations", **kwargs):
        super().__init__(*args, **kwargs)
        self.caption = caption
        self.caption_class = "govuk-visually-hidden"

    def render_projects(self, record):
        return format_html_join(mark_safe("<br>"), "{}", ((project.title,) for project in record.projects.all()))

    def render_status(self, record):
        return status_tag(record.status, record.get_status_display())


class OutcomeMeasureTable(tables.Table):
    """Rows come from evaluations.views.measure_list: the outcome area joined, ``result_count`` annotated."""

    name = tables.Column(verbose_name="Measure", order_by=("name", "pk"))
    outcome_area = tables.Column(
        verbose_name="Outcome area", accessor="outcome_area__name", order_by=("outcome_area__name", "name", "pk")
    )
    unit = tables.Column(order_by=("unit", "name", "pk"))
    direction = tables.Column(verbose_name="Better when", order_by=("direction", "name", "pk"))
    cost_per_outcome = tables.Column(verbose_name="Cost per outcome", accessor="pk", orderable=False)
    result_count = tables.Column(verbose_name="Results", attrs=NUMERIC, order_by=("result_count", "name", "pk"))
    change = tables.Column(
        verbose_name=mark_safe('<span class="govuk-visually-hidden">Actions</span>'),
        accessor="pk",
        orderable=False,
    )

    class Meta:
        model = OutcomeMeasure
        fields = ("name", "outcome_area", "unit", "direction", "cost_per_outcome", "result_count", "change")
        order_by = "name"
        empty_text = "The catalogue is empty."
        attrs = {"class": "govuk-table", "id": "measures"}

    def __init__(self, *args, editable=False, **kwargs):
        super().__init__(*args, exclude=() if editable else ("change",), **kwargs)
        self.caption = "Outcome measures"
        self.caption_class = "govuk-visually-hidden"

    def render_name(self, record):
        if record.description:
            return format_html('{}<br><span class="govuk-body-s">{}</span>', record.name, record.description)
        return record.name

    def render_cost_per_outcome(self, record):
        return "Worked out (it counts children, families or cases)" if record.is_count else "Not worked out"

    def render_change(self, record):
        return format_html(
            '<a class="govuk-link" href="{}">Change<span class="govuk-visually-hidden"> {}</span></a>',
            table_url(self, "evaluations:measure-edit", measure_pk=record.pk),
            record.name,
        )

import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from core.tables import table_url
from core.templatetags.govuk import money
from grants.models import Organisation, Programme, Round, Variation

LINK = {"a": {"class": "govuk-link"}}
NUMERIC = {"th": {"class": "govuk-table__header--numeric"}, "td": {"class": "govuk-table__cell--numeric"}}


def _change_link(url, name):
    return format_html(
        '<a class="govuk-link" href="{}">Change<span class="govuk-visually-hidden"> {}</span></a>', url, name
    )


# Setting up the programme (grants/setup_views.py)


class ProgrammeTable(tables.Table):
    """Rows come from the set-up list, annotated with ``round_count``."""

    name = tables.Column(
        linkify={"viewname": "setup:programme", "kwargs": {"programme_pk": tables.A("pk")}}, attrs=LINK
    )
    code = tables.Column(verbose_name="Code")
    funder = tables.Column(verbose_name="Funder", accessor="funder__name", order_by=("funder__name",))
    budget = tables.Column(attrs=NUMERIC)
    start_date = tables.DateColumn(format="j M Y", verbose_name="Starts")
    end_date = tables.DateColumn(format="j M Y", verbose_name="Ends")
    round_count = tables.Column(verbose_name="Rounds", attrs=NUMERIC)

    class Meta:
        model = Programme
        fields = ("name", "code", "funder", "budget", "start_date", "end_date", "round_count")
        order_by = "name"
        empty_text = "No programmes yet."
        attrs = {"class": "govuk-table"}

    def render_budget(self, value):
        return money(value)


class RoundTable(tables.Table):
    """A programme's rounds, each annotated with ``awarded`` (its grants' awards, less withdrawn ones)."""

    number = tables.Column(verbose_name="Round", attrs=NUMERIC)
    name = tables.Column()
    budget = tables.Column(attrs=NUMERIC)
    awarded = tables.Column(verbose_name="Awarded", attrs=NUMERIC)
    start_date = tables.DateColumn(format="j M Y", verbose_name="Starts")
    end_date = tables.DateColumn(format="j M Y", verbose_name="Ends")
    change = tables.Column(empty_values=(), orderable=False, verbose_name="Actions")

    class Meta:
        model = Round
        fields = ("number", "name", "budget", "awarded", "start_date", "end_date")
        order_by = "number"
        empty_text = "This programme has no rounds yet."
        attrs = {"class": "govuk-table"}

    def __init__(self, *args, can_change=False, **kwargs):
        super().__init__(*args, exclude=() if can_change else ("change",), **kwargs)

    def render_budget(self, value):
        return money(value)

    def render_awarded(self, value):
        return money(value)

    def render_change(self, record):
        return _change_link(table_url(self, "setup:round-edit", round_pk=record.pk), record.name)


class OrganisationTable(tables.Table):
    name = tables.Column(
        linkify={"viewname": "setup:organisation", "kwargs": {"organisation_pk": tables.A("pk")}}, attrs=LINK
    )
    kind = tables.Column()
    org_id = tables.Column(verbose_name="org-id")
    gss_code = tables.Column(verbose_name="GSS code", default="")
    valid_to = tables.DateColumn(format="j M Y", verbose_name="Ended", default="")

    class Meta:
        model = Organisation
        fields = ("name", "kind", "org_id", "gss_code", "valid_to")
        order_by = "name"
        empty_text = "No organisations match."
        attrs = {"class": "govuk-table"}

    def render_kind(self, record):
        return record.get_kind_display()


# Variations (grants/views.py variations, and the grant and allocation pages)


def _variation_of(variation):
    if variation.allocation_id:
        return f"Allocation to {variation.allocation.recipient}, {variation.allocation.financial_year}"
    return "The award"


class VariationTable(tables.Table):
    """Variations with ``requested_by``, ``decided_by`` and the allocation's recipient joined. On the
    variations page the decided ones, sorted and paged; on a grant's or an allocation's page all of
    its variations as the view orders them (``orderable=False``, so the rows are the view's own)."""

    requested_at = tables.Column(verbose_name="Asked for", order_by=("requested_at", "pk"))
    of = tables.Column(verbose_name="Of", accessor="pk", orderable=False)
    amount_before = tables.Column(verbose_name="Before", attrs=NUMERIC)
    amount_after = tables.Column(verbose_name="After", attrs=NUMERIC)
    reason = tables.Column(orderable=False)
    decision = tables.Column(
        verbose_name="Decision", accessor="decided_at", order_by=("decided_at", "pk"), empty_values=()
    )

    class Meta:
        model = Variation
        fields = ("requested_at", "of", "amount_before", "amount_after", "reason", "decision")
        empty_text = "No variations: the amounts are as first recorded."
        attrs = {"class": "govuk-table", "id": "variations-table"}

    def __init__(self, *args, caption="Variations", **kwargs):
        super().__init__(*args, **kwargs)
        self.caption = caption
        self.caption_class = "govuk-visually-hidden"

    def render_requested_at(self, record):
        return f"{date_format(localtime(record.requested_at), 'j M Y')} by {record.requested_by}"

    def render_of(self, record):
        return _variation_of(record)

    def render_amount_before(self, value):
        return money(value)

    def render_amount_after(self, value):
        return money(value)

    def render_reason(self, record):
        if record.releases_recovered:
            return format_html(
                '{}<br><span class="govuk-body-s">Re-profiles {} recovered</span>',
                record.reason,
                money(record.releases_recovered),
            )
        return record.reason

    def render_decision(self, record):
        if record.status == Variation.Status.PENDING:
            return format_html('<strong class="govuk-tag govuk-tag--yellow">{}</strong>', "Waiting for approval")
        note = f": {record.decision_note}" if record.decision_note else ""
        decided_on = date_format(localtime(record.decided_at), "j M Y")
        return f"{record.get_status_display()} {decided_on} by {record.decided_by}{note}"


# Reconciliation (grants/views.py reconciliation)


class DiscrepancyTable(tables.Table):
    """grants.reconciliation.Discrepancy rows: a list worked out once and shared, so sorted in Python."""

    grant = tables.Column(
        verbose_name="Grant",
        accessor="grant__title",
        linkify=("grants:detail", {"grant_pk": tables.A("grant__pk")}),
        attrs=LINK,
        order_by=("grant__title", "grant__pk"),
    )
    allocation = tables.Column(accessor="allocation", empty_values=(), orderable=False)
    message = tables.Column(verbose_name="Discrepancy", order_by=("kind", "grant__title"))
    expected = tables.Column(attrs=NUMERIC, orderable=False)
    actual = tables.Column(attrs=NUMERIC, orderable=False)
    difference = tables.Column(attrs=NUMERIC)

    class Meta:
        attrs = {"class": "govuk-table", "id": "discrepancies"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.caption = "Differences"
        self.caption_class = "govuk-visually-hidden"

    def render_allocation(self, record):
        if record.allocation is None:
            return "Whole grant"
        return f"{record.allocation.recipient} {record.allocation.financial_year}"

    def render_message(self, record):
        if record.expected_because:
            return format_html(
                '{}<br><strong class="govuk-tag govuk-tag--grey">Expected</strong> '
                '<span class="govuk-body-s">On purpose: {}</span>',
                record.message,
                record.expected_because,
            )
        return record.message

    def render_expected(self, value):
        return money(value)

    def render_actual(self, value):
        return money(value)

    def render_difference(self, value):
        return money(value)

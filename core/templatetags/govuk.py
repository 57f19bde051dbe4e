"""Small pieces of GOV.UK markup used on many pages: money, state tags and the
mark on invented demo figures."""

from decimal import Decimal

from django import template
from django.utils.html import format_html

register = template.Library()

_TAG_COLOURS = {
    # milestones
    "planned": "grey",
    "submitted": "blue",
    "accepted": "green",
    "returned": "orange",
    # projects and grants
    "proposed": "grey",
    "awarded": "light-blue",
    "active": "green",
    "closing": "yellow",
    "closed": "grey",
    "withdrawn": "red",
    # RAG ratings
    "red": "red",
    "amber": "orange",
    "green": "green",
    # spend returns, evaluations
    "reviewed": "green",
    "in_progress": "blue",
    "interim": "light-blue",
    "final": "green",
}


@register.filter
def money(value):
    """£1,234,567.89; a dash for no value. Negative amounts as -£12.00."""
    if value is None or value == "":
        return "–"
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


@register.simple_tag
def status_tag(value, label=None):
    colour = _TAG_COLOURS.get(value, "grey")
    return format_html('<strong class="govuk-tag govuk-tag--{}">{}</strong>', colour, label or value)


@register.simple_tag
def illustrative(obj, flag="illustrative"):
    """Marks a figure invented for the demonstration, wherever it is shown."""
    if getattr(obj, flag, False):
        return format_html(
            '<strong class="govuk-tag govuk-tag--grey app-illustrative" title="{}">Illustrative</strong>',
            "An invented figure for the demonstration, not a figure from the real programme",
        )
    return ""

"""Small pieces of GOV.UK markup used on many pages: money, state tags, and the mark on
figures invented for the demonstration with its legend."""

from decimal import Decimal

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from core.exports import ILLUSTRATIVE_NOTE

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


# The mark on a figure with an invented (illustrative) demo row behind it, and the legend that
# explains it. A table that may hold a mark sits inside {% illustrative_legend %}: the legend
# follows it when, and only when, a mark was rendered in it (by a template, an include or
# a django-tables2 column alike), so the mark is never left unexplained nor the legend shown idle.
ILLUSTRATIVE_MARK = format_html(
    '<sup class="app-illustrative"><span aria-hidden="true">{}</span>'
    '<span class="govuk-visually-hidden"> Illustrative</span></sup>',
    "\u2020",
)
ILLUSTRATIVE_LEGEND = format_html(
    '<p class="govuk-body-s app-legend-illustrative"><span aria-hidden="true">{}</span> {}</p>',
    "\u2020",
    ILLUSTRATIVE_NOTE,
)


def illustrative_mark(marked) -> str:
    """The mark, or nothing: for figures put together in Python (a django-tables2 column)."""
    return ILLUSTRATIVE_MARK if marked else ""


@register.simple_tag
def illustrative(subject, flag="illustrative"):
    """The mark beside one figure: ``subject`` is whether it is marked, or an object whose ``flag``
    says so (a payment's ``illustrative``, a grant's ``dates_are_illustrative``). Put it straight
    after the figure, and only after a figure shown: never beside a dash."""
    marked = subject if isinstance(subject, bool) else getattr(subject, flag, False)
    return illustrative_mark(marked)


MARK_IN_HTML = 'class="app-illustrative"'


class IllustrativeLegendNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        content = self.nodelist.render(context)
        return content + ILLUSTRATIVE_LEGEND if MARK_IN_HTML in content else content


@register.tag
def illustrative_legend(parser, token):
    """``{% illustrative_legend %}<table>...</table>{% endillustrative_legend %}``: the table, then the
    legend of the mark if the table holds one. One table to a legend: do not nest them."""
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% illustrative_legend %} takes no arguments")
    nodelist = parser.parse(("endillustrative_legend",))
    parser.delete_first_token()
    return IllustrativeLegendNode(nodelist)


def _option_attrs(attrs) -> str:
    """As Django's attrs.html: in order, a true one by its name alone, a false one left out."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


@register.simple_tag
def select_options(optgroups):
    """A select's options and option groups, put together in Python: Django's own template includes a
    template for each option, and a select of every organisation (hundreds of options) took most of a
    form page's time. The markup is the same, checked against Django's templates in
    tests/core/test_select_options.py."""
    parts = []
    for group_name, options, _ in optgroups:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(
            f'\n  <option value="{conditional_escape(option["value"])}"{_option_attrs(option["attrs"])}>'
            f"{conditional_escape(option['label'])}</option>"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    return mark_safe("".join(parts))

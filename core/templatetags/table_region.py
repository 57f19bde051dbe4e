"""The one place a table is made to fit the screen: it scrolls sideways inside its own region, so the
page never does (issue 20). The GOV.UK table template for django-tables2 (templates/tables/govuk_table.html)
wraps itself with it, and so does every table still written by hand:

    {% load table_region %}
    {% table_region %}<table class="govuk-table"><caption id="grants-caption" ...>...</table>{% endtable_region %}

A region a keyboard user can reach needs a name a screen reader can announce, and the table's caption is
that name: the region points at the caption by its id, takes the caption's words when it has no id, and
takes ``label="..."`` only for a table with no caption at all."""

import re

from django import template
from django.utils.html import format_html, strip_tags

from core.tables import render_rows

register = template.Library()

_CAPTION = re.compile(r"<caption\b([^>]*)>(.*?)</caption>", re.DOTALL | re.IGNORECASE)
_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")


def region_name(html: str, label: str = "") -> tuple[str, str]:
    """``("aria-labelledby", id)`` or ``("aria-label", words)`` for the first table in ``html``."""
    caption = _CAPTION.search(html)
    if caption:
        caption_id = _ID.search(caption.group(1))
        if caption_id:
            return "aria-labelledby", caption_id.group(1)
        words = " ".join(strip_tags(caption.group(2)).split())
        if words:
            return "aria-label", words
    if label:
        return "aria-label", str(label)
    # A nameless focusable region is an accessibility failure; say so while the page is being written.
    raise template.TemplateSyntaxError("{% table_region %} needs a table with a <caption> or a label")


class TableRegionNode(template.Node):
    def __init__(self, nodelist, label):
        self.nodelist = nodelist
        self.label = label

    def render(self, context):
        content = self.nodelist.render(context)
        label = self.label.resolve(context) if self.label is not None else ""
        attribute, value = region_name(content, label)
        return format_html(
            '<div class="app-table-scroll" role="region" {}="{}" tabindex="0">{}</div>', attribute, value, content
        )


@register.tag
def table_region(parser, token):
    """``{% table_region %}...{% endtable_region %}`` or ``{% table_region label="Payments waiting" %}``."""
    bits = token.split_contents()[1:]
    label = None
    for bit in bits:
        name, _, value = bit.partition("=")
        if name != "label" or not value:
            raise template.TemplateSyntaxError('{% table_region %} takes only label="..."')
        label = parser.compile_filter(value)
    nodelist = parser.parse(("endtable_region",))
    parser.delete_first_token()
    return TableRegionNode(nodelist, label)


class TableRowsNode(template.Node):
    def __init__(self, table):
        self.table = table

    def render(self, context):
        return render_rows(self.table.resolve(context), context)


@register.tag
def table_rows(parser, token):
    """``{% table_rows table %}``: a django-tables2 table's rows for its current page, each cell worked out
    once per column rather than once per cell (core/tables.py)."""
    bits = token.split_contents()[1:]
    if len(bits) != 1:
        raise template.TemplateSyntaxError("{% table_rows %} takes the table")
    return TableRowsNode(parser.compile_filter(bits[0]))

"""A money figure's label, linked to its meaning on the glossary page (/help/money/)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from grants.money import GLOSSARY

register = template.Library()
TERMS = {key: term for key, term, _ in GLOSSARY}


@register.simple_tag
def term(key: str, label: str = "") -> str:
    """``{% term "net-paid" %}`` gives the label "Net paid" linked to its definition; ``label`` overrides
    the words shown. An unknown key is a mistake in a template, so it fails loudly."""
    if key not in TERMS:
        raise template.TemplateSyntaxError(f"No money term {key!r} in grants.money.GLOSSARY")
    return format_html(
        '<a class="govuk-link govuk-link--no-visited-state" href="{}#{}">{}</a>',
        reverse("money-glossary"),
        key,
        label or TERMS[key],
    )

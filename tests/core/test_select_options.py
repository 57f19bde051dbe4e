"""Selects are put together in Python (core.templatetags.govuk.select_options) rather than with a template
per option. The markup must be what Django's own templates give, for every kind of select."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from core.forms import GovukRenderer
from grants.models import Organisation
from tests.factories import OrganisationFactory


def _normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


class _DisablesTheSecond(forms.Select):
    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if index == 1:
            option["attrs"].update({"disabled": True, "data-note": 'says "why" & <how>'})
        return option


CHOICES = [
    ("", "Choose one"),
    ("a&b", "A & <B>"),
    ("Group “quoted” & <odd>", [(1, "One"), (2, "Two")]),
    ("Empty group", []),
]


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.Select(choices=CHOICES, attrs={"class": "govuk-select"}), "a&b"),
        (forms.Select(choices=CHOICES), 2),
        (forms.Select(choices=CHOICES), None),
        (forms.SelectMultiple(choices=CHOICES), [1, "a&b"]),
        (forms.NullBooleanSelect(), True),
        (_DisablesTheSecond(choices=CHOICES), 1),
    ],
    ids=["selected-at-top", "selected-in-group", "none-selected", "multiple", "null-boolean", "option-attributes"],
)
def test_a_select_is_marked_up_as_djangos_own_templates_would(widget, value):
    ours = widget.render("field", value, attrs={"id": "id_field"}, renderer=GovukRenderer())
    djangos = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())

    assert _normalised(ours) == _normalised(djangos)
    assert ours.count("<option") == djangos.count("<option")


@pytest.mark.django_db
def test_a_select_of_organisations_keeps_its_values_and_the_one_chosen():
    chosen = OrganisationFactory(name="Harrow & <District>")
    OrganisationFactory(name="Derbyshire")
    field = forms.ModelChoiceField(queryset=Organisation.objects.order_by("name"))

    ours = field.widget.render("authority", chosen.pk, renderer=GovukRenderer())

    assert f'<option value="{chosen.pk}" selected>Harrow &amp; &lt;District&gt;</option>' in ours
    assert _normalised(ours) == _normalised(field.widget.render("authority", chosen.pk, renderer=DjangoTemplates()))

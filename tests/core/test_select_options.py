"""Selects are put together in Python (core.templatetags.govuk.select_options) rather than with a template
per option. The markup must be what Django's own templates give, for every kind of select."""

import re
from unittest import mock

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from core.forms import GovukForm, GovukRenderer, LabelledChoices
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


class _OrganisationForm(GovukForm):
    by_str = forms.ModelChoiceField(queryset=Organisation.objects.order_by("name"), empty_label="Choose one")
    many = forms.ModelMultipleChoiceField(queryset=Organisation.objects.order_by("name"), required=False)
    by_kind = forms.ModelChoiceField(queryset=Organisation.objects.order_by("name"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["by_kind"].label_from_instance = lambda organisation: f"{organisation} ({organisation.kind})"


@pytest.mark.django_db
def test_organisation_choices_read_as_names_give_the_options_whole_objects_give(django_assert_num_queries):
    """core.forms.LabelledChoices reads an organisation select's options as (key, name) pairs: the same
    options, in the same order, as Django's iterator of whole objects, and a field that labels its choices
    its own way still gets its labels."""
    chosen = OrganisationFactory(name="Bristol City Council")
    OrganisationFactory(name="Achieving for Children & <Others>")
    OrganisationFactory(name="Zeal Trust")
    form = _OrganisationForm(initial={"by_str": chosen.pk, "many": [chosen.pk], "by_kind": chosen.pk})

    for name in ("by_str", "many"):
        field = form.fields[name]
        assert isinstance(field.widget.choices, LabelledChoices)
        with django_assert_num_queries(1), mock.patch.object(Organisation, "from_db", side_effect=AssertionError):
            ours = str(form[name])  # no organisation built
        field.widget.choices = forms.models.ModelChoiceIterator(field)
        assert ours == str(form[name])
        assert ">Achieving for Children &amp; &lt;Others&gt;</option>" in ours
        assert f'<option value="{chosen.pk}" selected>Bristol City Council</option>' in ours
    assert f"Bristol City Council ({chosen.kind})</option>" in str(form["by_kind"])

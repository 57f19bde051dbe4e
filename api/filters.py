"""The lists' filters where the pages have none to reuse (the project, organisation and outcome result lists
use the pages' own FilterSets), the query schema that documents a FilterSet's parameters in the OpenAPI
description, and the one way a list applies its FilterSet to the request."""

import datetime as dt
from typing import Literal

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from ninja import Schema
from pydantic import Field, create_model

from evaluations.models import Evaluation
from grants.financial_year import FinancialYear
from grants.models import Grant, Payment, SpendReturn
from projects.models import Milestone

# The cursor paging's own parameters (api.paging.CursorPagination.Input), which no FilterSet names.
PAGING_PARAMETERS = {"cursor", "limit"}
BIGGEST_ID = 2**63 - 1


class IdFilter(django_filters.Filter):
    """An object's id: a whole number, so "1.5" or "abc" is refused rather than matched loosely."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGGEST_ID)
        super().__init__(*args, **kwargs)


class FinancialYearFormField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if value:
            try:
                FinancialYear.parse(value)
            except ValueError:
                raise ValidationError('Give a financial year like "2016-17"') from None
        return value


class FinancialYearFilter(django_filters.CharFilter):
    field_class = FinancialYearFormField

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(**{self.field_name: FinancialYear.parse(value).start_year})


class ProgrammeFilter(django_filters.FilterSet):
    """A fund has a handful of programmes: none to filter, but a parameter is still checked (``apply``)."""


class RoundFilter(django_filters.FilterSet):
    programme = IdFilter(field_name="programme_id", label="Programme id")


class GrantFilter(django_filters.FilterSet):
    project = IdFilter(field_name="project_id", label="Project id")
    round = IdFilter(field_name="round_id", label="Round id")
    status = django_filters.ChoiceFilter(choices=Grant.Status.choices, label="Status")


class AllocationFilter(django_filters.FilterSet):
    grant = IdFilter(field_name="grant_id", label="Grant id")
    project = IdFilter(field_name="grant__project_id", label="Project id")
    recipient = IdFilter(field_name="recipient_id", label="Recipient organisation id")
    financial_year = FinancialYearFilter(field_name="financial_year", label='Financial year, "2016-17"')


class PaymentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Payment.Kind.choices, label="Payment or recovery")
    allocation = IdFilter(field_name="allocation_id", label="Allocation id")
    project = IdFilter(field_name="allocation__grant__project_id", label="Project id")
    milestone = IdFilter(field_name="milestone_id", label="Milestone id")
    # ISO dates only: the pages also take 31/03/2016, which a machine could mean the American way round.
    paid_from = django_filters.DateFilter(
        field_name="paid_on", lookup_expr="gte", input_formats=["%Y-%m-%d"], label="Paid on or after (YYYY-MM-DD)"
    )
    paid_to = django_filters.DateFilter(
        field_name="paid_on", lookup_expr="lte", input_formats=["%Y-%m-%d"], label="Paid on or before (YYYY-MM-DD)"
    )


class SpendReturnFilter(django_filters.FilterSet):
    allocation = IdFilter(field_name="allocation_id", label="Allocation id")
    project = IdFilter(field_name="allocation__grant__project_id", label="Project id")
    status = django_filters.ChoiceFilter(choices=SpendReturn.Status.choices, label="Status")
    quarter = django_filters.ChoiceFilter(choices=[(str(n), str(n)) for n in (1, 2, 3, 4)], label="Quarter, 1 to 4")


class MilestoneFilter(django_filters.FilterSet):
    project = IdFilter(field_name="project_id", label="Project id")
    organisation = IdFilter(field_name="organisation_id", label="Delivering organisation id")
    status = django_filters.ChoiceFilter(choices=Milestone.Status.choices, label="Status")


class EvaluationFilter(django_filters.FilterSet):
    project = IdFilter(field_name="projects", label="Project id")
    status = django_filters.ChoiceFilter(choices=Evaluation.Status.choices, label="Status")
    design = django_filters.ChoiceFilter(choices=Evaluation.Design.choices, label="Design")


# The financial years a fund can name, for the description ("2016-18" fits a pattern but is no year).
FINANCIAL_YEARS = [str(FinancialYear(year)) for year in range(1990, 2050)]


def _parameter_type(filter_):
    """The type a filter's query parameter is described (and first checked) as: an id a whole number, a choice
    one of its values, a date ISO 8601, a financial year one of FINANCIAL_YEARS, anything else text."""
    if isinstance(filter_, (IdFilter, django_filters.ModelChoiceFilter)):
        return int | None, {"ge": 1, "le": BIGGEST_ID}
    if isinstance(filter_, django_filters.ChoiceFilter) and isinstance(filter_.extra.get("choices"), (list, tuple)):
        return Literal[tuple(str(value) for value, _ in filter_.extra["choices"])] | None, {}
    if isinstance(filter_, django_filters.DateFilter):
        return dt.date | None, {}
    if isinstance(filter_, FinancialYearFilter):
        return Literal[tuple(FINANCIAL_YEARS)] | None, {}
    return str | None, {}


def query_schema(filterset_class, name: str) -> type[Schema]:
    """A ninja query Schema naming ``filterset_class``'s filters, so the OpenAPI description lists each list's
    parameters with what each accepts. The FilterSet still judges the values the pages' way (``apply``)."""
    fields = {}
    for field_name, filter_ in filterset_class.base_filters.items():
        description = str(filter_.label or field_name)
        if help_text := filter_.extra.get("help_text"):
            description += f": {help_text}"
        kind, limits = _parameter_type(filter_)
        fields[field_name] = (kind, Field(None, description=description, **limits))
    return create_model(name, __base__=Schema, **fields)


def _only_unknown_objects(filterset) -> bool:
    """Whether every value refused names an object that is not there (an id no round has, say)."""
    for name, errors in filterset.form.errors.as_data().items():
        if not isinstance(filterset.filters.get(name), django_filters.ModelChoiceFilter):
            return False
        if any(error.code != "invalid_choice" for error in errors):
            return False
    return True


def apply(filterset_class, request, queryset):
    """``queryset`` filtered by the request's query parameters through ``filterset_class``. A parameter no filter
    names, or a value the filter refuses, is a ValidationError naming it (a 422 problem), never ignored."""
    unknown = sorted(set(request.GET) - set(filterset_class.base_filters) - PAGING_PARAMETERS)
    if unknown:
        known = ", ".join(sorted(set(filterset_class.base_filters) | PAGING_PARAMETERS))
        raise ValidationError({name: f"This list has no “{name}” filter: it takes {known}." for name in unknown})
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    if not filterset.is_valid():
        # A well-formed id of an object that is not there (or not the owner's to see) matches nothing: an empty
        # list, which also tells no one whether such an object exists.
        if _only_unknown_objects(filterset):
            return queryset.none()
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    return filterset.qs

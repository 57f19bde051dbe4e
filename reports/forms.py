"""The reports' forms. The spending report's filters: a GET form whose option
lists never grow with the data. A project is named by its reference and an
organisation by its org-id or name, typed, rather than chosen from a list of
every project or organisation; a round by its number. Only the programme is a
list: a funder runs a handful. The board pack's form: the day it is as at.

Both take an "as at" day the same way: a real date, today or earlier (figures
cannot be as at a day to come), and not before the first financial year the
service records."""

import datetime as dt

from django import forms

from core.fields import TODAY, DateField
from core.forms import GovukForm
from grants.financial_year import FIRST_YEAR, FinancialYear
from grants.models import Programme
from grants.organisations import organisation_typed
from projects.models import Project
from reports.spending_filters import AUTHORITY_TYPES, QUARTER_NAMES, SpendingFilters
from reports.spending_rows import GROUPINGS, PROJECT

EARLIEST = dt.date(FIRST_YEAR, 4, 1)  # the first day of the first financial year the service records


class SpendingFilterForm(GovukForm):
    group = forms.ChoiceField(
        label="Group by",
        choices=[(key, grouping.label) for key, grouping in GROUPINGS.items()],
        required=False,
        error_messages={"invalid_choice": "Choose to group by project, organisation, financial year, quarter or round"},
    )
    programme = forms.ModelChoiceField(
        label="Programme",
        queryset=Programme.objects.order_by("name"),
        required=False,
        empty_label="All programmes",
        error_messages={"invalid_choice": "Choose a programme from the list"},
    )
    round = forms.IntegerField(
        label="Round number",
        required=False,
        min_value=1,
        max_value=999,
        help_text="For example, 2 (of every programme, unless you choose one)",
        error_messages={
            "invalid": "Enter a round number, such as 2",
            "min_value": "Enter a round number of 1 or more",
            "max_value": "Enter a round number of 999 or less",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
    )
    project = forms.CharField(
        label="Project reference",
        required=False,
        max_length=30,
        help_text="For example, R1-01",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )
    organisation = forms.CharField(
        label="Organisation receiving the money",
        required=False,
        max_length=200,
        help_text="Its org-id, such as GB-LAE-DBY, or its name",
    )
    authority_type = forms.ChoiceField(
        label="Authority type",
        choices=[("", "Any"), *AUTHORITY_TYPES],
        required=False,
        help_text="Of the organisation receiving the money",
        error_messages={"invalid_choice": "Choose an authority type from the list"},
    )
    financial_year = forms.CharField(
        label="Financial year",
        required=False,
        max_length=7,
        help_text="Such as 2016-17: payments made in it, and the allocations, spending and forecasts for it",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )
    quarter = forms.ChoiceField(
        label="Position at the end of",
        choices=[("", "The whole year"), *((str(n), name) for n, name in QUARTER_NAMES.items())],
        required=False,
        help_text="Needs a financial year",
        error_messages={"invalid_choice": "Choose a quarter from 1 to 4"},
    )
    as_at = DateField(
        label="As at the end of",
        noun="the “as at” date",
        required=False,
        earliest=EARLIEST,
        latest=TODAY,
        help_text="Leave empty for the figures as they stand now, or enter a day to see them as they were recorded "
        "then. For example, 31 3 2019",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_group(self):
        return self.cleaned_data["group"] or PROJECT

    def clean_project(self):
        reference = self.cleaned_data["project"].strip()
        if not reference:
            return None
        project = Project.objects.for_user(self.user).filter(reference__iexact=reference).first()
        if project is None:
            raise forms.ValidationError(f"No project has the reference “{reference}”. Enter a reference such as R1-01")
        return project

    def clean_organisation(self):
        return organisation_typed(self.cleaned_data["organisation"])

    def clean_financial_year(self):
        text = self.cleaned_data["financial_year"].strip()
        if not text:
            return None
        try:
            if text.isdigit() and len(text) == 4:
                return FinancialYear(int(text))
            return FinancialYear.parse(text)
        except ValueError:
            raise forms.ValidationError("Enter a financial year like 2016-17") from None

    def clean_quarter(self):
        return int(self.cleaned_data["quarter"]) if self.cleaned_data["quarter"] else None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("quarter") and "financial_year" in cleaned and not cleaned["financial_year"]:
            self.add_error("quarter", "Enter a financial year to see the position at the end of one of its quarters")
        return cleaned

    def filters(self) -> SpendingFilters:
        data = self.cleaned_data
        return SpendingFilters(
            programme=data["programme"],
            round_number=data["round"],
            project=data["project"],
            organisation=data["organisation"],
            authority_type=data["authority_type"],
            financial_year=data["financial_year"],
            quarter=data["quarter"],
            as_at=data["as_at"],
        )


class BoardPackForm(GovukForm):
    date = DateField(
        label="Date of the board pack",
        noun="the date of the board pack",
        earliest=EARLIEST,
        latest=TODAY,
        help_text="The figures are as recorded at the end of this day. For example, 31 3 2016",
    )

"""Forms for grants, allocations, payments, recoveries and spend returns.

The forms check the shape of what was typed; the money rules themselves are
checked by grants.services under row locks, and their refusals are put back on
these forms by the views.
"""

import datetime as dt
from decimal import Decimal

from django import forms
from django.conf import settings
from django.db.models import Q

from core.fields import TODAY, DateField, MoneyField
from core.forms import GovukForm, GovukModelForm
from grants.financial_year import FIRST_YEAR, LAST_YEAR, FinancialYear, financial_year_choices
from grants.models import Grant, Organisation, Programme, RecoveryReason, Round
from grants.org_ids import internal_id

# The service records financial years from April 1990 to March of the year after LAST_YEAR:
# a grant's dates fall within them, and money is paid or recovered on a day that has come.
FIRST_DAY = dt.date(FIRST_YEAR, 4, 1)
LAST_DAY = dt.date(LAST_YEAR + 1, 3, 31)


def variation_reason_field():
    """Why an amount changes: a variation needs a reason (grants.services checks it is given)."""
    return forms.CharField(
        label="Reason for the change (a variation)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Needed when the amount changes. A change of more than £{settings.VARIATION_APPROVAL_THRESHOLD:,} "
        "waits for another programme officer's approval.",
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"},
    )


def late_reason_field():
    """Why a final payment is made after the grant's planned end (grants.services asks for it then)."""
    return forms.CharField(
        label="Reason for paying after the grant's planned end (only if it is later)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A final payment after the planned end needs a recorded reason.",
        error_messages={"max_length": "The reason must be 1,000 characters or fewer"},
    )


def taking_part(project):
    """The organisations that may receive money from a project's grants: its lead and partners."""
    return Organisation.objects.filter(Q(pk=project.lead_organisation_id) | Q(partnerships__project=project)).distinct()


class GrantForm(GovukModelForm):
    amount_awarded = MoneyField(label="Amount awarded, in pounds", noun="the amount awarded")
    award_date = DateField(label="Award date", noun="the award date", earliest=FIRST_DAY, latest=LAST_DAY)
    planned_start = DateField(label="Planned start", noun="the planned start date", earliest=FIRST_DAY, latest=LAST_DAY)
    planned_end = DateField(label="Planned end", noun="the planned end date", earliest=FIRST_DAY, latest=LAST_DAY)
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "The description must be 5,000 characters or fewer"},
    )
    unallocated_reason = forms.CharField(
        label="Why part of the award is left unallocated on purpose (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Reconciliation then lists the allocations' shortfall as expected, not as a problem to put right.",
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"},
    )
    reason = variation_reason_field()

    class Meta:
        model = Grant
        fields = [
            "round",
            "recipient",
            "title",
            "description",
            "amount_awarded",
            "award_date",
            "planned_start",
            "planned_end",
            "unallocated_reason",
            "ggis_award_reference",
            "publishable",
        ]
        labels = {
            "round": "Funding round",
            "recipient": "Recipient",
            "title": "Title",
            "ggis_award_reference": "GGIS award reference (optional)",
            "publishable": "Include this grant in the 360Giving publication",
        }
        help_texts = {
            "recipient": "The organisation the grant is awarded to: usually the project's lead.",
            "publishable": "",
        }
        error_messages = {
            "round": {"required": "Choose the funding round", "invalid_choice": "Choose one of the programme's rounds"},
            "recipient": {
                "required": "Choose the recipient",
                "invalid_choice": "Choose an organisation that takes part in the project",
            },
            "title": {"required": "Enter the grant's title", "max_length": "The title must be 200 characters or fewer"},
            "ggis_award_reference": {"max_length": "The GGIS reference must be 40 characters or fewer"},
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["round"].queryset = Round.objects.filter(programme=project.programme_id)
        self.fields["round"].empty_label = "Choose a round"
        self.fields["recipient"].queryset = taking_part(project)
        self.fields["recipient"].empty_label = None
        if self.instance.pk is None:
            self.initial["recipient"] = project.lead_organisation_id
            del self.fields["reason"]

    def clean_ggis_award_reference(self):
        reference = self.cleaned_data["ggis_award_reference"].strip()
        if reference and Grant.objects.filter(ggis_award_reference=reference).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another grant already has this GGIS award reference")
        return reference

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", "The planned end must be the same as or after the planned start")
        return cleaned


class GrantStatusForm(GovukForm):
    status = forms.ChoiceField(label="New status", error_messages={"required": "Choose the new status"})
    reason = forms.CharField(
        label="Reason for the change",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter the reason for the change",
            "max_length": "The reason must be 1,000 characters or fewer",
        },
    )

    def __init__(self, *args, grant, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Grant.Status.choices)
        self.fields["status"].error_messages["invalid_choice"] = (
            f"A grant that is {grant.get_status_display().lower()} cannot move to that status"
        )
        self.fields["status"].choices = [("", "Choose a status")] + [
            (status, labels[status]) for status in grant.allowed_statuses()
        ]


class AllocationForm(GovukForm):
    recipient = forms.ModelChoiceField(
        label="Recipient",
        queryset=Organisation.objects.none(),
        empty_label="Choose an organisation",
        help_text="The project's lead or one of its partners.",
        error_messages={
            "required": "Choose the recipient",
            "invalid_choice": "Choose an organisation that takes part in the project",
        },
    )
    financial_year = forms.TypedChoiceField(
        label="Financial year",
        choices=financial_year_choices(),
        coerce=FinancialYear.parse,
        help_text="1 April to 31 March.",
        error_messages={
            "required": "Choose the financial year",
            "invalid_choice": "Choose a financial year from the list",
        },
    )
    resource = MoneyField(
        label="Resource, in pounds",
        noun="the resource amount",
        min_value=Decimal("0"),
        required=False,
        help_text="Revenue spending. Leave empty for £0.",
    )
    capital = MoneyField(
        label="Capital, in pounds",
        noun="the capital amount",
        min_value=Decimal("0"),
        required=False,
        help_text="Leave empty for £0.",
    )
    purpose = forms.CharField(
        label="Purpose (optional)",
        max_length=300,
        required=False,
        error_messages={"max_length": "The purpose must be 300 characters or fewer"},
    )
    reason = variation_reason_field()

    def __init__(self, *args, grant, allocation=None, **kwargs):
        if allocation is not None:
            kwargs.setdefault(
                "initial",
                {
                    "recipient": allocation.recipient_id,
                    "financial_year": str(allocation.financial_year),
                    "resource": allocation.resource,
                    "capital": allocation.capital,
                    "purpose": allocation.purpose,
                },
            )
        else:
            kwargs.setdefault("initial", {"financial_year": str(FinancialYear.of(grant.planned_start))})
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = taking_part(grant.project)
        if allocation is None:
            del self.fields["reason"]

    def clean(self):
        cleaned = super().clean()
        for name in ("resource", "capital"):
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = Decimal("0.00")
        if not self.errors and cleaned["resource"] + cleaned["capital"] <= 0:
            self.add_error("resource", "Enter a resource or capital amount: an allocation must be more than £0")
        return cleaned


class MilestonePaymentForm(GovukForm):
    paid_on = DateField(label="Payment date", noun="the payment date", earliest=FIRST_DAY, latest=TODAY)
    reference = forms.CharField(
        label="Remittance reference",
        max_length=60,
        help_text="The reference on the remittance advice or in the ledger.",
        error_messages={
            "required": "Enter the remittance reference",
            "max_length": "The reference must be 60 characters or fewer",
        },
    )
    late_reason = late_reason_field()


class PaymentForm(GovukForm):
    amount = MoneyField(label="Amount, in pounds", noun="the amount")
    paid_on = DateField(label="Payment date", noun="the payment date", earliest=FIRST_DAY, latest=TODAY)
    reference = forms.CharField(
        label="Remittance reference (optional)",
        max_length=60,
        required=False,
        error_messages={"max_length": "The reference must be 60 characters or fewer"},
    )
    milestone = forms.ModelChoiceField(
        label="Milestone this pays ahead of (optional)",
        queryset=None,
        required=False,
        empty_label="None",
        help_text="Only for a payment in advance of a milestone that has not been accepted yet.",
        error_messages={"invalid_choice": "Choose one of this allocation's unpaid milestones"},
    )
    in_advance = forms.BooleanField(label="This is a payment in advance", required=False)
    advance_reason = forms.CharField(
        label="Reason for paying in advance",
        max_length=1000,
        required=False,
        help_text="Needed for a payment in advance.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The reason must be 1,000 characters or fewer"},
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The note must be 1,000 characters or fewer"},
    )
    late_reason = late_reason_field()

    def __init__(self, *args, milestones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = milestones
        self.fields["milestone"].label_from_instance = lambda milestone: (
            f"{milestone.title} (£{milestone.payment_amount:,.2f}, due {milestone.due_date:%-d %B %Y})"
        )

    def clean(self):
        cleaned = super().clean()
        in_advance = cleaned.get("in_advance")
        if in_advance and not cleaned.get("advance_reason", "").strip() and "advance_reason" not in self.errors:
            self.add_error("advance_reason", "Give the reason for paying in advance")
        if cleaned.get("milestone") and not in_advance:
            self.add_error(
                "in_advance", "A payment ahead of a milestone that has not been accepted is a payment in advance"
            )
        return cleaned


class RecoveryForm(GovukForm):
    amount = MoneyField(label="Amount recovered, in pounds", noun="the amount recovered")
    paid_on = DateField(
        label="Date recovered", noun="the date the money was recovered", earliest=FIRST_DAY, latest=TODAY
    )
    recovery_reason = forms.ChoiceField(
        label="Why is the money recovered?",
        choices=[("", "Choose a reason"), *RecoveryReason.choices],
        help_text="Money recovered is held: it cannot be paid again until a programme officer varies the allocation.",
        error_messages={
            "required": "Choose why the money is recovered",
            "invalid_choice": "Choose one of the reasons listed",
        },
    )
    reason = forms.CharField(
        label="Details of the recovery",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter the reason for the recovery",
            "max_length": "The reason must be 1,000 characters or fewer",
        },
    )
    reference = forms.CharField(
        label="Reference (optional)",
        max_length=60,
        required=False,
        error_messages={"max_length": "The reference must be 60 characters or fewer"},
    )


class SpendReturnForm(GovukForm):
    quarter = forms.TypedChoiceField(
        label="Quarter",
        coerce=int,
        help_text="A return can be made once its quarter has begun.",
        error_messages={"required": "Choose the quarter", "invalid_choice": "Choose a quarter from the list"},
    )
    spent = MoneyField(
        label="Spent this quarter, in pounds", noun="the amount spent this quarter", min_value=Decimal("0")
    )
    forecast = MoneyField(
        label="Forecast for the rest of the financial year, in pounds",
        noun="the forecast for the rest of the year",
        min_value=Decimal("0"),
        help_text="What you expect to spend after this quarter, up to 31 March.",
    )
    comment = forms.CharField(
        label="Comment (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Explain any underspend or change in forecast.",
        error_messages={"max_length": "The comment must be 2,000 characters or fewer"},
    )

    def __init__(self, *args, allocation, amending=False, **kwargs):
        super().__init__(*args, **kwargs)
        months = {1: "April to June", 2: "July to September", 3: "October to December", 4: "January to March"}
        self.fields["quarter"].choices = [("", "Choose a quarter")] + [
            (period.number, f"Q{period.number}: {months[period.number]} {period.start.year}")
            for period in allocation.financial_year.quarters
        ]
        if amending:
            # The quarter is what the return is for; a different quarter is a different return.
            del self.fields["quarter"]


class VariationDecisionForm(GovukForm):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")],
        error_messages={
            "required": "Choose whether to approve or reject the variation",
            "invalid_choice": "Choose whether to approve or reject the variation",
        },
    )
    note = forms.CharField(
        required=False,
        max_length=1000,
        error_messages={"max_length": "The note must be 1,000 characters or fewer"},
    )


# Setting up the programme: programmes, rounds and organisations (grants.budgets checks the budgets and
# dates against each other under the programme's lock; these forms check what was typed).

SETUP_EARLIEST = dt.date(1800, 1, 1)  # councils and charities long predate the service's money


def _text(label, *, max_length, required=True, required_message="", textarea=False, help_text=""):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 4}) if textarea else forms.TextInput,
        error_messages={
            "required": required_message,
            "max_length": f"{label.removesuffix(' (optional)')} must be {max_length:,} characters or fewer",
        },
    )


def _dates_in_order(form, start_name, end_name, message):
    start, end = form.cleaned_data.get(start_name), form.cleaned_data.get(end_name)
    if start and end and end < start:
        form.add_error(end_name, message)


class ProgrammeForm(GovukModelForm):
    name = _text("Name", max_length=200, required_message="Enter the programme's name")
    description = _text("Description (optional)", max_length=5000, required=False, textarea=True)
    budget = MoneyField(label="Total budget, in pounds", noun="the budget", min_value=Decimal("0"))
    start_date = DateField(label="Start date", noun="the start date", earliest=FIRST_DAY, latest=LAST_DAY)
    end_date = DateField(label="End date", noun="the end date", earliest=FIRST_DAY, latest=LAST_DAY)

    class Meta:
        model = Programme
        fields = ["name", "code", "funder", "description", "budget", "ggis_scheme_reference", "start_date", "end_date"]
        labels = {"code": "Short code", "funder": "Funder", "ggis_scheme_reference": "GGIS scheme reference (optional)"}
        help_texts = {
            "code": "Letters, numbers and hyphens, for example cscip. The open data names the programme by it."
        }
        error_messages = {
            "name": {"unique": "Another programme already has this name"},
            "code": {
                "required": "Enter a short code",
                "unique": "Another programme already has this code",
                "invalid": "The short code may hold only letters, numbers, hyphens and underscores",
                "max_length": "The short code must be 40 characters or fewer",
            },
            "funder": {"required": "Choose the funder", "invalid_choice": "Choose a funder from the list"},
            "ggis_scheme_reference": {"max_length": "The GGIS reference must be 40 characters or fewer"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funder"].empty_label = "Choose an organisation"
        self.fields["funder"].queryset = Organisation.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        _dates_in_order(self, "start_date", "end_date", "The end date must be the same as or after the start date")
        return cleaned


class RoundForm(GovukModelForm):
    number = forms.IntegerField(
        label="Round number",
        min_value=1,
        max_value=999,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
        error_messages={
            "required": "Enter the round's number",
            "invalid": "The round's number must be a whole number, like 2",
            "min_value": "The round's number must be 1 or more",
            "max_value": "The round's number must be 999 or less",
        },
    )
    name = _text("Name", max_length=200, required_message="Enter the round's name")
    description = _text("Description (optional)", max_length=5000, required=False, textarea=True)
    budget = MoneyField(label="Budget, in pounds", noun="the budget", min_value=Decimal("0"))
    start_date = DateField(label="Start date", noun="the start date", earliest=FIRST_DAY, latest=LAST_DAY)
    end_date = DateField(label="End date", noun="the end date", earliest=FIRST_DAY, latest=LAST_DAY)

    class Meta:
        model = Round
        fields = ["number", "name", "description", "budget", "start_date", "end_date"]

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.programme = programme
        if self.instance.pk is None:
            self.initial.setdefault(
                "number", (programme.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
            )

    def clean(self):
        cleaned = super().clean()
        _dates_in_order(self, "start_date", "end_date", "The end date must be the same as or after the start date")
        return cleaned

    def validate_unique(self):
        pass  # grants.budgets checks the round's number under the programme's lock, with its own message


class SuccessorsField(forms.CharField):
    """The organisations that replaced one, typed as their org-ids, one a line: a list of every
    organisation would be most of the page."""

    def __init__(self, **kwargs):
        super().__init__(
            label="Replaced by (optional)",
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text="The org-id of each organisation that took over from it, one a line, for example GB-LAE-NNC",
            error_messages={"max_length": "The list of successors must be 2,000 characters or fewer"},
            **kwargs,
        )

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):  # the organisations themselves, as a model form's initial gives them
            return "\n".join(organisation.org_id for organisation in value)
        return value

    def clean(self, value):
        text = super().clean(value)
        wanted = list(dict.fromkeys(part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()))
        found = {org.org_id: org for org in Organisation.objects.filter(org_id__in=wanted)}
        missing = [org_id for org_id in wanted if org_id not in found]
        if missing:
            raise forms.ValidationError(
                f"No organisation has the org-id {', '.join(missing)}: add it first, or check the org-id"
            )
        return [found[org_id] for org_id in wanted]


def normal_postcode(text: str) -> str:
    """A postcode as typed ("de43ag", "DE4  3AG") in the form the register uses: capitals, one space."""
    squashed = "".join(text.split()).upper()
    return f"{squashed[:-3]} {squashed[-3:]}" if len(squashed) > 3 else squashed


class OrganisationForm(GovukModelForm):
    name = _text("Name", max_length=200, required_message="Enter the organisation's name")
    short_name = _text("Short name (optional)", max_length=100, required=False)
    org_id = forms.CharField(
        label="org-id (optional)",
        max_length=60,
        required=False,
        help_text="Its number on a public register, for example GB-CHC-1015665 or GB-COH-02702928. Leave it empty "
        "when it has none that you know: it is then given one under the publisher's own 360Giving prefix.",
        error_messages={
            "max_length": "The org-id must be 60 characters or fewer",
            "unique": "Another organisation already has this org-id",
        },
    )
    dfe_la_number = forms.IntegerField(
        label="DfE LA number (local authorities only, optional)",
        required=False,
        min_value=100,
        max_value=999,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
        error_messages={
            "invalid": "The DfE LA number must be a whole number of three digits, like 830",
            "min_value": "The DfE LA number must be three digits, like 830",
            "max_value": "The DfE LA number must be three digits, like 830",
        },
    )
    gss_code = forms.CharField(
        label="ONS GSS code (local authorities only, optional)",
        max_length=9,
        required=False,
        help_text="For example E10000007",
        error_messages={"max_length": "The GSS code must be 9 characters, like E10000007"},
    )
    postcode = forms.CharField(
        label="Postcode of its registered address (optional)",
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "postal-code"}),
        error_messages={"max_length": "Enter a full UK postcode, such as DE4 3AG"},
    )
    website = forms.URLField(
        label="Website (optional)",
        required=False,
        max_length=200,
        assume_scheme="https",
        error_messages={
            "invalid": "Enter the website's address, like https://www.example.org.uk",
            "max_length": "The website's address must be 200 characters or fewer",
        },
    )
    valid_from = DateField(
        label="Date it started (optional)", noun="the date it started", required=False, earliest=SETUP_EARLIEST
    )
    valid_to = DateField(
        label="Last day it existed (optional)", noun="the last day it existed", required=False, earliest=SETUP_EARLIEST
    )
    replaced_by = SuccessorsField()

    class Meta:
        model = Organisation
        fields = [
            "name",
            "short_name",
            "kind",
            "org_id",
            "authority_type",
            "gss_code",
            "dfe_la_number",
            "valid_from",
            "valid_to",
            "replaced_by",
            "website",
            "postcode",
        ]
        labels = {"kind": "Kind of organisation", "authority_type": "Authority type (local authorities only)"}
        error_messages = {
            "kind": {"required": "Choose the kind of organisation", "invalid_choice": "Choose a kind from the list"},
            "org_id": {"unique": "Another organisation already has this org-id"},
            "authority_type": {"invalid_choice": "Choose an authority type from the list"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Choose a kind"), *Organisation.Kind.choices]
        self.fields["authority_type"].choices = [("", "Not a local authority"), *Organisation.AuthorityType.choices]
        self.fields["authority_type"].help_text = ""
        if self.instance.pk:
            self.initial["replaced_by"] = "\n".join(self.instance.replaced_by.values_list("org_id", flat=True))

    def save(self, commit=True):
        # The audit copy of an organisation holds its own columns, not its successors: a change of them
        # is said in the copy's reason, so the history still shows who changed them and when.
        before = sorted(self.instance.replaced_by.values_list("org_id", flat=True)) if self.instance.pk else []
        after = sorted(organisation.org_id for organisation in self.cleaned_data["replaced_by"])
        if before != after:
            self.instance._change_reason = f"Replaced by: {', '.join(after) or 'none'}"
        return super().save(commit)

    def clean_org_id(self):
        value = "".join(self.cleaned_data["org_id"].split())
        # A register's prefixes and numbers are in capitals: "gb-chc-1015665" is the same charity.
        return value if value.startswith("360G-") else value.upper()

    def clean_gss_code(self):
        code = self.cleaned_data["gss_code"].strip().upper()
        if code and Organisation.objects.filter(gss_code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"Another organisation already has the GSS code {code}")
        return code

    def _internal_id(self, name):
        """An identifier under the publisher's prefix that no other organisation has (two may share a name)."""
        base = internal_id(name)
        candidate, number = base, 1
        while Organisation.objects.filter(org_id=candidate).exclude(pk=self.instance.pk).exists():
            number += 1
            candidate = f"{base}-{number}"
        return candidate

    def clean_postcode(self):
        return normal_postcode(self.cleaned_data["postcode"])

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name", "")
        if "org_id" in cleaned and not cleaned["org_id"] and name:
            kept = self.instance.pk and not self.instance.org_id.startswith("GB-")
            cleaned["org_id"] = self.instance.org_id if kept else self._internal_id(name)
        is_authority = cleaned.get("kind") == Organisation.Kind.LOCAL_AUTHORITY
        if is_authority and not cleaned.get("authority_type") and "authority_type" not in self.errors:
            self.add_error("authority_type", "Choose the authority type: a local authority has one")
        if cleaned.get("kind") and not is_authority:
            for field, what in (
                ("authority_type", "An authority type"),
                ("gss_code", "A GSS code"),
                ("dfe_la_number", "A DfE LA number"),
            ):
                if cleaned.get(field) and field not in self.errors:
                    self.add_error(field, f"{what} is only for a local authority: leave it empty, or choose that kind")
        _dates_in_order(
            self, "valid_from", "valid_to", "The last day it existed must be the same as or after the date it started"
        )
        successors = cleaned.get("replaced_by") or []
        if self.instance.pk and any(org.pk == self.instance.pk for org in successors):
            self.add_error("replaced_by", "An organisation cannot replace itself")
        elif successors and not cleaned.get("valid_to") and "valid_to" not in self.errors:
            self.add_error("valid_to", "Enter the last day it existed: an organisation that was replaced has ended")
        return cleaned

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
from grants.models import Grant, Organisation, RecoveryReason, Round

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

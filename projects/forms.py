"""Forms of the projects pages: projects, partners, milestones, and the milestone
workflow (submit evidence, review it)."""

from django import forms
from django.conf import settings
from django.db.models import Q

from core.fields import TODAY, DateField, MoneyField
from core.forms import GovukForm, GovukModelForm
from core.uploads import ALLOWED_DESCRIPTION
from grants.models import Allocation, Organisation
from projects.models import Milestone, MilestoneReview, Project, ProjectPartner, Theme
from projects.services import MAX_FILES_PER_SUBMISSION

RADIOS = "projects/fields/radios.html"
CHECKBOXES = "projects/fields/checkboxes.html"


class GovukRadioSelect(forms.RadioSelect):
    """The first radio carries the field's own id, as GOV.UK Frontend does, so the
    error summary's link (#id_<field>) lands on it."""

    def id_for_label(self, id_, index=None):
        if index is None or str(index) == "0":
            return id_
        return super().id_for_label(id_, index)


class GovukCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    def id_for_label(self, id_, index=None):
        if index is None or str(index) == "0":
            return id_
        return super().id_for_label(id_, index)


def text_field(
    label, *, max_length, required=True, required_message="", textarea=False, help_text="", error_messages=None
):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 5}) if textarea else forms.TextInput,
        error_messages={
            "required": required_message,
            "max_length": f"{label.removesuffix(' (optional)')} must be {max_length:,} characters or fewer",
            **(error_messages or {}),
        },
    )


class ProjectForm(GovukModelForm):
    title = text_field("Title", max_length=200, required_message="Enter the project's title")
    reference = text_field(
        "Reference",
        max_length=30,
        required_message="Enter the project's reference",
        help_text="The programme's own reference, for example R1-01",
        error_messages={"unique": "Another project already has this reference"},
    )
    summary = text_field("Summary", max_length=5000, textarea=True, required_message="Enter a summary of the project")
    themes = forms.ModelMultipleChoiceField(
        label="Themes",
        queryset=Theme.objects.all(),
        required=False,
        widget=GovukCheckboxSelectMultiple,
        template_name=CHECKBOXES,
    )
    start_date = DateField(label="Start date", noun="the start date")
    end_date = DateField(label="End date", noun="the end date")
    rag = forms.ChoiceField(
        label="RAG rating",
        required=False,
        choices=[("", "Not rated"), *Project.Rag.choices],
        widget=GovukRadioSelect,
        template_name=RADIOS,
    )
    rag_reason = text_field(
        "Reason for the RAG rating",
        max_length=2000,
        required=False,
        textarea=True,
        help_text="Needed whenever the project has a RAG rating",
    )

    class Meta:
        model = Project
        fields = [
            "title",
            "reference",
            "summary",
            "programme",
            "lead_organisation",
            "themes",
            "start_date",
            "end_date",
            "rag",
            "rag_reason",
        ]
        labels = {"lead_organisation": "Lead organisation"}
        error_messages = {
            "programme": {"required": "Choose the programme", "invalid_choice": "Choose a programme from the list"},
            "lead_organisation": {
                "required": "Choose the lead organisation",
                "invalid_choice": "Choose a lead organisation from the list",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].empty_label = "Choose a programme"
        self.fields["lead_organisation"].empty_label = "Choose an organisation"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("rag") and not cleaned.get("rag_reason", "").strip() and "rag_reason" not in self.errors:
            self.add_error("rag_reason", "Give the reason for the RAG rating")
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and start > end:
            self.add_error("end_date", "The end date must be the same as or after the start date")
        lead = cleaned.get("lead_organisation")
        if lead and self.instance.pk and self.instance.partnerships.filter(organisation=lead).exists():
            self.add_error("lead_organisation", f"{lead} is a partner of this project, so it cannot also be its lead")
        return cleaned

    @property
    def rag_changed(self) -> bool:
        return bool({"rag", "rag_reason"} & set(self.changed_data))


class ProjectStatusForm(GovukForm):
    status = forms.ChoiceField(
        label="New status",
        widget=GovukRadioSelect,
        template_name=RADIOS,
        error_messages={
            "required": "Choose the project's new status",
            "invalid_choice": "Choose one of the statuses listed",
        },
    )
    reason = text_field(
        "Reason for the change", max_length=2000, textarea=True, required_message="Give the reason for the change"
    )
    exception = text_field(
        "Exception (only to close a project whose money is not settled)",
        max_length=2000,
        textarea=True,
        required=False,
        help_text="A project closes once no milestone payment is left unpaid, every allocation has its Q4 spend "
        "return and net paid is not above spent. To close it anyway, say why here: it is kept with the closure.",
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Project.Status.choices)
        self.fields["status"].choices = [(status, labels[status]) for status in project.allowed_statuses()]


class PartnerForm(GovukModelForm):
    role = forms.ChoiceField(
        label="Role",
        choices=ProjectPartner.Role.choices,
        widget=GovukRadioSelect,
        template_name=RADIOS,
        error_messages={"required": "Choose the organisation's role in the project"},
    )
    joined_on = DateField(label="Date it joined (optional)", noun="the date it joined", required=False, latest=TODAY)

    class Meta:
        model = ProjectPartner
        fields = ["organisation", "role", "joined_on"]
        error_messages = {
            "organisation": {
                "required": "Choose the organisation",
                "invalid_choice": "Choose an organisation that is not already part of this project",
            },
        }

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        taken = ProjectPartner.objects.filter(project=project).values("organisation")
        field = self.fields["organisation"]
        field.queryset = Organisation.objects.exclude(pk=project.lead_organisation_id).exclude(pk__in=taken)
        field.empty_label = "Choose an organisation"


class AllocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, allocation):
        return (
            f"{allocation.recipient.display_name}, {allocation.financial_year}, "
            f"{allocation.grant.title}: £{allocation.amount:,.2f}"
        )


class MilestoneForm(GovukModelForm):
    title = text_field("Title", max_length=200, required_message="Enter the milestone's title")
    description = text_field("Description (optional)", max_length=5000, required=False, textarea=True)
    due_date = DateField(label="Due date", noun="the due date")
    payment_amount = MoneyField(
        label="Payment amount",
        noun="the payment amount",
        required=False,
        help_text="The payment its acceptance releases, if any, in pounds",
    )
    allocation = AllocationChoiceField(
        label="Allocation the payment is drawn from",
        queryset=Allocation.objects.none(),
        required=False,
        empty_label="No payment",
        error_messages={"invalid_choice": "Choose an allocation from the list"},
    )

    # Once evidence is in, who delivers the milestone and what it pays are settled:
    # changing them would change a decision already made or money already released.
    SETTLED_FIELDS = ("organisation", "payment_amount", "allocation")

    class Meta:
        model = Milestone
        fields = ["title", "description", "due_date", "organisation", "payment_amount", "allocation"]
        labels = {"organisation": "Organisation that delivers it"}
        error_messages = {
            "organisation": {
                "required": "Choose the organisation that delivers the milestone",
                "invalid_choice": "Choose the lead or a partner of this project",
            },
        }

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.instance.project = project
        partners = ProjectPartner.objects.filter(project=project).values("organisation")
        organisation = self.fields["organisation"]
        organisation.queryset = Organisation.objects.filter(Q(pk=project.lead_organisation_id) | Q(pk__in=partners))
        organisation.empty_label = "Choose an organisation"
        self.fields["allocation"].queryset = (
            Allocation.objects.filter(grant__project=project)
            .select_related("recipient", "grant")
            .order_by("recipient__name", "financial_year", "grant__pk")
        )
        if self.is_settled:
            for name in self.SETTLED_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = "This cannot change once evidence has been submitted"

    @property
    def is_settled(self) -> bool:
        return self.instance.pk is not None and self.instance.status != Milestone.Status.PLANNED

    def clean(self):
        cleaned = super().clean()
        amount, allocation, organisation = (
            cleaned.get("payment_amount"),
            cleaned.get("allocation"),
            cleaned.get("organisation"),
        )
        if self.is_settled or {"payment_amount", "allocation"} & set(self.errors):
            return cleaned
        if amount is not None and allocation is None:
            self.add_error("allocation", "Choose the allocation the payment is drawn from")
        elif allocation is not None and amount is None:
            self.add_error("payment_amount", "Enter the payment amount, or choose ‘No payment’ as the allocation")
        elif allocation is not None:
            if organisation is not None and allocation.recipient_id != organisation.pk:
                self.add_error(
                    "allocation",
                    f"Choose one of {organisation.display_name}’s allocations: the payment goes to "
                    "the organisation that delivers the milestone",
                )
            elif amount > allocation.amount:
                self.add_error(
                    "payment_amount",
                    "The payment amount cannot be more than the allocation it is drawn from "
                    f"(£{allocation.amount:,.2f})",
                )
        return cleaned


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, as in Django's "Uploading multiple files".

    Only the form's basic checks run here; every file's content is checked by
    projects.services.submit_milestone before anything is written."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_file_clean = super().clean
        if isinstance(data, (list, tuple)):
            return [single_file_clean(item, initial) for item in data if item]
        return [single_file_clean(data, initial)] if data else []


class MilestoneSubmissionForm(GovukForm):
    narrative = text_field(
        "What was delivered",
        max_length=10000,
        textarea=True,
        required_message="Describe what was delivered",
        help_text="Say what was done, and how the evidence shows it",
    )
    files = MultipleFileField(label="Evidence files (optional)", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.UPLOAD_MAX_BYTES
        size = f"{limit // (1024 * 1024)}MB" if limit >= 1024 * 1024 else f"{limit // 1024}KB"
        self.fields["files"].help_text = (
            f"Each must be {ALLOWED_DESCRIPTION}, smaller than {size}. "
            f"You can choose up to {MAX_FILES_PER_SUBMISSION} files."
        )


class MilestoneReviewForm(GovukForm):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[(MilestoneReview.Decision.ACCEPTED, "Accept"), (MilestoneReview.Decision.RETURNED, "Return")],
        widget=GovukRadioSelect,
        template_name=RADIOS,
        error_messages={
            "required": "Choose whether to accept or return the submission",
            "invalid_choice": "Choose whether to accept or return the submission",
        },
    )
    reason = text_field(
        "Reason",
        max_length=5000,
        required=False,
        textarea=True,
        help_text="Needed when you return the submission: say what the recipient must do",
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") == MilestoneReview.Decision.RETURNED
            and not cleaned.get("reason", "").strip()
            and "reason" not in self.errors
        ):
            self.add_error("reason", "Say why the submission is returned")
        return cleaned


class PartnershipForm(GovukModelForm):
    """A partner's role and the date it joined; the organisation itself stays (remove the partner instead)."""

    role = forms.ChoiceField(
        label="Role",
        choices=ProjectPartner.Role.choices,
        widget=GovukRadioSelect,
        template_name=RADIOS,
        error_messages={
            "required": "Choose the organisation's role in the project",
            "invalid_choice": "Choose one of the roles listed",
        },
    )
    joined_on = DateField(label="Date it joined (optional)", noun="the date it joined", required=False, latest=TODAY)

    class Meta:
        model = ProjectPartner
        fields = ["role", "joined_on"]


class ThemeForm(GovukModelForm):
    name = text_field(
        "Name",
        max_length=100,
        required_message="Enter the theme's name",
        error_messages={"unique": "Another theme already has this name"},
    )
    description = text_field("Description (optional)", max_length=2000, required=False, textarea=True)

    class Meta:
        model = Theme
        fields = ["name", "description"]
        error_messages = {"name": {"unique": "Another theme already has this name"}}

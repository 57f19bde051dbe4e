from django import forms
from django.contrib.auth import password_validation

from accounts.models import Role, User, normalise_login, username_validator
from core.forms import GovukForm
from grants.models import Organisation
from people.models import leads_organisation, roles_granted_by
from projects.forms import RADIOS, GovukRadioSelect

OUT_OF_SCOPE = "You can invite only grant recipients of your own organisation"


class InvitationForm(GovukForm):
    """Who to invite. An officer chooses the role and organisation; a lead contact's are fixed (their
    own organisation's grant recipients) and sent as hidden fields, so that anything else posted is
    refused rather than quietly changed."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="The invitation is sent here; it is also their sign-in",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(label="Role", widget=GovukRadioSelect, template_name=RADIOS)
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="No organisation",
        help_text="Required for a grant recipient; for an evaluator, their evaluation organisation",
    )

    def __init__(self, *args, inviter: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles_granted_by(inviter)]
        if inviter.is_officer:
            self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        else:
            self.fields["organisation"].queryset = Organisation.objects.filter(pk=inviter.organisation_id)
            self.fields["organisation"].required = True
            for name in ("role", "organisation"):
                self.fields[name].widget = forms.HiddenInput()
                self.fields[name].template_name = None
                self.fields[name].error_messages["invalid_choice"] = OUT_OF_SCOPE
                self.fields[name].error_messages["required"] = OUT_OF_SCOPE
            self.fields["role"].initial = Role.RECIPIENT
            self.fields["organisation"].initial = inviter.organisation_id
        self.lead_contact = leads_organisation(inviter) and not inviter.is_officer

    def clean_email(self):
        return normalise_login(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.RECIPIENT and not cleaned.get("organisation") and "organisation" in cleaned:
            self.add_error("organisation", "Choose the organisation a grant recipient works for")
        return cleaned


class AcceptInvitationForm(GovukForm):
    first_name = forms.CharField(
        label="First name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Last name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    username = forms.CharField(
        label="Username (optional)",
        max_length=150,
        required=False,
        help_text="Letters a to z, digits and . _ - only. You can always sign in with your email address instead.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters, not a common password and not all numbers",
    )
    password2 = forms.CharField(
        label="Confirm password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_username(self):
        username = normalise_login(self.cleaned_data["username"])
        if username:
            username_validator(username)
            if User.objects.filter(username=username).exists():
                raise forms.ValidationError("That username is taken. Choose another, or leave it empty.")
        return username

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords do not match")
        elif first:
            person = User(
                username=cleaned.get("username") or self.email.partition("@")[0],
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, person)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class AccessForm(GovukForm):
    """A person's role, organisation and lead contact, as a programme officer changes them."""

    role = forms.ChoiceField(label="Role", widget=GovukRadioSelect, template_name=RADIOS)
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label="No organisation",
    )
    is_lead_contact = forms.BooleanField(
        label="Lead contact: invites and disables their own organisation's grant recipients", required=False
    )

    def __init__(self, *args, officer: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles_granted_by(officer)]

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if role == Role.RECIPIENT and "organisation" in cleaned and not cleaned["organisation"]:
            self.add_error("organisation", "Choose the organisation a grant recipient works for")
        if role and role != Role.RECIPIENT and cleaned.get("is_lead_contact"):
            self.add_error("is_lead_contact", "Only a grant recipient can be their organisation's lead contact")
        return cleaned

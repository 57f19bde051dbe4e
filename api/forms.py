"""The form a person makes an API token with."""

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone

from accounts.models import Role
from api.models import ApiToken
from core.fields import TODAY, DateField
from core.forms import GovukForm
from projects.forms import RADIOS, GovukRadioSelect

DEFAULT_DAYS = 90
# The API writes spend returns and milestone evidence (grant recipients) and payments and recoveries
# (finance officers); nobody else has a write to make, so nobody else is offered a token that could.
WRITING_ROLES = (Role.RECIPIENT, Role.FINANCE)


def may_write(user) -> bool:
    return user.role in WRITING_ROLES


class TokenForm(GovukForm):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, such as “Finance ledger feed”, so that you know which one to revoke.",
        error_messages={"required": "Enter a name for the token"},
    )
    scope = forms.ChoiceField(
        label="What it may do",
        widget=GovukRadioSelect,
        template_name=RADIOS,
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        error_messages={"required": "Choose what the token may do", "invalid_choice": "Choose what the token may do"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        max_days = settings.API_TOKEN_MAX_DAYS
        self.fields["expires_on"] = DateField(
            label="Expires on",
            noun="the expiry date",
            earliest=TODAY,
            latest=timezone.localdate() + dt.timedelta(days=max_days),
            help_text=f"The token works until the end of this day: at most {max_days} days from today. "
            "For example, 27 3 2027",
        )
        if not self.is_bound:
            self.initial.setdefault("expires_on", timezone.localdate() + dt.timedelta(days=DEFAULT_DAYS))
        if not may_write(user):
            # A crafted POST of read_write is refused as any other choice not on offer.
            self.fields["scope"].choices = [(ApiToken.Scope.READ, ApiToken.Scope.READ.label)]

    def expires_at(self) -> dt.datetime:
        """The end of the chosen day in the service's time zone (midnight at its close)."""
        day = self.cleaned_data["expires_on"] + dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

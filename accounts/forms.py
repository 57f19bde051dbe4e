import math

import django_otp
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ui.forms import GovukForm, GovukFormMixin


class SignInForm(GovukFormMixin, AuthenticationForm):
    username = forms.CharField(label="Username or email address", max_length=254)
    error_messages = {
        "invalid_login": "Enter a correct username or email address and password",
        "inactive": "This account has been switched off. Ask your programme officer.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "spellcheck": "false"})
        self.fields["username"].error_messages["required"] = "Enter your username or email address"
        self.fields["password"].error_messages["required"] = "Enter your password"


class ChangePasswordForm(GovukFormMixin, PasswordChangeForm):
    pass


class ResetPasswordForm(GovukFormMixin, PasswordResetForm):
    pass


class NewPasswordForm(GovukFormMixin, SetPasswordForm):
    pass


def _is_app_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


class _SecurityCodeForm(GovukForm):
    """One code, checked against one of the user's django-otp devices; the
    device that accepted it is left in ``self.device``."""

    code = forms.CharField(max_length=32)
    wrong_code = "The security code is not correct"

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = None
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"}
        )
        self.fields["code"].error_messages["required"] = "Enter the security code"

    def device_for(self, code: str):
        raise NotImplementedError

    def clean_code(self):
        # Apps show "123 456"; people copy recovery codes with spaces or in capitals.
        code = "".join(self.cleaned_data["code"].split()).replace("-", "").lower()
        device = self.device_for(code)
        if device is None:
            raise forms.ValidationError(self.wrong_code)
        # django-otp makes each wrong code double the wait before the next is checked.
        allowed, refusal = device.verify_is_allowed()
        if not allowed:
            seconds = max(1, math.ceil((refusal["locked_until"] - timezone.now()).total_seconds()))
            raise forms.ValidationError(
                f"Too many wrong codes. Wait {seconds} second{pluralize(seconds)} and try again"
            )
        self.device = django_otp.verify_token(self.user, device.persistent_id, code)
        if self.device is None:
            raise forms.ValidationError(self.wrong_code)
        return code


class TwoFactorForm(_SecurityCodeForm):
    """The second step of signing in: a code from the app or a recovery code."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Security code"
        self.fields["code"].help_text = (
            "The 6-digit code from your authenticator app, or one of your recovery codes"
        )

    def device_for(self, code):
        model = TOTPDevice if _is_app_code(code) else StaticDevice
        return model.objects.devices_for_user(self.user, confirmed=True).first()


class TwoFactorSetupForm(_SecurityCodeForm):
    """Proves the app holds the new key before two-factor sign-in is switched on."""

    wrong_code = "The code is not correct. Check the time on your phone is right and try the newest code"

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_device = device
        self.fields["code"].label = "Code from your authenticator app"
        self.fields["code"].help_text = "The 6-digit code the app shows for Manage innovation grants"
        self.fields["code"].widget.attrs["inputmode"] = "numeric"
        self.fields["code"].error_messages["required"] = "Enter the code from your authenticator app"

    def device_for(self, code):
        return self.new_device if _is_app_code(code) else None


class UnlockForm(GovukForm):
    username = forms.CharField(max_length=255)

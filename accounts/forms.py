import math
import time

import django_otp
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.forms import GovukForm, GovukFormMixin


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
    return len(code) == 6 and code.isascii() and code.isdigit()


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
        self.fields["code"].help_text = "The 6-digit code from your authenticator app, or one of your recovery codes"

    def device_for(self, code):
        model = TOTPDevice if _is_app_code(code) else StaticDevice
        return model.objects.devices_for_user(self.user, confirmed=True).first()


class AppCodeForm(_SecurityCodeForm):
    """A current code from the authenticator app only (not a recovery code): proof
    that the person at the screen holds the phone, before a change to sign-in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Code from your authenticator app"
        self.fields["code"].widget.attrs["inputmode"] = "numeric"
        self.fields["code"].error_messages["required"] = "Enter the code from your authenticator app"

    def device_for(self, code):
        return TOTPDevice.objects.devices_for_user(self.user, confirmed=True).first() if _is_app_code(code) else None


class TwoFactorSetupForm(GovukForm):
    """Proves the app holds the new key (hex, this session's) before two-factor sign-in
    is switched on. Leaves the time step and drift of the code it matched, so that the
    code cannot be given again to sign in."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=32,
        help_text="The 6-digit code the app shows for Manage innovation grants",
        error_messages={"required": "Enter the code from your authenticator app"},
    )
    wrong_code = "The code is not correct. Check the time on your phone is right and try the newest code"

    def __init__(self, *args, key, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key
        self.time_step = -1
        self.drift = 0
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "spellcheck": "false", "inputmode": "numeric"}
        )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not _is_app_code(code):
            raise forms.ValidationError(self.wrong_code)
        device = TOTPDevice(key=self.key)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
        totp.time = time.time()
        if not totp.verify(int(code), tolerance=device.tolerance):
            raise forms.ValidationError(self.wrong_code)
        self.time_step, self.drift = totp.t(), totp.drift
        return code


class UnlockForm(GovukForm):
    username = forms.CharField(max_length=255)

import logging
import math
from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as reset_sign_in_failures
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import BadRequest
from django.db.models import Max, Sum
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import (
    ChangePasswordForm,
    NewPasswordForm,
    ResetPasswordForm,
    SignInForm,
    TwoFactorForm,
    TwoFactorSetupForm,
    UnlockForm,
)
from accounts.middleware import TWO_FACTOR_PENDING
from accounts.models import FUNDER_ROLES
from accounts.permissions import OFFICERS, role_required
from accounts.services import switch_on_two_factor

log = logging.getLogger(__name__)

RECOVERY_CODES_TO_SHOW = "two_factor_recovery_codes"


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}" if next_url else reverse(name)


def lockout_message(request=None) -> str:
    minutes = math.ceil(get_cool_off(request).total_seconds() / 60)
    return f"Too many failed attempts. You can try again in {minutes} minute{pluralize(minutes)}."


def locked_out(request, original_response=None, credentials=None):
    """django-axes answers a refused sign-in with this (AXES_LOCKOUT_CALLABLE):
    the sign-in page again, saying why and for how long, instead of a bare error."""
    login = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": SignInForm(request, initial={"username": login}),
        "lockout_message": lockout_message(request),
        "next": request.POST.get("next", ""),
        "two_factor_required": settings.TWO_FACTOR_REQUIRED,
    }
    return render(request, "accounts/sign_in.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


class SignInView(auth_views.LoginView):
    """The password step. Funder staff who have set up two-factor sign-in go on
    to give a code; those who have not, where it is required, go on to set it up."""

    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(two_factor_required=settings.TWO_FACTOR_REQUIRED, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if not user.is_funder_staff:
            return response
        if user.has_two_factor:
            self.request.session[TWO_FACTOR_PENDING] = True
            return redirect(_with_next("accounts:two-factor", response.url))
        if settings.TWO_FACTOR_REQUIRED:
            return redirect(_with_next("accounts:two-factor-setup", response.url))
        return response


@method_decorator([never_cache, role_required(*FUNDER_ROLES)], name="dispatch")
class TwoFactorView(auth_views.RedirectURLMixin, FormView):
    """The second step of signing in for funder staff who have set up two-factor."""

    template_name = "accounts/two_factor.html"
    form_class = TwoFactorForm
    next_page = settings.LOGIN_REDIRECT_URL

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_verified() or not request.user.has_two_factor:
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self.get_redirect_url(), **kwargs)

    def form_valid(self, form):
        django_otp.login(self.request, form.device)
        self.request.session.pop(TWO_FACTOR_PENDING, None)
        if isinstance(form.device, StaticDevice):
            left = form.device.token_set.count()
            messages.warning(
                self.request,
                f"You signed in with a recovery code. You have {left} recovery code{pluralize(left)} left."
                + ("" if left else " Ask an administrator to reset your two-factor sign-in."),
            )
        return redirect(self.get_success_url())


@method_decorator([never_cache, role_required(*FUNDER_ROLES)], name="dispatch")
class TwoFactorSetupView(auth_views.RedirectURLMixin, FormView):
    """Set up an authenticator app: scan the QR code (or type the key), then
    prove it works with a code. Only while none is set up: replacing one takes
    an administrator, so a stolen password cannot swap in another phone."""

    template_name = "accounts/two_factor_setup.html"
    form_class = TwoFactorSetupForm
    next_page = settings.LOGIN_REDIRECT_URL

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_two_factor:
            if request.user.is_verified():
                messages.success(request, "Two-factor sign-in is already set up for your account")
                return redirect("accounts:password-change")
            return redirect(_with_next("accounts:two-factor", self.get_redirect_url()))
        self.device = (
            TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
            or TOTPDevice.objects.create(user=request.user, name="Authenticator app", confirmed=False)
        )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "device": self.device}

    def get_context_data(self, **kwargs):
        key = b32encode(self.device.bin_key).decode()
        return super().get_context_data(
            next=self.get_redirect_url(),
            qr_code=_qr_code_svg(self.device.config_url),
            secret_key=" ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            **kwargs,
        )

    def form_valid(self, form):
        codes = switch_on_two_factor(user=self.request.user, device=form.device)
        django_otp.login(self.request, form.device)
        self.request.session.pop(TWO_FACTOR_PENDING, None)
        self.request.session[RECOVERY_CODES_TO_SHOW] = codes
        return redirect(_with_next("accounts:two-factor-recovery-codes", self.get_redirect_url()))


def _qr_code_svg(data: str) -> str:
    """The QR code as inline SVG drawn here: the secret goes to no other service."""
    code = qrcode.QRCode(image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8, border=4)
    code.add_data(data)
    return mark_safe(code.make_image().to_string(encoding="unicode"))


@method_decorator([never_cache, role_required(*FUNDER_ROLES)], name="dispatch")
class RecoveryCodesView(auth_views.RedirectURLMixin, TemplateView):
    """The recovery codes, shown once straight after set-up."""

    template_name = "accounts/two_factor_recovery_codes.html"
    next_page = settings.LOGIN_REDIRECT_URL

    def get(self, request, *args, **kwargs):
        codes = request.session.pop(RECOVERY_CODES_TO_SHOW, None)
        if not codes:
            return redirect("accounts:password-change")
        return self.render_to_response(self.get_context_data(codes=codes, next_url=self.get_success_url()))


def current_lockouts():
    """Who is locked out now, as django-axes decides it: failures for one
    username from one address within the cool-off, summed over browsers."""
    cool_off = get_cool_off()
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last_attempt=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last_attempt", "username")
    )
    return [{**row, "locked_until": row["last_attempt"] + cool_off} for row in rows]


@role_required(*OFFICERS)
def lockouts(request):
    context = {
        "lockouts": current_lockouts(),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cool_off_minutes": math.ceil(get_cool_off().total_seconds() / 60),
    }
    return render(request, "accounts/lockouts.html", context)


@role_required(*OFFICERS)
@require_POST
def unlock(request):
    form = UnlockForm(request.POST)
    if not form.is_valid():
        raise BadRequest("No username to unlock")
    username = form.cleaned_data["username"]
    reset_sign_in_failures(username=username)
    log.info("Sign-in lock-out of %s lifted by %s", username, request.user.get_username())
    messages.success(request, f"{username} can sign in again")
    return redirect("accounts:lockouts")


class ChangePasswordView(SuccessMessageMixin, auth_views.PasswordChangeView):
    """'Your account': the password, and two-factor sign-in for funder staff."""

    template_name = "accounts/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("home")
    success_message = "Your password has been changed"


class ResetPasswordView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = ResetPasswordForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-sent")


class ResetPasswordSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class NewPasswordView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:password-reset-complete")


class NewPasswordDoneView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"

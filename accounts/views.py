import logging
import math
import time
from base64 import b32encode
from datetime import timedelta
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
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db.models import Max, Sum
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.forms import (
    AppCodeForm,
    ChangePasswordForm,
    NewPasswordForm,
    ResetPasswordForm,
    SignInForm,
    TwoFactorForm,
    TwoFactorSetupForm,
    UnlockForm,
)
from accounts.models import FUNDER_ROLES, EnrolmentLink, normalise_login
from accounts.permissions import OFFICERS, role_required
from accounts.services import (
    open_enrolment_link,
    record_recovery_code_use,
    renew_recovery_codes,
    send_enrolment_link,
    switch_on_two_factor,
)
from core.http import client_ip_address

log = logging.getLogger(__name__)

RECOVERY_CODES_TO_SHOW = "two_factor_recovery_codes"


def _with_next(name: str, next_url: str) -> str:
    return _with_next_path(reverse(name), next_url)


def _with_next_path(path: str, next_url: str) -> str:
    return f"{path}?{urlencode({'next': next_url})}" if next_url else path


def _safe_next(request, data) -> str:
    """The ``next`` address asked for, if it stays on this site."""
    next_url = data.get("next", "")
    return (
        next_url
        if url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        else ""
    )


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
    """The password step, and the only way in (the admin's sign-in comes here too).
    Anyone who has set up two-factor sign-in goes on to give a code; funder staff
    who have not, where it is required, go on to set it up."""

    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(two_factor_required=settings.TWO_FACTOR_REQUIRED, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if user.has_two_factor:
            return redirect(_with_next("accounts:two-factor", response.url))
        if user.is_funder_staff and settings.TWO_FACTOR_REQUIRED:
            return redirect(_with_next("accounts:two-factor-setup", response.url))
        return response


def admin_sign_in(request):
    """The Django admin's sign-in page, replaced: the admin is reached through the
    service's sign-in, so lock-out and two-factor hold there too."""
    if request.user.is_authenticated:
        # Signed in but the admin refused: sending them to sign in again would loop.
        raise PermissionDenied("Your account cannot open the administration pages")
    return redirect(_with_next("accounts:sign-in", _safe_next(request, request.GET) or reverse("admin:index")))


@method_decorator([never_cache, login_required], name="dispatch")
class TwoFactorView(auth_views.RedirectURLMixin, FormView):
    """The second step of signing in, for everyone who has set up two-factor."""

    template_name = "accounts/two_factor.html"
    form_class = TwoFactorForm
    next_page = settings.LOGIN_REDIRECT_URL

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_verified() or not request.user.has_two_factor:
            return HttpResponseRedirect(self.get_success_url())  # an address, never a view name
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self.get_redirect_url(), **kwargs)

    def form_valid(self, form):
        django_otp.login(self.request, form.device)
        if isinstance(form.device, StaticDevice):
            left = form.device.token_set.count()
            record_recovery_code_use(
                user=self.request.user, codes_left=left, ip_address=client_ip_address(self.request)
            )
            messages.warning(
                self.request,
                f"You signed in with a recovery code. You have {left} recovery code{pluralize(left)} left."
                + (" Make new recovery codes from your account page." if left < 3 else ""),
            )
        return HttpResponseRedirect(self.get_success_url())  # an address, never a view name


# Session keys. The set-up secret is this session's alone, so a key read by someone
# else who knew the password is never the one the person confirms.
SETUP_SECRET = "two_factor_setup_secret"
SETUP_ALLOWED = "two_factor_setup_allowed"


def _held(request, name: str) -> dict | None:
    """A value this session holds for the signed-in user, while it lasts."""
    held = request.session.get(name)
    if held and held.get("user") == request.user.pk and held.get("until", 0) > time.time():
        return held
    request.session.pop(name, None)
    return None


def _hold(request, name: str, lifetime, **values) -> dict:
    held = {"user": request.user.pk, "until": time.time() + lifetime.total_seconds(), **values}
    request.session[name] = held
    return held


def _setup_secret(request) -> str:
    """This session's set-up key (hex), fresh for each attempt and lapsing after minutes."""
    held = _held(request, SETUP_SECRET) or _hold(
        request, SETUP_SECRET, settings.TWO_FACTOR_SETUP_SECRET_LIFETIME, key=random_hex(20)
    )
    return held["key"]


@method_decorator([never_cache, role_required(*FUNDER_ROLES)], name="dispatch")
class TwoFactorSetupView(auth_views.RedirectURLMixin, FormView):
    """Set up an authenticator app: scan the QR code (or type the key), then
    prove it works with a code. Only while none is set up: replacing one takes
    an administrator, so a stolen password cannot swap in another phone. Outside
    development, only a session that has opened a set-up link may set up."""

    template_name = "accounts/two_factor_setup.html"
    form_class = TwoFactorSetupForm
    next_page = settings.LOGIN_REDIRECT_URL

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_two_factor:
            if request.user.is_verified():
                messages.success(request, "Two-factor sign-in is already set up for your account")
                return redirect("accounts:password-change")
            return redirect(_with_next("accounts:two-factor", self.get_redirect_url()))
        if settings.TWO_FACTOR_ENROLMENT_LINK and not _held(request, SETUP_ALLOWED):
            return render(
                request,
                "accounts/two_factor_link_needed.html",
                {
                    "next": self.get_redirect_url(),
                    "email": request.user.email,
                    "minutes": int(settings.TWO_FACTOR_ENROLMENT_LINK_LIFETIME.total_seconds() // 60),
                },
            )
        self.key = _setup_secret(request)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "key": self.key}

    def get_context_data(self, **kwargs):
        device = TOTPDevice(user=self.request.user, name="Authenticator app", key=self.key)
        key = b32encode(device.bin_key).decode()
        return super().get_context_data(
            next=self.get_redirect_url(),
            qr_code=_qr_code_svg(device.config_url),
            secret_key=" ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            device, codes = switch_on_two_factor(
                user=self.request.user,
                key=self.key,
                last_t=form.time_step,
                drift=form.drift,
                ip_address=client_ip_address(self.request),
            )
        except ValidationError as refusal:
            form.add_error(None, refusal)
            return self.form_invalid(form)
        django_otp.login(self.request, device)
        for name in (SETUP_SECRET, SETUP_ALLOWED):
            self.request.session.pop(name, None)
        self.request.session[RECOVERY_CODES_TO_SHOW] = {"codes": codes, "renewed": False}
        return redirect(_with_next("accounts:two-factor-recovery-codes", self.get_redirect_url()))


@never_cache
@role_required(*FUNDER_ROLES)
@require_POST
def send_setup_link(request):
    """Email the signed-in person a single-use link that lets this session set up."""
    next_url = _safe_next(request, request.POST)
    back = _with_next("accounts:two-factor-setup", next_url)
    user = request.user
    if user.has_two_factor or not settings.TWO_FACTOR_ENROLMENT_LINK:
        return redirect(back)
    if not user.email:
        messages.error(request, "Your account has no email address. Ask an administrator for a set-up link.")
        return redirect(back)
    recent = timezone.now() - timedelta(minutes=1)
    if EnrolmentLink.objects.filter(user=user, issued_by=None, created_at__gte=recent).exists():
        messages.warning(request, "We sent you a link less than a minute ago. Check your email, then try again.")
        return redirect(back)
    send_enrolment_link(
        user=user,
        ip_address=client_ip_address(request),
        url_for=lambda token: request.build_absolute_uri(
            _with_next_path(reverse("accounts:two-factor-link", kwargs={"token": token}), next_url)
        ),
    )
    messages.success(request, f"We have sent a set-up link to {_masked(user.email)}. Open it in this browser.")
    return redirect(back)


def _masked(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}{'•' * max(len(name) - 1, 1)}@{domain}"


@never_cache
@login_required
def open_setup_link(request, token):
    """A set-up link, opened by the person it was made for, signed in: this session
    may now set up. Someone else's link, a used one or a lapsed one is not found."""
    if open_enrolment_link(user=request.user, token=token) is None:
        raise Http404("This set-up link has expired, has been used, or is for another account")
    _hold(request, SETUP_ALLOWED, settings.TWO_FACTOR_ENROLMENT_LINK_LIFETIME)
    return redirect(_with_next("accounts:two-factor-setup", _safe_next(request, request.GET)))


def _qr_code_svg(data: str) -> str:
    """The QR code as inline SVG drawn here: the secret goes to no other service."""
    code = qrcode.QRCode(image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8, border=4)
    code.add_data(data)
    return mark_safe(code.make_image().to_string(encoding="unicode"))


@method_decorator([never_cache, login_required], name="dispatch")
class RecoveryCodesView(auth_views.RedirectURLMixin, TemplateView):
    """The recovery codes, shown once straight after they are made."""

    template_name = "accounts/two_factor_recovery_codes.html"
    next_page = settings.LOGIN_REDIRECT_URL

    def get(self, request, *args, **kwargs):
        shown = request.session.pop(RECOVERY_CODES_TO_SHOW, None)
        if not isinstance(shown, dict) or not shown.get("codes"):
            return redirect("accounts:password-change")
        return self.render_to_response(
            self.get_context_data(codes=shown["codes"], renewed=shown.get("renewed"), next_url=self.get_success_url())
        )


@method_decorator([never_cache, login_required], name="dispatch")
class RenewRecoveryCodesView(FormView):
    """New recovery codes, for someone who has used or lost theirs. A current code
    from the app is asked for, so an unattended signed-in browser is not enough."""

    template_name = "accounts/recovery_codes_renew.html"
    form_class = AppCodeForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_two_factor:
            return redirect("accounts:password-change")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        codes = renew_recovery_codes(user=self.request.user, ip_address=client_ip_address(self.request))
        self.request.session[RECOVERY_CODES_TO_SHOW] = {"codes": codes, "renewed": True}
        return redirect(_with_next("accounts:two-factor-recovery-codes", reverse("accounts:password-change")))


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
    username = normalise_login(username)
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


def start_page(request):
    """The start page for visitors. A signed-in user's home is their task list (reports/home_views.py)."""
    return render(request, "start.html")

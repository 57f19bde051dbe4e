"""Turning two-factor sign-in on, renewing recovery codes and sending set-up links:
each changes several rows at once and tells the person by email."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import EnrolmentLink, SecurityEvent, User

log = logging.getLogger(__name__)
RECOVERY_CODES = 10
SERVICE = "Manage innovation grants"


def _tell(user: User, subject: str, body: str) -> None:
    """Log the sign-in event, and email the person, after the change is committed; nothing is
    logged or sent for a change that rolled back."""
    transaction.on_commit(lambda: log.info("Sign-in security for %s: %s", user.username, subject))
    if user.email:
        transaction.on_commit(lambda: send_mail(f"{SERVICE}: {subject}", body, None, [user.email], fail_silently=True))


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    return codes


def switch_on_two_factor(
    *, user: User, key: str, last_t: int = -1, drift: int = 0, ip_address: str | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Keep the authenticator app whose key (hex) the user has just proved with a code,
    and give them a fresh set of single-use recovery codes, returned so that they can
    be shown once. ``last_t`` is the time step of the code given, so it cannot be
    used again to sign in. Refused if another session set up an app first."""
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError(
                "Two-factor sign-in has already been set up for your account. If that was not you, "
                "tell an administrator now."
            )
        TOTPDevice.objects.filter(user=user).delete()  # half-finished set-ups from before
        device = TOTPDevice.objects.create(
            user=user, name="Authenticator app", key=key, confirmed=True, last_t=last_t, drift=drift
        )
        codes = _new_recovery_codes(user)
        SecurityEvent.objects.create(user=user, kind=SecurityEvent.Kind.TWO_FACTOR_ON, ip_address=ip_address)
        _tell(
            user,
            "two-factor sign-in is on",
            (
                f"Two-factor sign-in was turned on for your account ({user.username}) at "
                f"{timezone.localtime():%H:%M on %-d %B %Y}.\n\n"
                "If this was not you, tell your programme's administrator at once."
            ),
        )
    return device, codes


def renew_recovery_codes(*, user: User, ip_address: str | None = None) -> list[str]:
    """A new set of recovery codes; the old ones stop working."""
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        codes = _new_recovery_codes(user)
        SecurityEvent.objects.create(user=user, kind=SecurityEvent.Kind.RECOVERY_CODES_RENEWED, ip_address=ip_address)
        _tell(
            user,
            "new recovery codes",
            (
                f"New recovery codes were made for your account ({user.username}) at "
                f"{timezone.localtime():%H:%M on %-d %B %Y}. Your old recovery codes no longer work.\n\n"
                "If this was not you, tell your programme's administrator at once."
            ),
        )
    return codes


def record_recovery_code_use(*, user: User, codes_left: int, ip_address: str | None = None) -> None:
    SecurityEvent.objects.create(user=user, kind=SecurityEvent.Kind.RECOVERY_CODE_USED, ip_address=ip_address)
    _tell(
        user,
        "you signed in with a recovery code",
        (
            f"Someone signed in to your account ({user.username}) with one of your recovery codes at "
            f"{timezone.localtime():%H:%M on %-d %B %Y}"
            + (f" from {ip_address}" if ip_address else "")
            + f". You have {codes_left} recovery code{'' if codes_left == 1 else 's'} left.\n\n"
            "If this was not you, tell your programme's administrator at once: your password and a recovery "
            "code are known to someone else."
        ),
    )


def issue_enrolment_link(*, user: User, by: User | None = None, ip_address: str | None = None) -> str:
    """A new single-use set-up link for ``user``, replacing any earlier one that is unused.
    Returns the token (the link's last part), which is not stored and cannot be seen again.
    ``by`` is the administrator who issues it, or None when it is sent to the user's email."""
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        now = timezone.now()
        EnrolmentLink.objects.filter(user=user).live().update(expires_at=now)
        _, token = EnrolmentLink.new(user=user, issued_by=by)
        kind = SecurityEvent.Kind.ENROLMENT_LINK_ISSUED if by else SecurityEvent.Kind.ENROLMENT_LINK_SENT
        SecurityEvent.objects.create(user=user, kind=kind, by=by, ip_address=ip_address)
    return token


def send_enrolment_link(*, user: User, url_for, ip_address: str | None = None) -> None:
    """Send ``user`` a set-up link at their email address. ``url_for(token)`` gives the full address."""
    token = issue_enrolment_link(user=user, ip_address=ip_address)
    minutes = int(settings.TWO_FACTOR_ENROLMENT_LINK_LIFETIME.total_seconds() // 60)
    _tell(
        user,
        "set up two-factor sign-in",
        (
            f"Someone signed in to your account ({user.username}) and asked to set up two-factor sign-in.\n\n"
            f"If it was you, open this link in the same browser, within {minutes} minutes. It works once:\n\n"
            f"{url_for(token)}\n\n"
            "If it was not you, do not open the link: someone else knows your password. Change it, and tell your "
            "programme's administrator."
        ),
    )


def open_enrolment_link(*, user: User, token: str) -> EnrolmentLink | None:
    """Use up the link if it is live and is ``user``'s; None otherwise. Compare-and-set,
    so two sessions opening one link at the same moment cannot both have it."""
    link = EnrolmentLink.objects.live().matching(token).filter(user=user).first()
    if link is None:
        return None
    used = EnrolmentLink.objects.live().filter(pk=link.pk).update(used_at=timezone.now())
    if not used:
        return None
    SecurityEvent.objects.create(user=user, kind=SecurityEvent.Kind.ENROLMENT_LINK_USED)
    return link

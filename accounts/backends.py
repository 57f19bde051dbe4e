from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import normalise_login


def _user_for(login: str):
    """The one user a login names, matched on the one normalised form, or None."""
    login = normalise_login(login)
    if not login:
        return None
    field = "email" if "@" in login else "username"
    matches = list(get_user_model().objects.filter(**{field: login})[:2])
    return matches[0] if len(matches) == 1 else None


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with a username or an email address, in any case or look-alike form."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = _user_for(username)
        if user is None:
            # Unknown or ambiguous: run the hasher anyway so timing does not tell which.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        # Whether the user has two-factor comes with the user, in the same query:
        # the two-factor middleware asks on every request.
        confirmed_app = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        user = (
            get_user_model()._default_manager.annotate(two_factor_on=Exists(confirmed_app)).filter(pk=user_id).first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None


def lockout_name(request, credentials=None):
    """The name django-axes counts failed sign-ins against (AXES_USERNAME_CALLABLE).

    Sign-in takes a username in any case or look-alike form, or an email
    address, so every spelling that signs in to one account must count
    against that account; otherwise each spelling would give a guesser five
    more tries.
    """
    login = credentials.get("username") if credentials else request.POST.get("username")
    login = normalise_login(login or "")
    if not login:
        return None
    if "@" in login:
        user = _user_for(login)
        if user is not None:
            return user.username
    return login

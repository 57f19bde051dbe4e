from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with a username or an email address (case-insensitive)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        login = username.strip()
        field = "email__iexact" if "@" in login else "username__iexact"
        matches = list(User.objects.filter(**{field: login})[:2])
        if len(matches) != 1:
            # Unknown or ambiguous: run the hasher anyway so timing does not tell which.
            User().set_password(password)
            return None
        user = matches[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_name(request, credentials=None):
    """The name django-axes counts failed sign-ins against (AXES_USERNAME_CALLABLE).

    Sign-in takes a username in any case or an email address, so "Officer",
    "officer" and "officer@example.gov.uk" must all count against the one
    account; otherwise switching spelling would give a guesser five more tries.
    """
    login = credentials.get("username") if credentials else request.POST.get("username")
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        usernames = list(get_user_model().objects.filter(email__iexact=login).values_list("username", flat=True)[:2])
        if len(usernames) == 1:
            return usernames[0].lower()
    return login.lower()

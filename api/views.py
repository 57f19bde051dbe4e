"""The pages where a person makes, sees and revokes their own API tokens (/account/api-tokens/)."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import SecurityEvent
from api.forms import TokenForm, may_write
from api.models import ApiToken
from core.http import client_ip_address

# Making and revoking a token is a security event: recorded for the person and the administrators to look back
# on (accounts.SecurityEvent), and logged with which token (its prefix, never the key).
log = logging.getLogger("api.tokens")
_SHOWN_KEY = "api_token_key"


def needs_two_factor_first(request) -> bool:
    """A person with two-factor sign-in on, or funder staff who must have it, makes a token only in a session
    that gave a code: a token is a password that skips the second step, so it must not be cheaper to get."""
    return request.user.owes_two_factor and not request.user.is_verified()


@login_required
def token_list(request):
    tokens = ApiToken.objects.for_user(request.user)
    return render(request, "api/token_list.html", {"tokens": tokens, "may_write": may_write(request.user)})


@never_cache
@login_required
def token_create(request):
    if needs_two_factor_first(request):
        return render(request, "api/token_two_factor.html", status=403)
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        token, key = ApiToken.issue(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.expires_at(),
        )
        SecurityEvent.objects.create(
            user=request.user, kind=SecurityEvent.Kind.API_TOKEN_MADE, ip_address=client_ip_address(request)
        )
        log.info(
            "API token %s (%s, %s) made by user %s from %s",
            token.prefix,
            token.scope,
            token.expires_at.isoformat(),
            request.user.pk,
            client_ip_address(request),
        )
        # Held in the session for the one page that shows it, which takes it out.
        request.session[_SHOWN_KEY] = {"token": token.pk, "key": key}
        return redirect("api:token-made", token_pk=token.pk)
    return render(
        request,
        "api/token_form.html",
        {"form": form, "may_write": may_write(request.user), "two_factor": request.user.owes_two_factor},
    )


@never_cache
@login_required
def token_made(request, token_pk):
    token = get_object_or_404(ApiToken.objects.for_user(request.user), pk=token_pk)
    held = request.session.get(_SHOWN_KEY)
    key = None
    if held and held.get("token") == token.pk:
        key = held["key"]
        del request.session[_SHOWN_KEY]
    base = request.build_absolute_uri("/api/v1/")
    return render(request, "api/token_made.html", {"token": token, "key": key, "api_base": base})


@require_POST
@login_required
def token_revoke(request, token_pk):
    token = get_object_or_404(ApiToken.objects.for_user(request.user), pk=token_pk)
    if token.revoke(by=request.user):
        SecurityEvent.objects.create(
            user=request.user, kind=SecurityEvent.Kind.API_TOKEN_REVOKED, ip_address=client_ip_address(request)
        )
        log.info("API token %s revoked by user %s from %s", token.prefix, request.user.pk, client_ip_address(request))
        messages.success(request, f"The token “{token.name}” is revoked: it no longer opens the API.")
    else:
        messages.info(request, f"The token “{token.name}” was already revoked.")
    return redirect("api:tokens")

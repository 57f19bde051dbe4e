"""Pages for managing people: the list, a person's page with their access history, inviting,
withdrawing an invitation, disabling and enabling, changing a role; and the public page of an
invitation link.

Everyone but programme officers and lead contacts is refused (403); a person or invitation outside
the user's scope is not found (404): every page fetches through people_for / Invitation.for_user."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.permissions import OFFICERS, role_required
from accounts.services import issue_enrolment_link
from core.forms import show_refusal
from core.http import client_ip_address
from core.paging import sort_and_page
from people import services
from people.filters import PersonFilter
from people.forms import AcceptInvitationForm, AccessForm, InvitationForm
from people.history import history_page
from people.models import Invitation, manages_people, people_for
from people.tables import PersonTable

PER_PAGE = 50
SIGN_IN_BACKEND = "accounts.backends.UsernameOrEmailBackend"


def manager_required(view):
    """Signed in, and a programme officer or a lead contact."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not manages_people(request.user):
            raise PermissionDenied("Only programme officers and lead contacts manage people")
        return view(request, *args, **kwargs)

    return wrapped


def _person(request, person_pk):
    return get_object_or_404(people_for(request.user).select_related("organisation"), pk=person_pk)


@manager_required
def people_list(request):
    user = request.user
    people = people_for(user).select_related("organisation")
    filterset = PersonFilter(request.GET or None, queryset=people, request=request, officer=user.is_officer)
    table = sort_and_page(request, PersonTable(filterset.qs), per_page=PER_PAGE)
    invitations = (
        Invitation.objects.for_user(user).live().select_related("organisation", "invited_by").order_by("created_at")
    )
    context = {
        "filter": filterset,
        "table": table,
        "invitations": invitations,
        "organisation": None if user.is_officer else user.organisation,
    }
    return render(request, "people/list.html", context)


@manager_required
def person_detail(request, person_pk):
    person = _person(request, person_pk)
    user = request.user
    context = {
        "person": person,
        "history": history_page(person, request.GET.get("page")),
        "may_change": person.pk != user.pk and (person.role != "admin" or user.role == "admin"),
        "may_edit": user.is_officer,
    }
    return render(request, "people/person.html", context)


@manager_required
@never_cache
def invite(request):
    form = InvitationForm(request.POST or None, inviter=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invite(
                by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                organisation=form.cleaned_data["organisation"],
                ip_address=client_ip_address(request),
            )
        except ValidationError as refusal:
            show_refusal(form, refusal)
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}")
            return redirect("people:list")
    context = {"form": form, "inviter": request.user, "days": settings.INVITATION_LIFETIME.days}
    return render(request, "people/invite.html", context)


@manager_required
@require_POST
def invitation_revoke(request, invitation_pk):
    invitation = get_object_or_404(Invitation.objects.for_user(request.user), pk=invitation_pk)
    if services.revoke_invitation(invitation=invitation, by=request.user, ip_address=client_ip_address(request)):
        messages.success(request, f"The invitation to {invitation.email} was withdrawn: its link no longer works")
    else:
        messages.warning(request, f"The invitation to {invitation.email} had already been used or withdrawn")
    return redirect("people:list")


def _set_active(request, person_pk, *, active: bool):
    person = _person(request, person_pk)
    try:
        changed = services.set_active(
            person=person, by=request.user, active=active, ip_address=client_ip_address(request)
        )
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        state = "enabled" if active else "disabled"
        if changed:
            messages.success(
                request,
                f"{person}'s account is {state}"
                + ("" if active else ": they cannot sign in, and are signed out at their next click"),
            )
        else:
            messages.warning(request, f"{person}'s account was already {state}")
    return redirect("people:person", person_pk=person.pk)


@manager_required
@require_POST
def person_disable(request, person_pk):
    return _set_active(request, person_pk, active=False)


@manager_required
@require_POST
def person_enable(request, person_pk):
    return _set_active(request, person_pk, active=True)


@role_required(*OFFICERS)
@never_cache
def person_access(request, person_pk):
    person = _person(request, person_pk)
    initial = {"role": person.role, "organisation": person.organisation, "is_lead_contact": person.is_lead_contact}
    form = AccessForm(request.POST or None, initial=initial, officer=request.user)
    refused = ""
    if person.pk == request.user.pk:
        refused = "You cannot change your own access. Ask another programme officer."
    elif person.role == "admin" and request.user.role != "admin":
        refused = "Administrators are managed by other administrators, in the Django admin."
    if request.method == "POST" and not refused and form.is_valid():
        try:
            changes = services.change_access(
                person=person,
                by=request.user,
                ip_address=client_ip_address(request),
                **form.cleaned_data,
            )
        except ValidationError as refusal:
            show_refusal(form, refusal)
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
        else:
            if changes:
                messages.success(request, f"{person}'s access was changed")
            else:
                messages.info(request, "Nothing was changed")
            return redirect("people:person", person_pk=person.pk)
    if request.method == "POST" and refused:
        messages.error(request, refused)
        return redirect("people:person", person_pk=person.pk)
    context = {"form": form, "person": person, "refused": refused}
    return render(request, "people/access.html", context)


@never_cache
def invitation(request, token):
    """The invitation link, opened by the person invited: who invited them and to do what, and the
    form that makes their account. A used, withdrawn, lapsed or unknown link says so and makes nothing."""
    found = Invitation.objects.matching(token).select_related("organisation", "invited_by__organisation").first()
    state = found.state if found is not None else "unknown"
    if state != "live":
        return render(request, "people/invitation_closed.html", {"invitation": found, "state": state})
    if request.user.is_authenticated:
        return render(request, "people/invitation_signed_in.html", {"invitation": found})
    form = AcceptInvitationForm(request.POST or None, email=found.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except services.InvitationClosed as closed:
            return render(request, "people/invitation_closed.html", {"invitation": found, "state": closed.state})
        except ValidationError as refusal:
            show_refusal(form, refusal)
        else:
            login(request, user, backend=SIGN_IN_BACKEND)
            if user.is_funder_staff:
                # The invitation came to this email address, as a set-up link would: it opens
                # two-factor set-up for this session the same way.
                setup = issue_enrolment_link(user=user, ip_address=client_ip_address(request))
                messages.success(request, "Your account is ready. Now set up two-factor sign-in.")
                return redirect(reverse("accounts:two-factor-link", kwargs={"token": setup}))
            messages.success(request, f"Your account is ready. Sign in next time as {user.username} or {user.email}.")
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "people/invitation.html", {"invitation": found, "form": form})

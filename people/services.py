"""Inviting people, their joining, and every change to their access. Each change is checked
against what the person making it may do (whatever a form posted), made in one transaction
with the row locked or compared-and-set, and written to the access history (AccessEvent).
The invitation email is recorded with the invitation and sent once it commits."""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User, normalise_login, username_validator
from grants.models import Organisation
from notifications.catalogue import Kind
from notifications.services import absolute_url, long_date, notify
from people.models import AccessEvent, Invitation, manages_people, people_for, roles_granted_by


def _organisation_name(organisation) -> str:
    return organisation.name if organisation is not None else "no organisation"


def _check_grant(*, by: User, role: str, organisation: Organisation | None) -> None:
    """Refuse a role or organisation beyond what ``by`` may give."""
    if role not in roles_granted_by(by):
        raise PermissionDenied("You cannot give that role")
    if not by.is_officer and (organisation is None or organisation.pk != by.organisation_id):
        raise PermissionDenied("You can invite only your own organisation's staff")
    if role == Role.RECIPIENT and organisation is None:
        raise ValidationError({"organisation": "Choose the organisation a grant recipient works for"})


def invite(
    *, by: User, email: str, role: str, organisation: Organisation | None, ip_address: str | None = None
) -> Invitation:
    """Invite ``email`` to join with ``role`` (at ``organisation``) and send them the link.

    Refused for an address that already has an account or a live invitation: one person, one
    account, so that signing in with the email address finds them."""
    if not manages_people(by):
        raise PermissionDenied("You cannot invite people")
    _check_grant(by=by, role=role, organisation=organisation)
    email = normalise_login(email)
    # Two invitations to one address made at the same moment can both be sent; only the first
    # accepted makes an account (accept_invitation refuses an address that has one).
    with transaction.atomic():
        if User.objects.filter(email=email).exists():
            raise ValidationError(
                {"email": "There is already an account for this email address. Find them in the list of people."}
            )
        waiting = Invitation.objects.live().filter(email=email).first()
        if waiting is not None:
            raise ValidationError(
                {
                    "email": f"An invitation to this address is waiting to be accepted until "
                    f"{long_date(timezone.localtime(waiting.expires_at).date())}. Withdraw it first to send a new one."
                }
            )
        invitation, token = Invitation.new(email=email, role=role, organisation=organisation, invited_by=by)
        AccessEvent.objects.create(
            invitation=invitation,
            kind=AccessEvent.Kind.INVITED,
            by=by,
            after=invitation.access_described,
            ip_address=ip_address,
        )
        notify(
            user=None,
            to_email=email,
            kind=Kind.INVITATION,
            key=f"invitation:{invitation.pk}",
            personalisation={
                "invited_by": f"{by} ({by.organisation.name})" if by.organisation_id else str(by),
                "role": invitation.get_role_display().lower(),
                "organisation": organisation.name if organisation else "",
                "expires": long_date(timezone.localtime(invitation.expires_at).date()),
                "link": absolute_url(reverse("people:invitation", kwargs={"token": token})),
            },
        )
    return invitation


def revoke_invitation(*, invitation: Invitation, by: User, ip_address: str | None = None) -> bool:
    """Withdraw an invitation that has not been used; False if it had been used or withdrawn already."""
    if not Invitation.objects.for_user(by).filter(pk=invitation.pk).exists():
        raise PermissionDenied("You cannot withdraw this invitation")
    with transaction.atomic():
        revoked = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
        if revoked:
            AccessEvent.objects.create(
                invitation=invitation, kind=AccessEvent.Kind.INVITATION_REVOKED, by=by, ip_address=ip_address
            )
    return bool(revoked)


class InvitationClosed(Exception):
    """The link is unknown, used, withdrawn or out of date; ``state`` says which."""

    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


def _free_username(email: str) -> str:
    """A username made from the address, for someone who chose none (they may sign in with the address)."""
    base = re.sub(r"[^a-z0-9._-]+", ".", normalise_login(email).partition("@")[0]).strip("._-")[:140] or "user"
    name, number = base, 1
    while User.objects.filter(username=name).exists():
        number += 1
        name = f"{base}-{number}"
    return name


def accept_invitation(*, token: str, username: str, password: str, first_name: str, last_name: str) -> User:
    """Make the invited person's account, once: the invitation is claimed by compare-and-set in the
    same transaction that makes the user, so two tabs submitting one link make one account, and a
    refusal (a username taken meanwhile) leaves the link usable."""
    invitation = Invitation.objects.matching(token).select_related("organisation").first()
    if invitation is None:
        raise InvitationClosed("unknown")
    if invitation.state != "live":
        raise InvitationClosed(invitation.state)
    username = normalise_login(username)
    with transaction.atomic():
        claimed = Invitation.objects.live().filter(pk=invitation.pk).update(used_at=timezone.now())
        if not claimed:
            invitation.refresh_from_db()
            raise InvitationClosed(invitation.state)
        if User.objects.filter(email=invitation.email).exists():
            raise ValidationError("There is already an account for this email address. Sign in instead.")
        if username:
            username_validator(username)
            if User.objects.filter(username=username).exists():
                raise ValidationError({"username": "That username is taken. Choose another, or leave it empty."})
        user = User(
            username=username or _free_username(invitation.email),
            email=invitation.email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            role=invitation.role,
            organisation=invitation.organisation,
        )
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise ValidationError({"username": "That username is taken. Choose another, or leave it empty."}) from None
        Invitation.objects.filter(pk=invitation.pk).update(user=user)
        AccessEvent.objects.create(
            person=user, invitation=invitation, kind=AccessEvent.Kind.JOINED, after=invitation.access_described
        )
    return user


def _check_may_manage(*, by: User, person: User) -> None:
    if not people_for(by).filter(pk=person.pk).exists():
        raise PermissionDenied("You cannot manage this person")
    if person.pk == by.pk:
        raise ValidationError("You cannot change your own access. Ask another programme officer.")
    if person.role == Role.ADMIN and by.role != Role.ADMIN:
        raise ValidationError("Administrators are managed by other administrators, in the Django admin.")


def set_active(*, person: User, by: User, active: bool, ip_address: str | None = None) -> bool:
    """Disable (or enable again) a person's account. A disabled person cannot sign in, and a session
    they hold ends at its next request (accounts.backends: an inactive user is never loaded).
    False when it already was so."""
    _check_may_manage(by=by, person=person)
    with transaction.atomic():
        changed = User.objects.filter(pk=person.pk, is_active=not active).update(is_active=active)
        if changed:
            AccessEvent.objects.create(
                person=person,
                kind=AccessEvent.Kind.ENABLED if active else AccessEvent.Kind.DISABLED,
                by=by,
                ip_address=ip_address,
            )
    person.is_active = active
    return bool(changed)


def change_access(
    *,
    person: User,
    by: User,
    role: str,
    organisation: Organisation | None,
    is_lead_contact: bool,
    ip_address: str | None = None,
) -> list[AccessEvent]:
    """Change a person's role, organisation and whether they are their organisation's lead contact
    (programme officers only). Returns the changes recorded, one per thing changed."""
    if not by.is_officer:
        raise PermissionDenied("Only programme officers change a person's role")
    _check_may_manage(by=by, person=person)
    if role not in roles_granted_by(by):
        raise PermissionDenied("You cannot give that role")
    if role == Role.RECIPIENT and organisation is None:
        raise ValidationError({"organisation": "Choose the organisation a grant recipient works for"})
    if is_lead_contact and role != Role.RECIPIENT:
        raise ValidationError({"is_lead_contact": "Only a grant recipient can be their organisation's lead contact"})
    events = []
    with transaction.atomic():
        current = User.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=person.pk)

        def record(kind, before="", after=""):
            events.append(
                AccessEvent.objects.create(
                    person=current, kind=kind, by=by, before=before, after=after, ip_address=ip_address
                )
            )

        if current.role != role:
            record(AccessEvent.Kind.ROLE_CHANGED, current.get_role_display(), Role(role).label)
        if current.organisation_id != (organisation.pk if organisation else None):
            record(
                AccessEvent.Kind.ORGANISATION_CHANGED,
                _organisation_name(current.organisation),
                _organisation_name(organisation),
            )
        if current.is_lead_contact != is_lead_contact:
            record(AccessEvent.Kind.LEAD_CONTACT_ON if is_lead_contact else AccessEvent.Kind.LEAD_CONTACT_OFF)
        if events:
            User.objects.filter(pk=current.pk).update(
                role=role, organisation=organisation, is_lead_contact=is_lead_contact
            )
    person.refresh_from_db()
    return events

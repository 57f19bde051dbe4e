"""People who use the service: invitations to join it, who may manage whom, and the record of
every change to a person's access.

Programme officers manage everyone but administrators (who are made and changed in the Django
admin); a council's lead contact manages their own organisation's grant recipients and no one
else. Both are decided here, once, for every page and service."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import FUNDER_ROLES, Role, User

# Admins are made with createsuperuser or the Django admin, never by an invitation.
INVITABLE_ROLES = [role for role in Role if role != Role.ADMIN]


def leads_organisation(user) -> bool:
    """A council's (or lead organisation's) lead contact: the flag counts only for an active grant recipient."""
    return bool(user.is_authenticated and user.is_active and user.is_lead_contact and user.is_recipient)


def manages_people(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_officer or leads_organisation(user)))


def people_for(user):
    """The people ``user`` may see and manage: everyone for an officer, their own organisation's
    grant recipients for a lead contact, nobody for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    if user.is_officer:
        return User.objects.all()
    if leads_organisation(user):
        return User.objects.filter(role=Role.RECIPIENT, organisation=user.organisation_id)
    return User.objects.none()


def roles_granted_by(user) -> list[Role]:
    """The roles ``user`` may give, by invitation or by a change of access."""
    if user.is_officer:
        return INVITABLE_ROLES
    if leads_organisation(user):
        return [Role.RECIPIENT]
    return []


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_officer:
            return self
        if leads_organisation(user):
            return self.filter(role=Role.RECIPIENT, organisation=user.organisation_id)
        return self.none()

    def live(self):
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())

    def matching(self, token: str):
        return self.filter(token_hash=_token_hash(token))


class Invitation(models.Model):
    """A single-use link to join the service with a role (and an organisation) chosen by whoever
    invited. Only a hash of the token is kept, as for a two-factor set-up link, so the link can be
    sent only when it is made: whoever reads the database cannot open it."""

    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=[(role.value, role.label) for role in INVITABLE_ROLES])
    organisation = models.ForeignKey(
        "grants.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The account made with this invitation.",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=[role.value for role in INVITABLE_ROLES]), name="invitation_role_invitable"
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.RECIPIENT) | Q(organisation__isnull=False),
                name="invitation_recipient_has_organisation",
                violation_error_message="A grant recipient must belong to an organisation.",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="invitation_expires_after_made"
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(revoked_at__isnull=True), name="invitation_used_or_revoked"
            ),
        ]

    def __str__(self):
        return f"Invitation to {self.email}"

    @classmethod
    def new(cls, *, email: str, role: str, organisation, invited_by) -> tuple["Invitation", str]:
        """A new invitation and its token; the token is never stored, so it can be sent only now."""
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation = cls.objects.create(
            email=email,
            role=role,
            organisation=organisation,
            invited_by=invited_by,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + settings.INVITATION_LIFETIME,
        )
        return invitation, token

    @property
    def state(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "live"

    @property
    def for_funder_staff(self) -> bool:
        return self.role in FUNDER_ROLES

    @property
    def access_described(self) -> str:
        role = self.get_role_display()
        return f"{role} at {self.organisation.name}" if self.organisation_id else role


class AccessKind(models.TextChoices):
    INVITED = "invited", "Invited"
    INVITATION_REVOKED = "invitation_revoked", "Invitation withdrawn"
    JOINED = "joined", "Accepted the invitation and joined"
    ROLE_CHANGED = "role_changed", "Role changed"
    ORGANISATION_CHANGED = "organisation_changed", "Organisation changed"
    LEAD_CONTACT_ON = "lead_contact_on", "Made lead contact"
    LEAD_CONTACT_OFF = "lead_contact_off", "No longer lead contact"
    DISABLED = "disabled", "Disabled"
    ENABLED = "enabled", "Enabled"


class AccessEvent(models.Model):
    """A change to someone's access to the service: who made it, when, and what it was before and
    after. Written once, never changed; shown on the person's page with their sign-in security
    events (accounts.SecurityEvent)."""

    Kind = AccessKind

    person = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="access_events")
    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who made the change; empty where it was the person themselves.",
    )
    before = models.CharField(max_length=300, blank=True)
    after = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AccessKind.values), name="access_event_kind_valid"),
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(invitation__isnull=False), name="access_event_about_someone"
            ),
        ]

    def __str__(self):
        return f"{self.person or self.invitation}: {self.get_kind_display()}"

import hashlib
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


def normalise_login(value: str) -> str:
    """The one form of a username or email address, for sign-in, lock-out and creation.

    NFKC folds look-alikes that are the same letter ("ſ" long s, full-width
    letters) and casefold folds case. Matching then compares this form exactly,
    never with the database's case-insensitive lookups: PostgreSQL's UPPER()
    folds "ı" (dotless i) to "I", Python does not, and a lock-out counted
    under one spelling must hold for every spelling that signs in.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value or "").casefold()).strip()


# New usernames: ASCII letters, digits and . _ - only, so that no two can look alike; no @,
# which sign-in reads as an email address.
username_validator = RegexValidator(
    r"\A[a-z0-9][a-z0-9._-]*\Z",
    "A username may hold only letters a to z, digits and . _ -, and must start with a letter or digit",
)


class Role(models.TextChoices):
    OFFICER = "officer", "Programme officer"
    FINANCE = "finance", "Finance officer"
    RECIPIENT = "recipient", "Grant recipient"
    EVALUATOR = "evaluator", "Evaluator"
    VIEWER = "viewer", "Viewer"
    ADMIN = "admin", "Administrator"


FUNDER_ROLES = (Role.OFFICER, Role.FINANCE, Role.ADMIN)
# Roles that read everything in the programme (what each may change is decided per action).
PROGRAMME_WIDE_ROLES = (Role.OFFICER, Role.FINANCE, Role.ADMIN, Role.VIEWER)


class User(AbstractUser):
    """A person who signs in. Each has exactly one role.

    Recipient users act for one organisation (a council or a lead
    organisation); evaluators may belong to their evaluation organisation.
    """

    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        validators=[username_validator],
        help_text="Letters a to z, digits and . _ - only. Stored in lower case.",
        error_messages={"unique": "A user with that username already exists."},
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    organisation = models.ForeignKey(
        "grants.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="The organisation a grant recipient or evaluator works for.",
    )
    # Set by programme officers (people/). It counts only for a grant recipient: the
    # people app reads it together with the role, so a change of role ends it.
    is_lead_contact = models.BooleanField(
        "lead contact",
        default=False,
        help_text="A grant recipient who invites and disables their own organisation's staff.",
    )

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.RECIPIENT) | Q(organisation__isnull=False),
                name="recipient_user_has_organisation",
                violation_error_message="A grant recipient user must belong to an organisation.",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    @classmethod
    def normalize_username(cls, username):
        return normalise_login(username)

    def save(self, *args, **kwargs):
        # Every way a user is made or changed (admin, create_user, the demo) stores the one form.
        self.username = normalise_login(self.username)
        self.email = normalise_login(self.email)
        super().save(*args, **kwargs)

    @property
    def is_funder_staff(self) -> bool:
        return self.role in FUNDER_ROLES

    @property
    def has_two_factor(self) -> bool:
        """Whether the user has set up an authenticator app (a confirmed django-otp TOTP device).

        The user of a request carries the answer from the query that loaded it
        (accounts.backends.UsernameOrEmailBackend.get_user), so checking it on
        every request costs nothing."""
        if "two_factor_on" in self.__dict__:
            return self.two_factor_on
        return self.totpdevice_set.filter(confirmed=True).exists()

    @property
    def owes_two_factor(self) -> bool:
        """Whether a password alone is not enough for this person: they turned two-factor on, or they are funder
        staff, who approve and release public money, where the service requires it (TWO_FACTOR_REQUIRED)."""
        return self.has_two_factor or (self.is_funder_staff and settings.TWO_FACTOR_REQUIRED)

    @property
    def sees_whole_programme(self) -> bool:
        return self.is_active and self.role in PROGRAMME_WIDE_ROLES

    @property
    def is_officer(self) -> bool:
        return self.role in (Role.OFFICER, Role.ADMIN)

    @property
    def is_finance(self) -> bool:
        return self.role == Role.FINANCE

    @property
    def is_recipient(self) -> bool:
        return self.role == Role.RECIPIENT and self.organisation_id is not None

    @property
    def is_evaluator(self) -> bool:
        return self.role == Role.EVALUATOR


class SecurityEvent(models.Model):
    """Something that happened to a person's sign-in that they, and the service's
    administrators, should be able to look back on. Written once, never changed."""

    class Kind(models.TextChoices):
        TWO_FACTOR_ON = "two_factor_on", "Two-factor sign-in turned on"
        RECOVERY_CODE_USED = "recovery_code_used", "Signed in with a recovery code"
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", "New recovery codes made"
        ENROLMENT_LINK_SENT = "enrolment_link_sent", "Set-up link sent by email"
        ENROLMENT_LINK_ISSUED = "enrolment_link_issued", "Set-up link issued by an administrator"
        ENROLMENT_LINK_USED = "enrolment_link_used", "Set-up link used"
        API_TOKEN_MADE = "api_token_made", "API token made"
        API_TOKEN_REVOKED = "api_token_revoked", "API token revoked"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="security_events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The administrator who acted, where it was not the person themselves.",
    )

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "two_factor_on",
                        "recovery_code_used",
                        "recovery_codes_renewed",
                        "enrolment_link_sent",
                        "enrolment_link_issued",
                        "enrolment_link_used",
                        "api_token_made",
                        "api_token_revoked",
                    ]
                ),
                name="security_event_kind_valid",
            )
        ]

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()}"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class EnrolmentLinkQuerySet(models.QuerySet):
    def live(self):
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())

    def matching(self, token: str):
        return self.filter(token_hash=_token_hash(token))


class EnrolmentLink(models.Model):
    """A single-use link that lets a member of staff set up two-factor sign-in.

    Outside development a password alone does not let anyone set up the second
    factor, or whoever knew the password first would own it: the link goes to the
    person's email address (or an administrator hands it over), and only the
    session that opens it may set up. Only a hash of the token is kept.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The administrator who issued it; empty when it was sent by email at the person's request.",
    )

    objects = EnrolmentLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="enrolment_link_expires_after_made"
            ),
        ]

    def __str__(self):
        return f"Two-factor set-up link for {self.user}"

    @classmethod
    def new(cls, *, user, issued_by=None) -> tuple["EnrolmentLink", str]:
        """A new link and its token; the token is never stored, so it can be shown or sent only now."""
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        link = cls.objects.create(
            user=user,
            token_hash=_token_hash(token),
            created_at=now,
            issued_by=issued_by,
            expires_at=now + settings.TWO_FACTOR_ENROLMENT_LINK_LIFETIME,
        )
        return link, token

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


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

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    organisation = models.ForeignKey(
        "grants.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="The organisation a grant recipient or evaluator works for.",
    )

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.RECIPIENT) | Q(organisation__isnull=False),
                name="recipient_user_has_organisation",
                violation_error_message="A grant recipient user must belong to an organisation.",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="user_role_valid"
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def is_funder_staff(self) -> bool:
        return self.role in FUNDER_ROLES

    @property
    def has_two_factor(self) -> bool:
        """Whether the user has set up an authenticator app (a confirmed django-otp TOTP device)."""
        return self.totpdevice_set.filter(confirmed=True).exists()

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

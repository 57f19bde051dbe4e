"""A spreadsheet someone uploaded to import, kept between its preview and its
confirmation. Only the person who uploaded it ever sees it."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


def new_token() -> str:
    return secrets.token_urlsafe(18)


def import_path(instance, filename):
    # The stored name is random, in the private file storage, which no URL serves.
    return f"imports/{uuid.uuid4().hex}.xlsx"


class ImportBatchQuerySet(models.QuerySet):
    def for_user(self, user):
        """A batch is private to the person who uploaded it, whatever their role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class ImportBatch(models.Model):
    class Kind(models.TextChoices):
        ALLOCATIONS = "allocations", "Allocations of a grant"
        SPEND_RETURNS = "spend_returns", "Quarterly spend returns"
        RESULTS = "results", "Outcome results"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for you to confirm"
        APPLIED = "applied", "Imported"
        CANCELLED = "cancelled", "Cancelled"

    # Pages address a batch by this unguessable token rather than its number.
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_batches")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    grant = models.ForeignKey(
        "grants.Grant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="import_batches",
        help_text="The grant whose allocations are imported, or the grant a spend return file was made for.",
    )
    evaluation = models.ForeignKey(
        "evaluations.Evaluation", on_delete=models.PROTECT, null=True, blank=True, related_name="import_batches"
    )
    file = models.FileField(upload_to=import_path, max_length=200)
    original_name = models.CharField(max_length=200)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_new = models.PositiveIntegerField(default=0)
    rows_changed = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["allocations", "spend_returns", "results"]), name="import_batch_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", applied_at__isnull=True, cancelled_at__isnull=True)
                | Q(status="applied", applied_at__isnull=False, cancelled_at__isnull=True)
                | Q(status="cancelled", applied_at__isnull=True, cancelled_at__isnull=False),
                name="import_batch_status_has_its_time",
            ),
            models.CheckConstraint(
                condition=~Q(kind="allocations") | Q(grant__isnull=False, evaluation__isnull=True),
                name="import_batch_allocations_name_a_grant",
            ),
            models.CheckConstraint(
                condition=~Q(kind="results") | Q(evaluation__isnull=False, grant__isnull=True),
                name="import_batch_results_name_an_evaluation",
            ),
            models.CheckConstraint(condition=Q(size_bytes__gt=0), name="import_batch_file_not_empty"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.original_name}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

"""Who downloaded which file or export, and when.

Files and exports carry personal and financial information, so each download
is recorded. Rows are written once and never changed or deleted.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.http import client_ip_address


class DownloadRecord(models.Model):
    class Kind(models.TextChoices):
        EVIDENCE_FILE = "evidence_file", "Evidence file"
        EVALUATION_REPORT = "evaluation_report", "Evaluation report"
        EXPORT = "export", "Export"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="downloads")
    downloaded_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(max_length=300)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    # As the client sent it: anyone can forge it, so it is kept for the record and
    # never trusted for a decision.
    forwarded_for = models.CharField("X-Forwarded-For", max_length=300, blank=True)

    class Meta:
        ordering = ["-downloaded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["evidence_file", "evaluation_report", "export"]), name="download_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} downloaded {self.description}"


def record_download(request, *, kind: str, obj=None, description: str = "") -> DownloadRecord:
    """Record that the signed-in user is downloading ``obj`` (or an export described by ``description``)."""
    return DownloadRecord.objects.create(
        user=request.user,
        kind=kind,
        description=(description or str(obj))[:300],
        object_id=getattr(obj, "pk", None),
        path=request.get_full_path()[:500],
        ip_address=client_ip_address(request),
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR", "")[:300],
    )

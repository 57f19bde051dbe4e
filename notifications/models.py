from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from notifications.catalogue import Kind

# A message left "sending" this long was being sent by a worker that stopped: it is due again.
SENDING_STALLS_AFTER = timedelta(minutes=10)


class MessageQuerySet(models.QuerySet):
    def for_user(self, user):
        """The message log is the officers' (it names everyone's messages); nobody else sees any."""
        if user.is_authenticated and user.is_active and user.is_officer:
            return self.all()
        return self.none()

    def due(self, now=None):
        """Messages a sender should try now: queued and past their next try, or left "sending" by
        a worker that stopped part way."""
        now = now or timezone.now()
        return self.filter(
            Q(status=Message.Status.QUEUED, next_attempt_at__lte=now)
            | Q(status=Message.Status.SENDING, claimed_at__lt=now - SENDING_STALLS_AFTER)
        )


class Message(models.Model):
    """One message to one person about one thing. The row is written in the same transaction as
    the event it tells of, so a message is never sent about something that was rolled back, and
    never lost when sending fails: it stays here, retried and then shown as failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        HELD = "held", "Held for the weekly digest"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    email = models.EmailField("email address", max_length=254, help_text="Where it was sent")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    key = models.CharField(max_length=200, help_text="What the message is about and when, so it is sent once")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    personalisation = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    digest = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried",
        help_text="The weekly digest that carried this message",
    )

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The database, not a check before the insert, makes each event send once: two
            # processes telling of the same thing cannot both write the row.
            models.UniqueConstraint(
                fields=["user", "kind", "key"], condition=Q(user__isnull=False), name="message_once_per_user"
            ),
            models.UniqueConstraint(
                fields=["email", "kind", "key"], condition=Q(user__isnull=True), name="message_once_per_address"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "held", "sent", "failed"]), name="message_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="message_sent_has_time"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="message_due")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.email}"

    @property
    def recipient_name(self) -> str:
        return str(self.user) if self.user_id else self.email


class Preference(models.Model):
    """What one person chose to be sent. No row means the defaults: every kind, at once."""

    class Frequency(models.TextChoices):
        AT_ONCE = "at_once", "Each message at once"
        WEEKLY = "weekly", "A weekly digest"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_preference")
    switched_off = models.JSONField(default=list, blank=True, help_text="Kinds of message this person chose not to get")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.AT_ONCE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(frequency__in=["at_once", "weekly"]), name="preference_frequency_valid")
        ]

    def __str__(self):
        return f"Message choices of {self.user}"

    @property
    def weekly(self) -> bool:
        return self.frequency == self.Frequency.WEEKLY

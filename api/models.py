"""The API's own records: the tokens people make to use it, and the writes it has done under an
Idempotency-Key, so that a retried request does its work once."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        """Tokens that open the API now: not revoked, not expired. (Whether the owner may still sign in is
        the caller's check: api.auth refuses a disabled owner's token.)"""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())

    def for_user(self, user):
        """A person sees and manages only their own tokens."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


# "mig_" says what the key belongs to (secret scanners and people recognise it); 32 random bytes cannot be guessed.
KEY_PREFIX = "mig_"


class ApiToken(models.Model):
    """A person's key to the API. The key itself is shown once, when it is made; only its SHA-256 is kept.
    It reads (and, with the read-write scope, writes) exactly what its owner could on the pages."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, such as “Finance ledger feed”.")
    prefix = models.CharField(max_length=16, unique=True, help_text="The key's first characters, to recognise it by.")
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expires_after"),
            models.CheckConstraint(condition=Q(scope__in=["read", "read_write"]), name="api_token_scope_valid"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, user, name: str, scope: str, expires_at) -> tuple["ApiToken", str]:
        """A new token and its key. The key is returned once, for the person to copy; only its SHA-256 is
        stored, so nobody (an administrator, a database backup) can read it back."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        token = cls(
            user=user,
            name=name,
            scope=scope,
            expires_at=expires_at,
            prefix=key[:12],
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
        )
        token.full_clean()
        token.save()
        return token, key

    def revoke(self, *, by) -> bool:
        """Stop the token from opening the API, from now on. A conditional update, so revoking twice (two
        tabs) keeps the first time and person; True when this call revoked it."""
        now = timezone.now()
        done = ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=by)
        if done:
            self.revoked_at, self.revoked_by = now, by
        return bool(done)

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "Revoked"
        if self.expires_at <= timezone.now():
            return "Expired"
        return "Active"


class IdempotentRequest(models.Model):
    """A write made with an Idempotency-Key: the first request's fingerprint and the response it got, replayed
    to a retry with the same key, refused to a different request that reuses the key."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and content.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self):
        return f"{self.key} ({self.get_state_display()})"

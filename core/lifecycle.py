"""Status with a history: the one way a grant, project or milestone changes state.

Each stateful model lists its legal moves in TRANSITIONS and has a history
model (a subclass of StatusChange) whose foreign key is named
``status_changes`` in reverse. ``set_status`` re-reads the row under a lock,
refuses an illegal move, and writes the history row in the same transaction.
"""

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone


class IllegalStatusChange(Exception):
    pass


class Stateful(models.Model):
    TRANSITIONS: dict[str, tuple[str, ...]] = {}

    class Meta:
        abstract = True

    def allowed_statuses(self) -> tuple[str, ...]:
        return self.TRANSITIONS.get(self.status, ())

    def check_move(self, current: str, new_status: str, *, by, reason: str) -> None:
        """A further rule on a legal move (who may make it, what it needs), checked
        under the lock; raises IllegalStatusChange to refuse it."""

    def set_status(self, new_status: str, *, by, reason: str = "") -> None:
        model = type(self)
        with transaction.atomic():
            locked = model.objects.select_for_update().get(pk=self.pk)
            current = locked.status
            if new_status not in self.TRANSITIONS.get(current, ()):
                label = dict(model._meta.get_field("status").choices)
                noun = model._meta.verbose_name
                raise IllegalStatusChange(
                    f"{'An' if noun[:1] in 'aeiou' else 'A'} {noun} cannot move from "
                    f"{label.get(current, current)} to {label.get(new_status, new_status)}."
                )
            self.check_move(current, new_status, by=by, reason=reason)
            # Saved through the model (not a bare UPDATE) so that the audit history
            # records the move with who made it and why.
            locked.status = new_status
            locked._history_user = by
            locked._change_reason = reason[:100]
            locked.save()
            self.status_changes.create(old_status=current, new_status=new_status, changed_by=by, reason=reason)
        self.status = new_status
        for field in ("modified_at",):
            if hasattr(locked, field):
                setattr(self, field, getattr(locked, field))

    def record_initial_status(self, *, by, when=None) -> None:
        """The first history row, written when the object is created."""
        self.status_changes.create(
            old_status="", new_status=self.status, changed_by=by, changed_at=when or timezone.now()
        )


class StatusChange(models.Model):
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["changed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(old_status=F("new_status")), name="%(app_label)s_%(class)s_is_a_change"
            ),
        ]

    def __str__(self):
        return f"{self.old_status or 'created'} → {self.new_status} at {self.changed_at:%d %b %Y %H:%M}"

"""Admin bases for every app: a back office held to the same rules as every other path.

- Nothing that carries money or a decision is deleted (DESIGN.md: a correction is an audited
  edit or a reversing row): those admins refuse the delete permission.
- A status moves only through ``set_status``, which checks the move and writes the history.
- Rows a service saves are saved by that service here too, its rules checked under its locks.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from simple_history.admin import SimpleHistoryAdmin

from core.lifecycle import IllegalStatusChange

REASON = "Changed in the admin"
# Addresses typed without a scheme are taken as https, as Django 6 will do.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class AuditHistoryAdmin(SimpleHistoryAdmin):
    """The admin's History page lists every saved copy with who changed what;
    reverting is switched off (SIMPLE_HISTORY_REVERT_DISABLED)."""

    history_list_display = ["history_change_reason"]


class Undeletable:
    """For rows that carry money or a decision: corrected, never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyAdmin(Undeletable, admin.ModelAdmin):
    """Rows made by a workflow that checks more than a form can (who may act, uploaded
    files, the status they move); here they are only looked at."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on their parent for reference; they are made elsewhere."""

    extra = 0
    can_delete = False
    show_change_link = True
    related = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StatusHistoryInline(ReadOnlyInline):
    fields = ("changed_at", "old_status", "new_status", "changed_by", "reason")
    readonly_fields = fields
    related = ("changed_by",)
    show_change_link = False
    verbose_name = "status change"
    verbose_name_plural = "status history"


def status_actions(model):
    """One admin action per status some legal move reaches, each going through set_status."""
    labels = dict(model.Status.choices)
    targets = dict.fromkeys(status for moves in model.TRANSITIONS.values() for status in moves)
    return [_status_action(model, target, labels[target]) for target in targets]


def _status_action(model, target, label):
    singular, plural = model._meta.verbose_name, model._meta.verbose_name_plural

    def action(modeladmin, request, queryset):
        moved = 0
        for obj in queryset:
            try:
                obj.set_status(target, by=request.user, reason=REASON)
            except IllegalStatusChange as error:
                modeladmin.message_user(request, f"{obj}: {error}", messages.ERROR)
            else:
                moved += 1
        if moved:
            noun = singular if moved == 1 else plural
            modeladmin.message_user(request, f"Moved {moved} {noun} to {label}.", messages.SUCCESS)

    action.__name__ = f"move_to_{target}"
    return admin.action(description=f"Move selected {plural} to {label}", permissions=["change"])(action)


class StatefulAdmin(Undeletable, admin.ModelAdmin):
    """Status is read-only; it moves by the actions, and a new row starts its history."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            obj.record_initial_status(by=request.user)


class _Rehearsal(Exception):
    """Rolls back a rehearsal of a service call."""


class ThroughServiceAdmin(Undeletable, admin.ModelAdmin):
    """An admin whose rows are saved by a service function, never by ``obj.save()``.

    While the form is checked, the service runs once in a savepoint that is rolled
    back, so a broken money rule shows as a message on the form. ``save_model`` then
    makes the real call, which takes its locks and checks again.
    """

    def save_through_service(self, data, *, by, instance):
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class CheckedByService(form):
            def _post_clean(self):
                super()._post_clean()
                if self.errors:
                    return
                try:
                    with transaction.atomic():
                        model_admin.save_through_service(self.cleaned_data, by=request.user, instance=obj)
                        raise _Rehearsal
                except _Rehearsal:
                    pass
                except ValidationError as error:
                    self.add_error(None, error.messages)

        return CheckedByService

    def save_model(self, request, obj, form, change):
        saved = self.save_through_service(form.cleaned_data, by=request.user, instance=obj if change else None)
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db

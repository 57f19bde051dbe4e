from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin

from audit.models import DownloadRecord
from core.admin import ViewOnlyAdmin


@admin.register(DownloadRecord)
class DownloadRecordAdmin(ViewOnlyAdmin):
    """The audit trail is only read: written by the download views, never edited or deleted."""

    list_display = ("downloaded_at", "user", "kind", "description", "object_id", "ip_address")
    list_filter = ("kind", "downloaded_at")
    list_select_related = ("user",)
    search_fields = ("description", "path", "user__username", "user__email")
    date_hierarchy = "downloaded_at"
    fields = ("downloaded_at", "user", "kind", "description", "object_id", "path", "ip_address", "forwarded_for")
    readonly_fields = fields


# django-axes's own admins let a superuser delete sign-ins, failures and lock-outs, and clear
# expired ones in bulk. They are the record of who signed in and who was locked out, so here
# they are only read; an officer lifts a lock-out at /account/lockouts/, which keeps the failure log.
admin.site.unregister([AccessAttempt, AccessLog, AccessFailureLog])


@admin.register(AccessAttempt)
class SignInAttemptAdmin(ViewOnlyAdmin, AccessAttemptAdmin):
    actions = []  # not axes's "clean up expired attempts"


@admin.register(AccessLog)
class SignInAdmin(ViewOnlyAdmin, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class SignInFailureAdmin(ViewOnlyAdmin, AccessFailureLogAdmin):
    pass

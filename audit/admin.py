from django.contrib import admin

from audit.models import DownloadRecord
from grants.admin import ViewOnlyAdmin


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

"""API tokens in the back office: looked at, and revoked when someone leaves or a key is exposed; never made here
(a key is shown once, to its owner) and never deleted (a revoked token stays on record, with who revoked it)."""

from django.contrib import admin, messages

from api.models import ApiToken
from core.admin import ViewOnlyAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(ViewOnlyAdmin):
    list_display = ["name", "user", "prefix", "scope", "created_at", "expires_at", "last_used_at", "state"]
    list_filter = ["scope"]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "scope", "created_at", "expires_at", "revoked_at", "revoked_by"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    @admin.action(description="Revoke the chosen tokens")
    def revoke(self, request, queryset):
        revoked = sum(token.revoke(by=request.user) for token in queryset)
        messages.success(request, f"Revoked {revoked} token{'s' if revoked != 1 else ''}.")

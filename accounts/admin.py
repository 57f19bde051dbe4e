from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.urls import reverse

from accounts.models import EnrolmentLink, SecurityEvent, User
from accounts.services import issue_enrolment_link
from core.http import client_ip_address

ROLE_FIELDSET = ("Role in the service", {"fields": ("role", "organisation")})


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "organisation", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff", "is_superuser", ("organisation", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("organisation",)
    search_fields = ("username", "first_name", "last_name", "email", "organisation__name")
    autocomplete_fields = ("organisation",)
    fieldsets = DjangoUserAdmin.fieldsets[:2] + (ROLE_FIELDSET,) + DjangoUserAdmin.fieldsets[2:]
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (ROLE_FIELDSET,)
    actions = ["issue_setup_link"]

    @admin.action(description="Issue a two-factor set-up link (for someone who cannot get the email)")
    def issue_setup_link(self, request, queryset):
        users = list(queryset[:2])
        if len(users) != 1:
            self.message_user(request, "Choose one user: each link is for one person.", messages.ERROR)
            return
        user = users[0]
        if user.has_two_factor:
            self.message_user(
                request,
                f"{user.username} has two-factor sign-in already. To replace their phone, "
                "delete their authenticator app (TOTP device) first.",
                messages.ERROR,
            )
            return
        token = issue_enrolment_link(user=user, by=request.user, ip_address=client_ip_address(request))
        url = request.build_absolute_uri(reverse("accounts:two-factor-link", kwargs={"token": token}))
        self.message_user(
            request,
            f"Set-up link for {user.username}, shown only now. Give it to them yourself "
            f"(not by the email on the account): {url}",
            messages.WARNING,
        )


class RecordAdmin(admin.ModelAdmin):
    """A record of what happened to someone's sign-in: read, never changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(RecordAdmin):
    list_display = ("at", "user", "kind", "ip_address", "by")
    list_filter = ("kind",)
    list_select_related = ("user", "by")
    search_fields = ("user__username", "user__email")
    date_hierarchy = "at"


@admin.register(EnrolmentLink)
class EnrolmentLinkAdmin(RecordAdmin):
    list_display = ("created_at", "user", "expires_at", "used_at", "issued_by")
    list_select_related = ("user", "issued_by")
    search_fields = ("user__username",)
    exclude = ("token_hash",)

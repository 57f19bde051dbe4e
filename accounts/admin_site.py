from django.conf import settings
from django.contrib import admin

from accounts.views import admin_sign_in


class ServiceAdminSite(admin.AdminSite):
    """The Django admin, entered only through the service's sign-in (lock-out and
    two-factor hold there) and, where two-factor is required, only after the second step."""

    site_header = "Manage innovation grants: administration"
    site_title = "Manage innovation grants"

    def has_permission(self, request):
        return super().has_permission(request) and (
            request.user.is_verified() or not (settings.TWO_FACTOR_REQUIRED or request.user.has_two_factor)
        )

    def login(self, request, extra_context=None):
        return admin_sign_in(request)

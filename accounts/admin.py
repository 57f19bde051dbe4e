from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User

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

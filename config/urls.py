from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

admin.site.site_header = "Manage innovation grants: administration"
admin.site.site_title = "Manage innovation grants"

urlpatterns = [
    path("", TemplateView.as_view(template_name="start.html"), name="home"),
    path("account/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

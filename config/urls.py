from django.contrib import admin
from django.urls import include, path

from accounts.views import home
from grants.views import money_glossary

urlpatterns = [
    path("", home, name="home"),
    path("help/money/", money_glossary, name="money-glossary"),
    path("account/", include("accounts.urls")),
    path("projects/", include("projects.urls")),
    path("grants/", include("grants.urls")),
    path("evaluations/", include("evaluations.urls")),
    path("exports/", include("reports.project_exports")),
    path("reports/impact/", include("evaluations.impact_urls")),
    path("reports/", include("reports.urls")),
    path("publish/", include("publish.urls")),
    path("imports/", include("imports.urls")),
    path("downloads/", include("downloads.urls")),
    path("admin/", admin.site.urls),
]

from django.contrib import admin
from django.urls import include, path

from accounts.views import home
from grants.views import money_glossary
from projects import urls as projects_urls
from reports.views import dashboard

urlpatterns = [
    path("", home, name="home"),
    path("help/money/", money_glossary, name="money-glossary"),
    path("account/", include("accounts.urls")),
    # The staff dashboard reads the whole programme, so it lives in reports/; it keeps its
    # path and its name in the projects namespace, added here because projects sits below reports.
    path(
        "projects/",
        include(
            ([path("dashboard/", dashboard, name="dashboard"), *projects_urls.urlpatterns], projects_urls.app_name)
        ),
    ),
    path("grants/", include("grants.urls")),
    path("evaluations/", include("evaluations.urls")),
    path("exports/", include("reports.project_exports")),
    path("reports/impact/", include("reports.impact_urls")),
    path("reports/", include("reports.urls")),
    path("publish/", include("publish.urls")),
    path("imports/", include("imports.urls")),
    path("downloads/", include("downloads.urls")),
    path("admin/", admin.site.urls),
]

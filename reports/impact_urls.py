"""The impact report and project impact cards, served under /reports/impact/."""

from django.urls import path

from reports import impact_views

app_name = "impact"

urlpatterns = [
    path("", impact_views.report, name="report"),
    path("projects/<int:project_pk>/", impact_views.project_report, name="project"),
    path("projects/<int:project_pk>/card/", impact_views.card, name="card"),
]

"""The impact report and project impact cards, served under /reports/impact/."""

from django.urls import path  # noqa: F401

app_name = "impact"

urlpatterns = []

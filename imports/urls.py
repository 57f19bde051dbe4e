from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("grants/<int:grant_pk>/allocations/", views.allocations_upload, name="allocations-upload"),
    path("grants/<int:grant_pk>/allocations/template.xlsx", views.allocations_template, name="allocations-template"),
    path("spend-returns/", views.spend_returns_upload, name="spend-returns-upload"),
    path("spend-returns/template.xlsx", views.spend_returns_template, name="spend-returns-template"),
    path("evaluations/<int:evaluation_pk>/results/", views.results_upload, name="results-upload"),
    path("evaluations/<int:evaluation_pk>/results/template.xlsx", views.results_template, name="results-template"),
    path("batches/<token>/", views.batch_detail, name="batch"),
    path("batches/<token>/confirm/", views.batch_confirm, name="batch-confirm"),
    path("batches/<token>/cancel/", views.batch_cancel, name="batch-cancel"),
]

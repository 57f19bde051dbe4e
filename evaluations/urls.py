from django.urls import path

from evaluations import views

app_name = "evaluations"
urlpatterns = [
    path("", views.evaluation_list, name="list"),
    path("yours/", views.yours, name="yours"),
    path("new/", views.evaluation_create, name="create"),
    path("<int:evaluation_pk>/edit/", views.evaluation_edit, name="edit"),
    path("measures/", views.measure_list, name="measure-list"),
    path("measures/new/", views.measure_create, name="measure-create"),
    path("measures/<int:measure_pk>/edit/", views.measure_edit, name="measure-edit"),
    path("<int:evaluation_pk>/", views.detail, name="detail"),
    path("<int:evaluation_pk>/results/new/", views.result_create, name="result-create"),
    path("results/<int:result_pk>/edit/", views.result_edit, name="result-edit"),
    path("<int:evaluation_pk>/reports/new/", views.report_upload, name="report-upload"),
    path("reports/<int:report_pk>/download/", views.report_download, name="report-download"),
    path("<int:evaluation_pk>/ratings/new/", views.rating, name="rating"),
]

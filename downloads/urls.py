from django.urls import path

from downloads import views

app_name = "downloads"

urlpatterns = [
    path("ledger/", views.ledger_page, name="ledger"),
    path("ledger.csv", views.ledger_download, {"extension": "csv"}, name="ledger-csv"),
    path("ledger.xlsx", views.ledger_download, {"extension": "xlsx"}, name="ledger-xlsx"),
    path("<uuid:job_pk>/", views.job_detail, name="job"),
    path("<uuid:job_pk>/file/", views.job_file, name="job-file"),
    path("<uuid:job_pk>/again/", views.job_again, name="job-again"),
]

from django.urls import path

from ui import views

app_name = "exports"

urlpatterns = [
    path("projects.csv", views.projects_csv, name="projects-csv"),
    path("projects.xlsx", views.projects_xlsx, name="projects-xlsx"),
]

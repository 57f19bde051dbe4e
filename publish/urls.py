from django.urls import path

from publish import views

app_name = "publish"

urlpatterns = [
    path("", views.index, name="index"),
    path("360giving.json", views.package_json, name="360giving-json"),
    path("360giving.xlsx", views.package_xlsx, name="360giving-xlsx"),
]

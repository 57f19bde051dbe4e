from django.urls import path

from grants import setup_views

app_name = "setup"
urlpatterns = [
    path("", setup_views.index, name="index"),
    path("programmes/", setup_views.programme_list, name="programmes"),
    path("programmes/new/", setup_views.programme_create, name="programme-create"),
    path("programmes/<int:programme_pk>/", setup_views.programme_detail, name="programme"),
    path("programmes/<int:programme_pk>/edit/", setup_views.programme_edit, name="programme-edit"),
    path("programmes/<int:programme_pk>/rounds/new/", setup_views.round_create, name="round-create"),
    path("rounds/<int:round_pk>/edit/", setup_views.round_edit, name="round-edit"),
    path("organisations/", setup_views.organisation_list, name="organisations"),
    path("organisations/new/", setup_views.organisation_create, name="organisation-create"),
    path("organisations/<int:organisation_pk>/edit/", setup_views.organisation_edit, name="organisation-edit"),
]

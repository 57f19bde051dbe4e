from django.urls import path

from api import views

app_name = "api"
urlpatterns = [
    path("", views.token_list, name="tokens"),
    path("new/", views.token_create, name="token-create"),
    path("<int:token_pk>/made/", views.token_made, name="token-made"),
    path("<int:token_pk>/revoke/", views.token_revoke, name="token-revoke"),
]

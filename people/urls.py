from django.urls import path

from people import views

app_name = "people"
urlpatterns = [
    path("people/", views.people_list, name="list"),
    path("people/invite/", views.invite, name="invite"),
    path("people/<int:person_pk>/", views.person_detail, name="person"),
    path("people/<int:person_pk>/access/", views.person_access, name="access"),
    path("people/<int:person_pk>/disable/", views.person_disable, name="disable"),
    path("people/<int:person_pk>/enable/", views.person_enable, name="enable"),
    path("people/invitations/<int:invitation_pk>/withdraw/", views.invitation_revoke, name="invitation-revoke"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
]

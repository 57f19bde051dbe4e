from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("messages/", views.message_log, name="log"),
    path("messages/<int:message_pk>/send-again/", views.send_again, name="send-again"),
    path("account/messages/", views.preferences, name="preferences"),
]

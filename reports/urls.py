from django.urls import path

from reports import board_pack, views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("spending/", views.spending, name="spending"),
    path("board-pack/", board_pack.board_pack, name="board-pack"),
]

from django.urls import path

from grants import views

app_name = "grants"
urlpatterns = [
    path("<int:grant_pk>/", views.grant_detail, name="detail"),
    path("<int:grant_pk>/edit/", views.grant_edit, name="edit"),
    path("<int:grant_pk>/status/", views.grant_status, name="status"),
    path("<int:grant_pk>/allocations/new/", views.allocation_create, name="allocation-create"),
    path("allocations/<int:allocation_pk>/edit/", views.allocation_edit, name="allocation-edit"),
    path("allocations/<int:allocation_pk>/recoveries/new/", views.recovery_create, name="recovery-create"),
    path("allocations/<int:allocation_pk>/returns/new/", views.spend_return_create, name="spend-return-create"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("variations/", views.variations, name="variations"),
    path("variations/<int:variation_pk>/decide/", views.variation_decide, name="variation-decide"),
    path("returns/<int:spend_return_pk>/edit/", views.spend_return_edit, name="spend-return-edit"),
    path("returns/<int:spend_return_pk>/review/", views.spend_return_review, name="spend-return-review"),
]

from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("yours/", views.your_projects, name="yours"),
    path("new/", views.project_create, name="create"),
    path("<int:project_pk>/", views.project_detail, name="detail"),
    path("<int:project_pk>/changes/", views.project_history_page, name="history"),
    path("<int:project_pk>/edit/", views.project_edit, name="edit"),
    path("<int:project_pk>/status/", views.project_status, name="status"),
    path("<int:project_pk>/partners/new/", views.partner_add, name="partner-add"),
    path("partners/<int:partnership_pk>/edit/", views.partner_edit, name="partner-edit"),
    path("partners/<int:partnership_pk>/remove/", views.partner_remove, name="partner-remove"),
    path("<int:project_pk>/milestones/new/", views.milestone_create, name="milestone-create"),
    path("milestones/<int:milestone_pk>/", views.milestone_detail, name="milestone"),
    path("milestones/<int:milestone_pk>/edit/", views.milestone_edit, name="milestone-edit"),
    path("milestones/<int:milestone_pk>/submit/", views.milestone_submit, name="milestone-submit"),
    path("milestones/<int:milestone_pk>/review/", views.milestone_review, name="milestone-review"),
    path("evidence/<int:evidence_pk>/", views.evidence_download, name="evidence"),
]

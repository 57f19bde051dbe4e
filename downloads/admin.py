from django.contrib import admin
from django_tasks_db.models import DBTaskResult

# The worker's queue is plumbing, not a record anyone edits: a failed download shows
# to its user on the job's page. The queue stays readable with `manage.py shell`.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)

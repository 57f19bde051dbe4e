import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.timezone import localtime

from downloads.models import ExportJob


class ExportJobTable(tables.Table):
    """A person's latest jobs, newest first as the view cuts them: a short list, neither sorted nor paged."""

    created_at = tables.Column(verbose_name="Asked for")
    kind = tables.Column(
        verbose_name="File", linkify=("downloads:job", {"job_pk": tables.A("pk")}), attrs={"a": {"class": "govuk-link"}}
    )
    status = tables.Column()

    class Meta:
        model = ExportJob
        fields = ("created_at", "kind", "status")
        orderable = False
        attrs = {"class": "govuk-table", "id": "recent-downloads"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.caption = "Your recent downloads"
        self.caption_class = "govuk-visually-hidden"

    def render_created_at(self, value):
        return date_format(localtime(value), "j F Y, H:i")

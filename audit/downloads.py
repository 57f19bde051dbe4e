"""The one way a file leaves the service: every file or export a signed-in user takes away is
served through here, so each is recorded (audit.models.DownloadRecord) without a view having to
remember it."""

from django.http import Http404

from audit.models import DownloadRecord, record_download
from core.uploads import download_response

EXPORT = DownloadRecord.Kind.EXPORT


def recorded(request, response, *, description: str = "", kind: str = EXPORT, obj=None):
    """``response`` (a file made for the user: CSV, Excel, PDF), once its download is recorded.
    Open data fetched by someone not signed in is not recorded: there is nobody to record."""
    if request.user.is_authenticated:
        record_download(request, kind=kind, obj=obj, description=description)
    return response


def stored_file(request, field_file, *, name: str, content_type: str, kind: str, obj=None, description: str = ""):
    """A stored file (evidence, an evaluation report, a background download), served safely and recorded."""
    try:
        response = download_response(field_file, name=name, content_type=content_type)
    except FileNotFoundError:
        raise Http404("The stored file is missing") from None
    return recorded(request, response, kind=kind, obj=obj, description=description)

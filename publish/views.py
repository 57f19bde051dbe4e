"""The 360Giving publication: open data, so every page here is public.

The files hold organisations, places and money, never a person, and are the
same bytes whoever asks. A signed-in user's download is still recorded, as every
download in the service is; an anonymous one cannot be tied to anyone.

The files come from the cache (publish/files.py) with an ETag and a
Last-Modified date, so a reader polling for changes asks with If-None-Match
and is answered 304, with no body and no building, until a grant or payment
changes. A 304 sends no file, so it records no download.
"""

from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from audit.downloads import recorded
from core.exports import XLSX_CONTENT_TYPE
from publish.files import JSON, XLSX, PublishedFile, published_file
from publish.threesixtygiving import (
    ILLUSTRATIVE_GRANTS,
    LICENCE,
    PENNY,
    STANDARD_VERSION,
    ZERO,
    invented_paid,
    published_grants,
)

NOTHING_PUBLISHED = "No grants are published yet."


def _described(kind: str, count: int) -> str:
    return f"360Giving publication ({kind}, {count} grant{'s' if count != 1 else ''})"


@require_safe
def index(request):
    grants = published_grants()
    summary = grants.annotate(invented_paid=invented_paid()).aggregate(
        count=Count("pk"),
        awarded=Sum("amount_awarded"),
        # The grants the files mark, each with its illustrativeValues.
        illustrative=Count("pk", filter=ILLUSTRATIVE_GRANTS),
    )
    funder = (
        grants.values("round__programme__funder__name")
        .annotate(grants=Count("pk"))
        .order_by("-grants", "round__programme__funder__name")
        .first()
    )
    return render(
        request,
        "publish/index.html",
        {
            "count": summary["count"],
            "awarded": (summary["awarded"] or ZERO).quantize(PENNY),
            "illustrative": summary["illustrative"],
            "funder": funder and funder["round__programme__funder__name"],
            "licence": LICENCE,
            "version": STANDARD_VERSION,
        },
    )


def _file(request, kind: str, url_name: str) -> tuple[PublishedFile, HttpResponse | None]:
    """The file, and the answer to send instead when the reader's copy is current (304)."""
    found = published_file(
        kind,
        page_url=request.build_absolute_uri(reverse("publish:index")),
        download_url=request.build_absolute_uri(reverse(url_name)),
    )
    if not found.count:
        raise Http404(NOTHING_PUBLISHED)
    return found, get_conditional_response(request, etag=found.etag, last_modified=found.last_modified)


def _sent(request, response: HttpResponse, found: PublishedFile, *, current: bool, kind: str) -> HttpResponse:
    response["ETag"] = found.etag
    response["Last-Modified"] = http_date(found.last_modified)
    if current:  # nothing was sent, so there is no download to record
        return response
    return recorded(request, response, description=_described(kind, found.count))


@require_safe
def package_json(request):
    found, current = _file(request, JSON, "publish:360giving-json")
    if current is None:
        response = HttpResponse(found.content, content_type="application/json; charset=utf-8")
    else:
        response = current
    # Open data, identical for everyone and sent without credentials: any site may read it.
    response["Access-Control-Allow-Origin"] = "*"
    return _sent(request, response, found, current=current is not None, kind="JSON")


@require_safe
def package_xlsx(request):
    found, current = _file(request, XLSX, "publish:360giving-xlsx")
    if current is None:
        response = HttpResponse(found.content, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="360giving.xlsx"'
    else:
        response = current
    return _sent(request, response, found, current=current is not None, kind="Excel")

"""The 360Giving publication: open data, so every page here is public.

The files hold organisations, places and money, never a person, and are the
same whoever asks. A signed-in user's download is still recorded, as every
download in the service is; an anonymous one cannot be tied to anyone.
"""

import json

from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from audit.downloads import recorded
from core.workbook import workbook_response
from publish.spreadsheet import workbook_for
from publish.threesixtygiving import LICENCE, PENNY, STANDARD_VERSION, ZERO, package, publication, published_grants

NOTHING_PUBLISHED = "No grants are published yet."


def _described(kind: str, count: int) -> str:
    return f"360Giving publication ({kind}, {count} grant{'s' if count != 1 else ''})"


@require_safe
def index(request):
    grants = published_grants()
    summary = grants.aggregate(
        count=Count("pk"),
        awarded=Sum("amount_awarded"),
        illustrative=Count("pk", filter=Q(illustrative=True) | Q(dates_are_illustrative=True)),
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


@require_safe
def package_json(request):
    published = publication()
    if not published.grants:
        raise Http404(NOTHING_PUBLISHED)
    data = package(
        published,
        issued=timezone.now(),
        download_url=request.build_absolute_uri(),
        access_url=request.build_absolute_uri(reverse("publish:index")),
    )
    response = HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/json; charset=utf-8")
    # Open data, identical for everyone and sent without credentials: any site may read it.
    response["Access-Control-Allow-Origin"] = "*"
    return recorded(request, response, description=_described("JSON", len(published.grants)))


@require_safe
def package_xlsx(request):
    published = publication()
    if not published.grants:
        raise Http404(NOTHING_PUBLISHED)
    response = workbook_response(workbook_for(published.grants), "360giving.xlsx")
    return recorded(request, response, description=_described("Excel", len(published.grants)))

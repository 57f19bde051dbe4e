"""Long lists a page at a time, so a page stays the same size however much data there is."""

from django.core.paginator import Paginator

PER_PAGE = 50


def page_of(request, queryset, per_page=PER_PAGE):
    """The requested page of ``queryset`` (``?page=N``); a bad or too-large number gives the nearest page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))

"""Long lists a page at a time, so a page stays the same size however much data there is.

Every list takes its page from ``?page=`` here: a number that is not one, or is past the
end, gives the nearest page. The size of a page is the service's, never the address's."""

from django.core.paginator import Paginator
from django_tables2 import RequestConfig

PER_PAGE = 50


def page_of(request, queryset, per_page=PER_PAGE, param="page"):
    """The requested page of ``queryset`` (``?page=N``, or ``?<param>=N`` for one of several lists on a page)."""
    return Paginator(queryset, per_page).get_page(request.GET.get(param))


def sort_and_page(request, table, per_page=PER_PAGE):
    """A django-tables2 table sorted by ``?sort=`` (unknown columns are ignored) and cut to ``?page=``.

    django-tables2's RequestConfig would also take ``?per_page=`` from the address, and a
    negative or 400-digit one crashed the paginator, so it only sorts; the page is cut as
    ``Table.paginate`` would, with ``page_of``'s forgiving page number."""
    RequestConfig(request, paginate=False).configure(table)
    table.paginator = Paginator(table.rows, per_page)
    table.page = table.paginator.get_page(request.GET.get("page"))
    return table

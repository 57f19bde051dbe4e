"""Long lists a page at a time, so a page stays the same size however much data there is.

Every list takes its page from ``?page=`` here: a number that is not one, or is past the
end, gives the nearest page. The size of a page is the service's, never the address's."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, Window
from django_tables2 import RequestConfig

PER_PAGE = 50
# A page number past this is read as this: the database's offset stays an ordinary integer.
FURTHEST_PAGE = 1_000_000


def page_of(request, queryset, per_page=PER_PAGE, param="page"):
    """The requested page of ``queryset`` (``?page=N``, or ``?<param>=N`` for one of several lists on a page)."""
    return Paginator(queryset, per_page).get_page(request.GET.get(param))


def page_in_one_query(request, queryset, per_page=PER_PAGE, param="page"):
    """As ``page_of``, but the page's rows carry the number of all the rows (a window over the query), so a
    list is one query whether it is empty or not, rather than a count and then the rows, or a count alone
    when there are none. A page past the end is the last page, found with a second query."""
    try:
        number = min(max(int(request.GET.get(param)), 1), FURTHEST_PAGE)
    except (TypeError, ValueError):
        number = 1
    rows, total = rows_and_count(queryset, (number - 1) * per_page, number * per_page)
    if not rows and number > 1:
        number = max((queryset.count() + per_page - 1) // per_page, 1)
        rows, total = rows_and_count(queryset, (number - 1) * per_page, number * per_page)
    paginator = Paginator(queryset, per_page)
    paginator.count = total  # read, so the paginator does not count again
    return Page(rows, number, paginator)


def rows_and_count(queryset, start, stop) -> tuple[list, int]:
    """Rows ``start`` to ``stop`` of ``queryset`` and how many rows it has in all, in one query: each row carries
    the count (a window over the query). A slice past the end has no row to carry it, and gives 0."""
    rows = list(queryset.annotate(_of_all=Window(Count("pk")))[start:stop])
    return rows, rows[0]._of_all if rows else 0


def sort_and_page(request, table, per_page=PER_PAGE):
    """A django-tables2 table sorted by ``?sort=`` (unknown columns are ignored) and cut to ``?page=``.

    django-tables2's RequestConfig would also take ``?per_page=`` from the address, and a
    negative or 400-digit one crashed the paginator, so it only sorts; the page is cut as
    ``Table.paginate`` would, with ``page_of``'s forgiving page number."""
    RequestConfig(request, paginate=False).configure(table)
    table.paginator = Paginator(table.rows, per_page)
    table.page = table.paginator.get_page(request.GET.get("page"))
    return table

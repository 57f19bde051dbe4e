"""The search page: the header's search box sends its words here (GET /search/?q=...)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reports.search import MAX_LENGTH, BadQuery, clean_query, search


@require_GET
@login_required
def search_page(request):
    """What the user may see that the query names, kind by kind; an empty query asks for one, a bad one says why."""
    typed = request.GET.get("q", "")
    context = {"search_query": typed, "max_length": MAX_LENGTH, "error": "", "results": None}
    try:
        query = clean_query(typed)
    except BadQuery as refusal:
        context["error"] = str(refusal)
    else:
        if query:
            context["search_query"] = query
            context["results"] = search(request.user, query)
    return render(request, "search/results.html", context)

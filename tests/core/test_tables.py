"""Tables from one place (issue 20): every table scrolls inside a region named by its caption, through
{% table_region %} or the GOV.UK django-tables2 template; the one GOV.UK pagination keeps the rest of the
address (filters and sort) on every link; the list pages sort and page through django-tables2."""

import datetime as dt
import importlib
import inspect
import re
from decimal import Decimal
from pathlib import Path

import django_tables2 as tables
import pytest
from django.apps import apps
from django.conf import settings
from django.core.paginator import Paginator
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Evaluation
from grants.models import Variation


def region(html):
    return Template("{% load table_region %}{% table_region " + html[0] + " %}" + html[1] + "{% endtable_region %}")


def render(template, **context):
    return template.render(Context(context))


def test_a_region_is_named_by_its_tables_caption_id():
    html = render(region(("", '<table><caption id="grants-caption">Grants</caption></table>')))
    assert html.startswith('<div class="app-table-scroll" role="region" aria-labelledby="grants-caption" tabindex="0">')
    assert html.endswith("</table></div>")


def test_a_caption_without_an_id_names_the_region_in_its_own_words():
    html = render(region(("", '<table><caption class="x">Money <span>by year</span></caption></table>')))
    assert 'aria-label="Money by year"' in html and "aria-labelledby" not in html


def test_a_table_without_a_caption_takes_the_label_given_escaped():
    html = render(region(("label=name", "<table><tr><td>1</td></tr></table>")), name='Payments & "recoveries"')
    assert 'aria-label="Payments &amp; &quot;recoveries&quot;"' in html


def test_a_region_with_no_name_at_all_is_refused():
    with pytest.raises(TemplateSyntaxError):
        render(region(("", "<table></table>")))
    with pytest.raises(TemplateSyntaxError):
        Template('{% load table_region %}{% table_region title="x" %}{% endtable_region %}')


def test_no_template_makes_a_scroll_region_by_hand():
    """Every region comes from the tag or the GOV.UK table template, so none can lose its name or tabindex."""
    by_hand = [
        str(path)
        for folder in settings.TEMPLATES[0]["DIRS"]
        for path in Path(folder).rglob("*.html")
        if 'class="app-table-scroll"' in path.read_text()
    ]
    assert by_hand == []


def test_the_pagination_keeps_the_filters_and_the_sort_on_every_link():
    request = RequestFactory().get("/anything/", {"status": "active", "sort": "-title", "page": "3"})
    page = Paginator(range(500), 10).get_page(3)
    html = render_to_string("govuk/pagination.html", {"page": page}, request=request)
    links = re.findall(r'href="([^"]+)"', html)
    assert links, html
    assert all("status=active" in link and "sort=-title" in link for link in links)
    assert "?status=active&amp;sort=-title&amp;page=2" in links  # previous
    assert "?status=active&amp;sort=-title&amp;page=4" in links  # next
    assert 'aria-label="Page 3" aria-current="page"' in html
    assert "Page 3 of 50" in html


def test_the_pagination_of_a_second_list_uses_its_own_parameter_and_fragment():
    request = RequestFactory().get("/anything/", {"page": "2"})
    page = Paginator(range(30), 10).get_page(1)
    html = render_to_string(
        "govuk/pagination.html", {"page": page, "param": "activity_page", "fragment": "activity"}, request=request
    )
    assert 'href="?page=2&amp;activity_page=2#activity"' in html


def test_one_page_has_no_pagination():
    request = RequestFactory().get("/")
    html = render_to_string("govuk/pagination.html", {"page": Paginator(range(3), 10).get_page(1)}, request=request)
    assert "govuk-pagination" not in html


@pytest.mark.django_db
def test_the_evaluations_list_sorts_by_a_column_and_keeps_the_sort_on_its_pages(client, world):
    for number in range(55):
        Evaluation.objects.create(title=f"Extra {number:02}", evaluator_organisation=world.university, design="rct")
    client.force_login(world.users.officer)
    url = reverse("evaluations:list")
    first = client.get(url, {"sort": "-title"})
    titles = [row.title for row in first.context["evaluations"]]
    assert titles[:2] == ["Extra 54", "Extra 53"] and len(titles) == 50
    page = first.content.decode()
    assert 'aria-sort="descending"' in page
    assert 'href="?sort=-title&amp;page=2"' in page
    second = client.get(url, {"sort": "-title", "page": 2})
    assert [row.title for row in second.context["evaluations"]] == [
        "Extra 04",
        "Extra 03",
        "Extra 02",
        "Extra 01",
        "Extra 00",
        "Evaluation of Reclaiming Social Work",
        "Evaluation of Kent family hubs",
    ]
    # An unknown column is ignored, not a server error.
    assert client.get(url, {"sort": "nonsense"}).status_code == 200


@pytest.mark.django_db
def test_the_list_tables_scroll_in_a_region_named_by_their_caption(client, world):
    client.force_login(world.users.officer)
    page = client.get(reverse("evaluations:list")).content.decode()
    assert '<div class="app-table-scroll" role="region" aria-labelledby="evaluations-caption" tabindex="0">' in page
    assert '<caption id="evaluations-caption" class="govuk-table__caption govuk-visually-hidden">Evaluations' in page
    page = client.get(reverse("grants:reconciliation")).content.decode()
    assert 'aria-labelledby="discrepancies-caption"' in page


@pytest.mark.django_db
def test_the_decided_variations_are_newest_first_paged_and_sortable_and_the_pending_stay_apart(client, world):
    start = timezone.make_aware(dt.datetime(2016, 1, 1, 9, 0))
    Variation.objects.bulk_create(
        Variation(
            grant=world.grant,
            amount_before=Decimal("100.00"),
            amount_after=Decimal(100 + number),
            reason=f"Decided {number:02}",
            status=Variation.Status.APPROVED,
            requested_by=world.users.officer,
            requested_at=start,
            decided_by=world.users.officer,
            decided_at=start + dt.timedelta(days=number),
        )
        for number in range(53)
    )
    Variation.objects.create(
        grant=world.grant,
        amount_before=Decimal("100.00"),
        amount_after=Decimal("90.00"),
        reason="Still waiting",
        requested_by=world.users.officer,
    )
    client.force_login(world.users.viewer)
    url = reverse("grants:variations")
    page = client.get(url).content.decode()
    decided = page[page.index('id="variations-table"') :]
    reasons = re.findall(r">(Decided \d\d)<", decided)
    assert reasons[:2] == ["Decided 52", "Decided 51"] and len(reasons) == 50
    assert "Still waiting" in page and "Still waiting" not in decided
    assert "Approved 22 Feb 2016 by" in decided  # 1 January and 52 days
    second = client.get(url, {"page": 2}).content.decode()
    assert re.findall(r">(Decided \d\d)<", second[second.index('id="variations-table"') :]) == [
        "Decided 02",
        "Decided 01",
        "Decided 00",
    ]
    oldest_first = client.get(url, {"sort": "decision"}).content.decode()
    assert re.findall(r">(Decided \d\d)<", oldest_first)[:2] == ["Decided 00", "Decided 01"]
    assert 'href="?sort=decision&amp;page=2"' in oldest_first


def _service_tables():
    for app in apps.get_app_configs():
        if not (Path(app.path) / "tables.py").exists() or ".venv" in app.path:
            continue
        module = importlib.import_module(f"{app.name}.tables")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, tables.Table) and value.__module__ == module.__name__:
                yield value


def test_no_table_of_the_service_has_two_columns_with_one_heading():
    """A column read through a relation is headed by the last field's name unless it says otherwise, so
    a person's name and their organisation's name were both "Name"."""
    found = list(_service_tables())
    assert len(found) >= 10
    for table_class in found:
        # Tables that take more than their rows (whose organisation is asking, say) are given a stand-in.
        extra = {
            name: 0
            for name, parameter in inspect.signature(table_class.__init__).parameters.items()
            if parameter.kind == parameter.KEYWORD_ONLY and parameter.default is parameter.empty
        }
        # Over a queryset, as the pages use them: over a list the headings come from the column names.
        rows = table_class._meta.model.objects.none() if table_class._meta.model else []
        headings = [str(column.header) for column in table_class(rows, **extra).columns]
        assert len(headings) == len(set(headings)), f"{table_class.__name__}: {headings}"
        # And a column read through a relation names itself: "Organisation", not the organisation's "Name".
        unnamed = [
            name
            for name, column in table_class.base_columns.items()
            if "__" in str(column.accessor or "") and column.verbose_name is None
        ]
        assert unnamed == [], f"{table_class.__name__}: give {unnamed} a verbose_name"

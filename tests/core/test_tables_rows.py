"""Table rows without per-cell overhead (issue 17): the GOV.UK table template renders its rows through
core/tables.py, which works out once per column what django-tables2 works out for every cell. The rows
must come out as django-tables2's own loop over ``row.items`` renders them, on every list page of the
service and for the kinds of column the service does not use yet."""

import datetime as dt
import inspect
import re
import uuid
from decimal import Decimal

import django_tables2 as tables
import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, path, re_path, register_converter, reverse

from core.tables import table_url
from grants.models import Grant
from grants.reconciliation import Discrepancy
from grants.tables import DiscrepancyTable
from projects.models import Project
from projects.tables import ProjectTable
from tests.core import tables_dataset

# The loop templates/tables/govuk_table.html ran before the rows moved to core/tables.py.
DJANGO_TABLES2_ROWS = Template(
    '{% for row in table.paginated_rows %}<tr class="govuk-table__row">{% for column, cell in row.items %}'
    '<td class="govuk-table__cell{% if column.attrs.td.class %} {{ column.attrs.td.class }}{% endif %}">'
    "{{ cell }}</td>{% endfor %}</tr>{% empty %}{% if table.empty_text %}"
    '<tr class="govuk-table__row"><td class="govuk-table__cell" colspan="{{ table.columns|length }}">'
    "{{ table.empty_text }}</td></tr>{% endif %}{% endfor %}"
)


def django_tables2_rows(table, context):
    with context.push(table=table):
        return DJANGO_TABLES2_ROWS.render(context)


def comparable(html):
    """The page less what differs between any two requests (the masked CSRF token) and the layout
    whitespace between tags, which the two renderers lay out differently."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)
    return re.sub(r">\s+<", "><", html).strip()


def body_rows(html):
    return re.findall(r'<tr class="govuk-table__row"><td class="govuk-table__cell', comparable(html))


@pytest.mark.django_db
def test_every_list_page_shows_the_rows_django_tables2_would(client, world, monkeypatch):
    tables_dataset.fill(world)
    rows = 0
    for persona, url in tables_dataset.pages(world):
        client.force_login(getattr(world.users, persona))
        cache.clear()
        ours = client.get(url)
        assert ours.status_code == 200, url
        with monkeypatch.context() as patched:
            patched.setattr("core.templatetags.table_region.render_rows", django_tables2_rows)
            cache.clear()
            theirs = client.get(url).content.decode()
        assert comparable(ours.content.decode()) == comparable(theirs), f"{persona}: {url}"
        rows += len(body_rows(theirs))
    # The pages had rows to compare, not only empty texts: the escaped titles, the links, the marks.
    assert rows >= 60
    client.force_login(world.users.finance)
    waiting = comparable(client.get(reverse("grants:payments-waiting")).content.decode())
    assert ">Waiting &lt;one&gt; &amp; more</a></td>" in waiting
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">£1,000.01' in waiting


def _render(table, request):
    template = Template("{% load django_tables2 %}{% render_table table %}")
    return template.render(Context({"table": table, "request": request}))


def _both(table_factory, monkeypatch, request):
    ours = _render(table_factory(), request)
    with monkeypatch.context() as patched:
        patched.setattr("core.templatetags.table_region.render_rows", django_tables2_rows)
        theirs = _render(table_factory(), request)
    return comparable(ours), comparable(theirs)


class EveryKindOfColumn(tables.Table):
    """Columns the service's tables do not use today, each through a path of its own in core/tables.py."""

    name = tables.Column(attrs={"td": {"class": lambda record: f"row-{record['number']}"}})
    number = tables.Column(linkify=lambda record: f"/things/{record['number']}/", attrs={"a": {"class": "x"}})
    computed_link = tables.Column(
        accessor="name",
        linkify=("projects:detail", {"project_pk": tables.A("number")}),
        attrs={"a": {"data-name": lambda value: value}},
    )
    when = tables.DateColumn(format="j M Y", verbose_name="When")
    at = tables.DateTimeColumn(format="j M Y H:i", default="Never")
    amount = tables.Column(default="None given")
    odd = tables.Column(accessor="number", verbose_name="Odd")
    wants_more = tables.Column(accessor="number", verbose_name="Wants more")
    templated = tables.TemplateColumn("<b>{{ record.name }}</b> {{ value }}", accessor="number")

    def render_odd(self, value, bound_row, **kwargs):
        return f"{value} {bound_row.row_counter} {sorted(kwargs)}"

    def render_wants_more(self, value, something_no_cell_has):
        return "never shown"


@pytest.mark.django_db
def test_every_kind_of_column_renders_as_django_tables2_would(monkeypatch):
    request = RequestFactory().get("/")
    rows = [
        {
            "name": "Tom & Jerry <script>",
            "number": 7,
            "when": dt.date(2016, 3, 31),
            "at": dt.datetime(2016, 4, 1, 9, 30, tzinfo=dt.UTC),
            "amount": Decimal("1234.50"),
        },
        {"name": "", "number": 8, "when": None, "at": None, "amount": None},
    ]
    ours, theirs = _both(lambda: EveryKindOfColumn(rows), monkeypatch, request)
    assert ours == theirs
    assert "Tom &amp; Jerry &lt;script&gt;" in ours and "<script>" not in ours.split("</thead>")[1]
    assert '<td class="govuk-table__cell row-7">' in ours
    assert '<a class="x" href="/things/7/">7</a>' in ours
    assert "31 Mar 2016" in ours and "1 Apr 2016 10:30" in ours  # London summer time
    assert "Never" in ours and "None given" in ours
    # A render method wanting what no cell offers shows None, as django-tables2 shows it.
    assert ">None</td>" in ours and "never shown" not in ours


@pytest.mark.django_db
def test_rows_that_are_not_models_and_an_empty_table(world, monkeypatch):
    request = RequestFactory().get("/")
    grant = Grant.objects.get(pk=world.grant.pk)
    discrepancies = [
        Discrepancy(
            grant=grant,
            kind="paid",
            expected=Decimal("10.00"),
            actual=Decimal("12.50"),
            difference=Decimal("2.50"),
            message="Paid more than <allocated>",
            allocation=world.allocations["GB-LAE-DBY"],
        ),
        Discrepancy(
            grant=grant,
            kind="spent",
            expected=Decimal("1.00"),
            actual=Decimal("0.99"),
            difference=Decimal("0.01"),
            message="Spent less",
            expected_because="Rounded by the council",
        ),
    ]
    ours, theirs = _both(lambda: DiscrepancyTable(discrepancies), monkeypatch, request)
    assert ours == theirs
    assert "Paid more than &lt;allocated&gt;" in ours and "On purpose: Rounded by the council" in ours
    ours, theirs = _both(lambda: ProjectTable(Project.objects.none()), monkeypatch, request)
    assert ours == theirs
    assert '<td class="govuk-table__cell" colspan="6">No projects match these filters.</td>' in ours


@pytest.mark.django_db
def test_a_column_is_inspected_once_however_many_rows_it_has(world, monkeypatch):
    """The cost that made the evaluations page slow: inspect.signature for every cell with a render method."""
    request = RequestFactory().get("/")
    inspected = []
    real = inspect.signature

    def counting(*args, **kwargs):
        inspected.append(args[0])
        return real(*args, **kwargs)

    def inspections(count):
        Project.objects.filter(reference__startswith="Extra").delete()
        Project.objects.bulk_create(
            Project(
                programme=world.programme,
                reference=f"Extra {number:03}",
                title=f"Extra {number}",
                lead_organisation=world.kent,
                start_date=dt.date(2015, 1, 1),
                end_date=dt.date(2016, 1, 1),
            )
            for number in range(count)
        )
        table = ProjectTable(Project.objects.with_awarded().select_related("lead_organisation"))
        inspected.clear()
        with monkeypatch.context() as patched:
            patched.setattr(inspect, "signature", counting)
            html = _render(table, request)
        assert len(body_rows(html)) == count + 2
        return len(inspected)

    assert inspections(3) == inspections(60) <= len(ProjectTable.base_columns)


def test_a_rows_address_is_the_one_reverse_gives_with_one_reverse_per_route(monkeypatch):
    calls = []
    real = reverse

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr("core.tables.reverse", counting)
    table = ProjectTable([])
    for key in (0, 7, 918273645546372819, 10**30):
        assert table_url(table, "projects:detail", project_pk=key) == real(
            "projects:detail", kwargs={"project_pk": key}
        )
        assert table_url(table, "grants:milestone-pay", milestone_pk=key) == real(
            "grants:milestone-pay", kwargs={"milestone_pk": key}
        )
    assert len(calls) == 4  # twice for each route: with the stand-in key, and to check it stands in
    # Anything but one integer key is reversed as it is, refusals and all.
    assert table_url(table, "downloads:job", job_pk=uuid.UUID(int=5)) == real(
        "downloads:job", kwargs={"job_pk": uuid.UUID(int=5)}
    )
    assert table_url(table, "projects:detail", project_pk="7") == real("projects:detail", kwargs={"project_pk": "7"})
    for refused in (-1, True):
        with pytest.raises(NoReverseMatch):
            table_url(table, "projects:detail", project_pk=refused)
    # A new table (a new request) works its routes out afresh.
    calls.clear()
    table_url(ProjectTable([]), "projects:detail", project_pk=3)
    assert len(calls) == 2


class FourDigits:
    regex = "[0-9]{4}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{value:04d}"


register_converter(FourDigits, "tables-four-digits")
urlpatterns = [
    path("years/<tables-four-digits:year>/", lambda request, year: None, name="year"),
    re_path(r"^short/(?P<number>[0-9]{1,3})/$", lambda request, number: None, name="short"),
]


@override_settings(ROOT_URLCONF=__name__)
def test_a_route_that_writes_its_key_its_own_way_is_reversed_row_by_row():
    table = ProjectTable([])
    assert table_url(table, "year", year=7) == "/years/0007/"
    assert table_url(table, "year", year=2016) == "/years/2016/"
    assert table_url(table, "short", number=12) == "/short/12/"
    with pytest.raises(NoReverseMatch):
        table_url(table, "short", number=1234)

"""The rows of any django-tables2 table, rendered in one pass for the GOV.UK table template (issue 17).

django-tables2 works a cell out afresh for every cell: it inspects the signature of the column's
``render_FOO`` method (``inspect.signature``, the largest single cost of a list page), looks the model
field up again to decide whether to show ``get_FOO_display()``, builds the column's attributes twice
through the template (``column.attrs.td.class``), and compiles a ``TemplateColumn``'s template. None
of that depends on the row. Here each column does that work once per table and each row only reads its
values: the cells come out exactly as django-tables2's own ``BoundRow`` makes them (same value, same
``default`` for an empty one, same link, same escaping and localisation as ``{{ cell }}``), which
tests/core/test_tables_rows.py checks on every list page of the service."""

from django.db import models
from django.template import Context, Template
from django.template.base import render_value_in_context
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django_tables2 import A
from django_tables2.columns import ManyToManyColumn, TemplateColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import AttributeDict, signature

# What django-tables2 offers a render method (BoundRow._optional_cell_arguments).
CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")


def _computed(attrs) -> bool:
    """Whether any attribute is worked out per cell (a callable, at any depth)."""
    return any(callable(value) or (isinstance(value, dict) and _computed(value)) for value in attrs.values())


class _ColumnCells:
    """One column's cells: what django-tables2 would work out per cell, worked out once."""

    def __init__(self, table, bound_column):
        column = bound_column.column
        self.table = table
        self.bound_column = bound_column
        self.column = column
        self.accessor = A(bound_column.accessor)
        path, _, self.remainder = self.accessor.rpartition(A.SEPARATOR)
        self.path = A(path)
        self.empty_values = column.empty_values
        self.many_to_many = isinstance(column, ManyToManyColumn)
        self.link_text = isinstance(column, BaseLinkColumn) and column.text is not None
        # Whether to show get_FOO_display(), by (type of row, type of the object holding the value).
        self.display = {}

        self.render = bound_column.render
        self.template = None
        if isinstance(column, TemplateColumn) and column.template_code and self.render == column.render:
            # TemplateColumn.render compiles its template for every cell; compile it once.
            self.template = Template(column.template_code)
        arguments, catch_all = signature(self.render)
        self.arguments = None if catch_all else arguments
        # call_with_appropriate gives None when the method wants an argument no cell offers.
        self.never = catch_all is None and any(argument not in CELL_ARGUMENTS for argument in arguments)

        self.link = bound_column.link
        # The link's attributes other than its address, as LinkTransform writes them, when none is
        # worked out per row.
        self.link_attrs = None
        if self.link and self.link.url is None and self.link.reverse_args.get("viewname") is not None:
            attrs = self.link.attrs or {}
            if "href" not in attrs and not _computed(attrs):
                written = AttributeDict(attrs).as_html()
                self.link_attrs = f"{written} " if written else ""

        # The cell's class, unless a callable works it out from the row.
        column_attrs = {**table.attrs, **column.attrs}
        self.td_class = None
        self.td_class_per_cell = _computed(column_attrs.get("td", column_attrs.get("cell", {})))
        if not self.td_class_per_cell:
            bound_column.current_record = bound_column.current_value = None
            self.td_class = self._cell_class()

    def _cell_class(self):
        extra = self.bound_column.attrs["td"]["class"]
        return mark_safe(
            f' class="govuk-table__cell {conditional_escape(extra)}"' if extra else ' class="govuk-table__cell"'
        )

    def td(self, bound_row, record, context):
        cell = self.cell(bound_row, record)
        # Set as BoundRow.items() sets them: computed attributes (and the footer after the rows) read them.
        self.bound_column.current_value = cell
        self.bound_column.current_record = record
        td_class = self._cell_class() if self.td_class_per_cell else self.td_class
        return f"<td{td_class}>{render_value_in_context(cell, context)}</td>"

    def cell(self, bound_row, record):
        """BoundRow.get_cell, without looking up per cell what is the same for every row."""
        value = None
        remainder = self.remainder
        penultimate = self.path.resolve(record, quiet=True)
        if isinstance(penultimate, models.Model):
            key = (type(record), type(penultimate))
            display = self.display.get(key)
            if display is None:
                field = self.accessor.get_field(record)
                display = self.display[key] = bool(getattr(field, "choices", ())) and callable(
                    getattr(penultimate, f"get_{remainder}_display", None)
                )
            if display:
                value = getattr(penultimate, f"get_{remainder}_display")()
                remainder = None
        if remainder:
            try:
                value = self.accessor.resolve(record)
            except Exception:
                # As django-tables2 does: a link column with its own text renders without a value.
                if self.link_text:
                    return self._render(bound_row, record, None)
        if value in self.empty_values or (self.many_to_many and not value.exists()):
            return self.bound_column.default
        return self._render(bound_row, record, value)

    def _render(self, bound_row, record, value):
        if self.template is not None:
            content = self._render_template(bound_row, record, value)
        elif self.never:
            content = None
        else:
            offered = {
                "value": value,
                "record": record,
                "column": self.column,
                "bound_column": self.bound_column,
                "bound_row": bound_row,
                "table": self.table,
            }
            if self.arguments is not None:
                offered = {name: offered[name] for name in self.arguments}
            content = self.render(**offered)
        if not self.link:
            return content
        if self.link_attrs is None:
            return self.link(
                content,
                value=value,
                record=record,
                column=self.column,
                bound_column=self.bound_column,
                bound_row=bound_row,
                table=self.table,
            )
        href = self._reverse(record)
        if href is None:
            return content
        return mark_safe(f'<a {self.link_attrs}href="{conditional_escape(href)}">{conditional_escape(content)}</a>')

    def _render_template(self, bound_row, record, value):
        """TemplateColumn.render with the template compiled once."""
        parent = getattr(self.table, "context", None)
        if parent is None:
            parent = Context()
        extra = self.column.get_context_data(
            record=record, table=self.table, value=value, bound_column=self.bound_column, bound_row=bound_row
        )
        with parent.update(extra):
            parent["request"] = getattr(self.table, "request", None)
            return self.template.render(parent)

    def _reverse(self, record):
        """LinkTransform.call_reverse, through the table's addresses (``table_url``)."""
        params = {}
        for name, value in self.link.reverse_args.items():
            if name == "args" and value:
                value = [item.resolve(record) if isinstance(item, A) else item for item in value]
            elif name == "kwargs" and value:
                value = {key: item.resolve(record) if isinstance(item, A) else item for key, item in value.items()}
            elif isinstance(value, A):
                value = value.resolve(record)
            params[name] = value
        if set(params) <= {"viewname", "kwargs"}:
            return table_url(self.table, params["viewname"], **(params.get("kwargs") or {}))
        return reverse(**params)


# A key no row has, standing in for the row's key while a route is reversed once.
_MARKER = 918273645546372819


def _route(viewname, name):
    """The address of ``viewname`` split where its key goes, or () when the key cannot simply be put there
    (a converter that writes a number its own way, a pattern narrower than any integer)."""
    try:
        address = reverse(viewname, kwargs={name: _MARKER})
        route = address.split(str(_MARKER))
        if len(route) == 2 and reverse(viewname, kwargs={name: 7}) == f"{route[0]}7{route[1]}":
            return route
    except NoReverseMatch:
        pass
    return ()


def table_url(table, viewname, **kwargs):
    """``reverse(viewname, kwargs=kwargs)`` for one row of ``table``. A route taking one integer key is
    reversed once per table and the row's key put in its place, so a page of 50 rows with four links
    each reverses eight times, not 200 (reverse() was the largest cost left in a row). The addresses
    are kept on the table, which lives for one request, so the script prefix cannot change under them."""
    (name, key), *others = kwargs.items() if kwargs else ((None, None),)
    if others or type(key) is not int or key < 0:
        return reverse(viewname, kwargs=kwargs)
    routes = table.__dict__.setdefault("_table_urls", {})
    route = routes.get((viewname, name))
    if route is None:
        route = routes[(viewname, name)] = _route(viewname, name)
    if not route:
        return reverse(viewname, kwargs=kwargs)
    return f"{route[0]}{key}{route[1]}"


def render_rows(table, context):
    """The table's ``<tr>`` rows for the current page, or its empty text in one row."""
    columns = [_ColumnCells(table, bound_column) for bound_column in table.columns]
    rows = []
    for bound_row in table.paginated_rows:
        record = bound_row.record
        cells = "".join(cells.td(bound_row, record, context) for cells in columns)
        rows.append(f'<tr class="govuk-table__row">{cells}</tr>')
    if not rows and table.empty_text:
        rows.append(
            format_html(
                '<tr class="govuk-table__row"><td class="govuk-table__cell" colspan="{}">{}</td></tr>',
                len(columns),
                render_value_in_context(table.empty_text, context),
            )
        )
    return mark_safe("\n".join(rows))

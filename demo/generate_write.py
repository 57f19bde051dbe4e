"""Writing the generated programme's rows in bulk (COPY on PostgreSQL), with their
status and audit history."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.db import connection, models

from demo.generate_plan import BATCH_SIZE, LEAVES, PARENTS, Chunk
from grants.financial_year import FinancialYearField
from grants.models import (
    Grant,
)

# --- Writing -------------------------------------------------------------------------


@contextlib.contextmanager
def _explicit_timestamps(*fields):
    """bulk_create stamps auto_now fields with the clock; the generator's rows
    carry dates from the seed instead."""
    saved = [(f, f.auto_now) for f in fields]
    try:
        for f, _ in saved:
            f.auto_now = False
        yield
    finally:
        for f, value in saved:
            f.auto_now = value


_HISTORY_MODELS = {}


def _history_model(model):
    """The model's django-simple-history record model, or None. (Reading
    ``model.history`` builds a manager each time, hence the cache.)"""
    if model not in _HISTORY_MODELS:
        _HISTORY_MODELS[model] = getattr(getattr(model, "history", None), "model", None)
    return _HISTORY_MODELS[model]


@dataclass(frozen=True)
class _Column:
    attname: str
    default: object
    related: bool
    convert: object  # value -> what the database driver takes, or None


_MISSING = object()
_COLUMNS = {}


def _columns(model, *, with_pk: bool) -> list[_Column]:
    """The columns a plain row of ``model`` is written to, with their defaults."""
    key = (model, with_pk)
    if key not in _COLUMNS:
        columns = []
        for f in model._meta.concrete_fields:
            if getattr(f, "generated", False) or (f.primary_key and not with_pk):
                continue
            # A callable default (the clock) is never used: the generator gives those columns.
            default = _MISSING if f.primary_key or (f.has_default() and callable(f.default)) else f.get_default()
            convert = f.get_prep_value if isinstance(f, FinancialYearField) else None
            columns.append(_Column(f.attname, default, f.is_relation, convert))
        _COLUMNS[key] = columns
    return _COLUMNS[key]


def _tuples(model, rows, *, with_pk: bool):
    columns = _columns(model, with_pk=with_pk)
    sqlite = connection.vendor == "sqlite"
    out = []
    for row in rows:
        values = []
        for column in columns:
            value = row.get(column.attname, column.default)
            if value is _MISSING:
                raise KeyError(f"{model.__name__}.{column.attname} has no value")
            if column.related and isinstance(value, models.Model):
                value = value.pk
            elif column.convert is not None and value is not None:
                value = column.convert(value)
            if sqlite and isinstance(value, dt.datetime):
                value = connection.ops.adapt_datetimefield_value(value)
            elif sqlite and isinstance(value, dt.date):
                value = value.isoformat()
            values.append(value)
        out.append(values)
    return [c.attname for c in columns], out


def _insert_rows(model, rows, *, with_pk=False) -> None:
    """Write plain rows: COPY on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    names, values = _tuples(model, rows, with_pk=with_pk)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(name) for name in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(names))
            for start in range(0, len(values), BATCH_SIZE):
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values[start : start + BATCH_SIZE]
                )


def _reserve_ids(model, count: int) -> list[int]:
    """Keys for rows written by COPY that an audit record must point to."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the writer holds the database's write lock for the whole transaction.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        highest = max(highest, cursor.fetchone()[0])
        return list(range(highest + 1, highest + 1 + count))


_COPIED = {}


def _copied_fields(model, history_model) -> list[str]:
    """The columns a historical record copies from its row (not the generated ones)."""
    if model not in _COPIED:
        base = {f.attname for f in model._meta.concrete_fields if not getattr(f, "generated", False)}
        _COPIED[model] = [
            f.attname
            for f in history_model._meta.concrete_fields
            if f.attname in base and not getattr(f, "generated", False)
        ]
    return _COPIED[model]


def _history_rows(model, history_model, obj, steps):
    """One historical record per step: the row as it stood then (its final values,
    with the step's own, such as the status of the time)."""
    names = _copied_fields(model, history_model)
    if isinstance(obj, models.Model):
        values = {name: getattr(obj, name) for name in names}
    else:
        defaults = {c.attname: c.default for c in _columns(model, with_pk=True)}
        values = {name: obj.get(name, defaults.get(name)) for name in names}
    return [
        values
        | overrides
        | {
            "history_date": when,
            "history_type": kind,
            "history_user_id": user,
            "history_change_reason": reason[:100] if reason else None,
        }
        for when, user, kind, reason, overrides in steps
    ]


def _write(chunk: Chunk, counts: dict) -> None:
    def count(model, number):
        name = model._meta.verbose_name_plural
        counts[name] = counts.get(name, 0) + number

    timestamps = (Grant._meta.get_field("modified_at"),)
    with _explicit_timestamps(*timestamps):
        for model in PARENTS:
            rows = chunk.rows[model]
            if rows:
                model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
                count(model, len(rows))
    for model in LEAVES:
        rows = chunk.rows[model]
        reserve = _history_model(model) is not None
        if reserve and rows:
            for row, pk in zip(rows, _reserve_ids(model, len(rows))):
                row["id"] = pk
        # A balance's key is its allocation's.
        _insert_rows(model, rows, with_pk=reserve or not model._meta.pk.auto_created)
        count(model, len(rows))
    history = {}
    for model, obj, steps in chunk.history:
        history_model = _history_model(model)
        if history_model is not None:
            history.setdefault(history_model, []).extend(_history_rows(model, history_model, obj, steps))
    for history_model, rows in history.items():
        _insert_rows(history_model, rows)
        counts["audit history records"] = counts.get("audit history records", 0) + len(rows)

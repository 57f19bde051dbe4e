"""A query the ORM writes once and the database runs many times, for the few queries a service runs for
every row it writes.

Django compiles a queryset's SQL afresh each time it is evaluated. For a query of a few subqueries that
costs far more than running it: the money module's one-row ledger read (nine subqueries) took 11 ms to
compile and 0.1 ms to run on SQLite. ``Prepared`` builds the queryset once for each database connection,
with a stand-in for the one value that changes, and afterwards only swaps that value in the parameters.
Rows come back through the compiler's own converters, so they are the values the queryset would give.
"""

from django.db import connections


class Prepared:
    """``build(key)`` returns a ``values()`` queryset that reads one row for ``key``; ``prepared.row(key)``
    is what ``build(key).get()`` would give, without compiling the SQL again."""

    # A key no table holds, to find where the key sits among the compiled query's parameters.
    STAND_IN = -7_340_033

    def __init__(self, build, *, using: str = "default"):
        self.build = build
        self.using = using
        self.attribute = f"_prepared_{id(self)}"

    def _compiled(self, connection):
        # Kept on the connection object, which Django makes one of for each thread.
        compiled = getattr(connection, self.attribute, None)
        if compiled is None:
            queryset = self.build(self.STAND_IN)
            compiler = queryset.query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            places = [n for n, value in enumerate(params) if value == self.STAND_IN]
            if len(places) != 1:
                raise ValueError(f"The key's stand-in is in the parameters {len(places)} times, not once")
            fields = [select[0] for select in compiler.select[: compiler.col_count]]
            converters = compiler.get_converters(fields)
            compiled = (queryset.model, compiler, sql, list(params), places[0], converters)
            setattr(connection, self.attribute, compiled)
        return compiled

    def row(self, key) -> dict:
        connection = connections[self.using]
        model, compiler, sql, params, place, converters = self._compiled(connection)
        params = [*params[:place], key, *params[place + 1 :]]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        if not rows:
            raise model.DoesNotExist(f"No {model._meta.verbose_name} {key!r}")
        if len(rows) > 1:
            raise model.MultipleObjectsReturned(f"{len(rows)} rows for {key!r}, not one")
        values = next(iter(compiler.apply_converters(rows, converters))) if converters else rows[0]
        return dict(zip(names, values, strict=True))

"""Queries whose SQL is built through the ORM once per process and run many times.

Some queries run on every request (a user's access, the managers' pending counts) and are the same
for everyone but for a value or two (the user's id, today's date); building them through the ORM
took longer than running them. They are built once per process, database and shape with stand-ins
that no real row holds (a negative id, a day in 1900), and run with the real values put where the
stand-ins stood among the parameters."""

from django.db import connections

_COMPILED = {}


def _adapted(connection, value):
    # A date reaches the parameters as the backend adapts it (a string on SQLite).
    if hasattr(value, "isoformat") and not hasattr(value, "hour"):
        return connection.ops.adapt_datefield_value(value)
    return value


def run_compiled(name, build, *, using, stand_ins, values, shape=()):
    """Run `build(**stand_ins)`'s query with `values` in place of the stand-ins; returns the column
    names and every row. `shape` names what else the query's SQL depends on (built once per shape)."""
    connection = connections[using]
    placeholders = {key: _adapted(connection, value) for key, value in stand_ins.items()}
    key = (name, connection.alias, shape)
    if key not in _COMPILED:
        compiler = build(**stand_ins).query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        missing = [key for key, value in placeholders.items() if value not in params]
        if missing:
            raise RuntimeError(f"{name}'s query no longer takes {', '.join(missing)} as parameters")
        columns = [alias for _expression, _sql, alias in compiler.select]
        _COMPILED[key] = sql, tuple(params), columns
    sql, params, columns = _COMPILED[key]
    real = {placeholders[key]: _adapted(connection, values[key]) for key in stand_ins}
    with connection.cursor() as cursor:
        cursor.execute(sql, [real.get(value, value) for value in params])
        return columns, cursor.fetchall()

"""What every service's database connection needs, in one place.

SQLite (the embedded default): the folder of the file is made on start, and
every connection gets WAL (a worker reads while the web process writes),
foreign keys (off by default in SQLite), a busy timeout (wait for a writer
instead of failing) and ``synchronous=NORMAL``, which in WAL mode still
survives a process crash (only a power cut can lose the last commits) and
makes each commit an order of magnitude cheaper.

Every engine (both databases) checks a pooled connection before lending it
(``pool_pre_ping``: a server restart, a failover or an idle timeout costs a
reconnect, never a failed request) and keeps statement parameters out of its
error messages (``hide_parameters``: an email address in a failing INSERT
never reaches a log). :func:`configure` sets both; call it before
``db.init_app``.

:func:`insert_many` writes thousands of rows in one go (a round of the
outreach network writes three rows per faculty member).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import Table, event, insert
from sqlalchemy.engine import Engine

ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
# Constraint and index names a migration can name again on both databases (SQLite alters a table by copying
# it, and needs the name of a constraint to drop it). ``MetaData(naming_convention=NAMING_CONVENTION)``.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def configure(app) -> None:
    """Engine options every service shares, and the SQLite folder; before ``db.init_app(app)``."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**ENGINE_OPTIONS, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    prepare_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])


def prepare_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def insert_many(session, table: Table, rows: Sequence[Mapping]) -> None:
    """Insert ``rows`` (mappings with the same keys: column keys) into ``table``, in the session's transaction.

    What ``session.execute(insert(table), rows)`` does, without SQLAlchemy's work per row (building and
    type-processing every parameter set costs tens of microseconds a row): each column's type
    processing runs once per distinct value, and the rows reach the driver in one call, PostgreSQL's
    ``COPY ... FROM STDIN`` (psycopg) or the driver's ``executemany`` (SQLite). A column left out gets
    its scalar default (``default=False``); one with a computed default must be given. Like COPY, it
    fires no ``before_cursor_execute`` event on PostgreSQL.
    """
    if not rows:
        return
    keys = list(rows[0])
    for column in table.columns:
        if column.key not in keys and column.default is not None:
            if not column.default.is_scalar:
                raise ValueError(f"give {table.name}.{column.key}: its default is computed")
            keys.append(column.key)
    connection = session.connection()
    dialect = connection.dialect
    values = {}
    for key in keys:
        column = table.c[key]
        if key in rows[0]:
            given = [row[key] for row in rows]
        else:
            given = [column.default.arg] * len(rows)
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        values[key] = given if processor is None else _processed(given, processor)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(table.c[key].name) for key in keys)
        sql = f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in zip(*(values[key] for key in keys), strict=True):
                copy.write_row(row)
        return
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    if compiled.positional:
        order = [values[compiled.binds[name].key] for name in compiled.positiontup]
        parameters = list(zip(*order, strict=True))
    else:
        parameters = [dict(zip(compiled.binds, row, strict=True)) for row in zip(
            *(values[bind.key] for bind in compiled.binds.values()), strict=True)]
    connection.exec_driver_sql(compiled.string, parameters)


def _processed(given: list, processor) -> list:
    """``processor`` applied to each value; once when every row holds the same object (an instant, a flag)."""
    first = given[0]
    if all(value is first for value in given):
        return [processor(first)] * len(given)
    return [processor(value) for value in given]

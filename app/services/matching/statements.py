"""How matching's statements (and the county centre's staffed stations, app/services/
access.py) take a list of values, per database.

Matching runs for every request, so its statements are built once (building the SQL cost
more than running it) and take their lists as bound parameters. On PostgreSQL a list is
one array parameter (``= ANY(:cells)``): the statement's text never changes, so it is
compiled once to ``$n`` SQL (``_native``) and PostgreSQL can keep it prepared. SQLite has no arrays: a list there is
one JSON text read by ``json_each`` (``IN (SELECT value FROM json_each(:cells))``, which
SQLite reads as one index lookup per value); an expanding ``IN`` made SQLAlchemy render
the SQL again with a placeholder per value at every run (some 200 reach cells: a fifth
of a match's Python) and sqlite3 prepare it again.
"""

from __future__ import annotations

import re
from functools import cache

import psycopg
from sqlalchemy import BigInteger, String, any_, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db


def one_of(column, name: str, arrays: bool):
    """``column`` is one of the list bound as ``name`` (pass it through ``values``)."""
    if arrays:
        # The array goes as its text ('{1,2,3}'): psycopg adapts a list of a few hundred
        # numbers element by element in Python, a string at once.
        return column == any_(cast(bindparam(name, type_=String), ARRAY(BigInteger)))
    listed = func.json_each(bindparam(name, type_=String)).table_valued("value")
    return column.in_(select(listed.c.value))


def values(numbers):
    """A list of integers as ``one_of`` takes it on the database in use."""
    listed = ",".join(map(str, numbers))
    return "{" + listed + "}" if arrays() else "[" + listed + "]"


def arrays() -> bool:
    """Whether lists go as arrays on the database in use."""
    return db.engine.dialect.name == "postgresql"


def rows(statement, params: dict) -> list:
    """All rows of one of matching's statements of plain columns, run on the session's
    connection: the ORM's ``session.execute`` spent about 0.1 ms more of Python on each
    (measured with time.process_time), and matching reads no mapped objects with these.
    On PostgreSQL through ``_native``. Pending changes are flushed first, as the session's
    autoflush would."""
    db.session.flush()
    connection = db.session.connection()
    if not arrays():
        return connection.execute(statement, params).all()
    sql, names, fixed = _native(statement)
    driver = connection.connection.driver_connection
    previous = driver.cursor_factory
    driver.cursor_factory = psycopg.RawCursor  # $1 placeholders, taken as they are
    try:
        # As driver SQL: the engine's events (statement counts) still see it.
        args = {**fixed, **params}
        return connection.exec_driver_sql(sql, tuple(args[name] for name in names)).all()
    finally:
        driver.cursor_factory = previous


@cache
def _native(statement) -> tuple[str, tuple[str, ...], dict]:
    """``statement`` compiled once into PostgreSQL's own ``$n`` placeholders: the SQL, the
    parameter name of each ``$n``, and the values of its fixed parameters (literals the
    statement binds). psycopg's usual ``%(name)s`` form is parsed again at every run when
    the SQL is longer than 4,096 bytes (``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH``),
    as the pre-filter's is (4.7-6.8 kB): 0.54 ms a match. Skipping SQLAlchemy's
    compiled-statement path saves some more."""
    dialect = db.engine.dialect  # any PostgreSQL engine's: the SQL is the same
    compiled = statement.compile(dialect=dialect)
    numbers: dict[str, str] = {}

    def number(match: re.Match) -> str:
        return numbers.setdefault(match.group(1), f"${len(numbers) + 1}")

    sql = _PLACEHOLDER.sub(number, str(compiled)).replace("%%", "%")
    if "POSTCOMPILE" in sql:  # an expanding IN is rendered per run: pass arrays (one_of)
        raise TypeError("a matching statement on PostgreSQL takes its lists as arrays")
    fixed = {}
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required:
            if process is not None:  # would need processing at every run: not supported
                raise TypeError(f"parameter {name} of a matching statement needs processing")
            continue
        fixed[name] = process(bind.value) if process is not None else bind.value
    return sql, tuple(numbers), fixed


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def built_once(builder):
    """``builder(arrays, *variant)`` called once for each kind of database and variant;
    ``statement(*variant)`` picks."""
    cached = cache(builder)

    def statement(*variant):
        return cached(arrays(), *variant)

    return statement

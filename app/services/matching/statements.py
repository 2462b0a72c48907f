"""How matching's statements take a list of values, per database.

Matching runs for every request, so its statements are built once (building the SQL cost
more than running it) and take their lists as bound parameters. On PostgreSQL a list is
one array parameter (``= ANY(:cells)``): the statement's text never changes, so psycopg
parses it once and PostgreSQL can keep it prepared. SQLite has no arrays: an expanding
``IN`` there.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import BigInteger, String, any_, bindparam, cast
from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db


def one_of(column, name: str, arrays: bool):
    """``column`` is one of the list bound as ``name`` (pass it through ``values``)."""
    if arrays:
        # The array goes as its text ('{1,2,3}'): psycopg adapts a list of a few hundred
        # numbers element by element in Python, a string at once.
        return column == any_(cast(bindparam(name, type_=String), ARRAY(BigInteger)))
    return column.in_(bindparam(name, expanding=True))


def values(numbers):
    """A list of integers as ``one_of`` takes it on the database in use."""
    if arrays():
        return "{" + ",".join(map(str, numbers)) + "}"
    return list(numbers)


def arrays() -> bool:
    """Whether lists go as arrays on the database in use."""
    return db.engine.dialect.name == "postgresql"


def rows(statement, params: dict) -> list:
    """All rows of one of matching's statements of plain columns, run on the session's
    connection: the ORM's ``session.execute`` spent about 0.1 ms more of Python on each
    (measured with time.process_time), and matching reads no mapped objects with these.
    Pending changes are flushed first, as the session's autoflush would."""
    db.session.flush()
    return db.session.connection().execute(statement, params).all()


def built_once(builder):
    """``builder(arrays, *variant)`` called once for each kind of database and variant;
    ``statement(*variant)`` picks."""
    cached = cache(builder)

    def statement(*variant):
        return cached(arrays(), *variant)

    return statement

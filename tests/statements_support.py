"""Watching the SQL a test's requests send: one listener, each test keeping what it needs."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app import generic_plans
from app.extensions import db


@contextmanager
def each_statement(app, record: Callable) -> Iterator[None]:
    """``record(conn, cursor, statement, parameters, context, executemany)`` is called
    before each statement the app's engines send (its own, and on PostgreSQL the pool kept
    to generic plans, app/generic_plans.py), until the block ends."""
    with app.app_context():
        engines = [db.engine, *filter(None, [generic_plans.engine()])]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)

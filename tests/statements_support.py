"""Watching the SQL a test's requests send: one listener, each test keeping what it needs."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db


@contextmanager
def each_statement(app, record: Callable) -> Iterator[None]:
    """``record(conn, cursor, statement, parameters, context, executemany)`` is called
    before each statement the app's engine sends, until the block ends."""
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", record)

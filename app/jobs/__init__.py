"""What runs outside a web request: the worker's scheduled jobs and the CLI's one-off work.

This package and the web boundary (``app/blueprints/transaction.py``) are the only places
that commit. Services flush and never commit; a job commits once per unit of work, so a
failure in one unit rolls back that unit alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.extensions import db


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll all of it back if it raised."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()

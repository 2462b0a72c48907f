"""The web request's one commit point (STYLE.md habit 1; Indico's request handler does the same).

A view runs in one transaction and never commits. When the view returns, ``LinliFlask``
commits its work once, here, before the response leaves; when the view raises (``abort``, an
unexpected error) nothing is committed and Flask-SQLAlchemy rolls the session back as the
request ends.

A view marked ``reads_only`` (a list that only reads) runs its statements without a
transaction of their own: each is its own, as it would be anyway for a page whose statements
each see the database as of their start (PostgreSQL's read committed). It spares the two
round trips that open and commit a transaction, two of a list page's five.

A domain error is not an exception to the page: a view that shows it next to the form calls
the use case through ``attempt``, which rolls back whatever the use case had done. What the
page then writes (the access-log line of the personal data it shows) is committed with it,
so a page that shows a person's record always leaves its line in the log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import Flask, request

from app.extensions import db
from app.services import ServiceError

T = TypeVar("T")


READS_ONLY = "linli_reads_only"  # the mark ``reads_only`` sets on a view function


def reads_only(view: Callable[..., T]) -> Callable[..., T]:
    """Mark a GET view that never writes: its statements run without a transaction (see
    the module's docstring). A marked view must only read; tests/blueprints/test_reads_only.py
    runs each one and checks every statement it sends."""
    setattr(view, READS_ONLY, True)
    return view


class LinliFlask(Flask):
    """Flask, with the request's work committed once when the view returns."""

    def dispatch_request(self):
        if request.method in ("GET", "HEAD") and self._view_reads_only():
            read_without_transaction()
        response = super().dispatch_request()
        commit_point()
        return response

    def _view_reads_only(self) -> bool:
        rule = request.url_rule
        view = self.view_functions.get(rule.endpoint) if rule is not None else None
        return bool(getattr(view, READS_ONLY, False))


def read_without_transaction() -> None:
    """The request's statements each in a transaction of its own (the driver's autocommit):
    no BEGIN and no COMMIT. Only at the start of the unit of work; later, nothing changes."""
    session = db.session()
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def commit_point() -> None:
    """The one ``commit()`` of a web request (a no-op when nothing was begun, and no
    session is made for a request that never used one)."""
    if db.session.registry.has() and db.session().in_transaction():
        db.session.commit()


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a use case returned, or the domain's refusal (its work undone)."""

    result: T | None = None
    error: ServiceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def attempt(use_case: Callable[..., T], *args, **kwargs) -> Outcome[T]:
    """Run one use case; on a ServiceError roll its work back and hand the error over.

    The rollback expires every loaded object: a view that draws the page again after an
    error reads what it shows afresh."""
    try:
        return Outcome(result=use_case(*args, **kwargs))
    except ServiceError as error:
        db.session.rollback()
        return Outcome(error=error)

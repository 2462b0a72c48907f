"""The web request's one commit point (STYLE.md habit 1; Indico's request handler does the same).

A view runs in one transaction and never commits. When the view returns, ``LinliFlask``
commits its work once, here, before the response leaves; when the view raises (``abort``, an
unexpected error) nothing is committed and Flask-SQLAlchemy rolls the session back as the
request ends.

A domain error is not an exception to the page: a view that shows it next to the form calls
the use case through ``attempt``, which rolls back whatever the use case had done. What the
page then writes (the access-log line of the personal data it shows) is committed with it,
so a page that shows a person's record always leaves its line in the log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import Flask

from app.extensions import db
from app.services import ServiceError

T = TypeVar("T")


class LinliFlask(Flask):
    """Flask, with the request's work committed once when the view returns."""

    def dispatch_request(self):
        response = super().dispatch_request()
        commit_point()
        return response


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

"""Helpers for the console tests: posting forms with their CSRF token, sample requests."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import AuditLog, OutboxMessage, RequestEvent
from tests import factories
from tests.conftest import csrf_token_from


def post(client, url: str, data: dict | None = None, page: str = "/station/"):
    """Read a CSRF token from ``page`` (any signed-in page), then post ``data`` to ``url``."""
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def text(response) -> str:
    return response.get_data(as_text=True)


def events(request_id: int, action: str | None = None) -> list[RequestEvent]:
    query = db.session.query(RequestEvent).filter_by(request_id=request_id)
    if action:
        query = query.filter_by(action=action)
    return query.order_by(RequestEvent.id).all()


def outbox(template: str) -> list[OutboxMessage]:
    """The texts of ``template`` in the order they were queued (without ORDER BY,
    PostgreSQL may return them in any order)."""
    return (
        db.session.query(OutboxMessage)
        .filter_by(template=template)
        .order_by(OutboxMessage.id)
        .all()
    )


def audit_entries(action: str) -> list[AuditLog]:
    return db.session.query(AuditLog).filter_by(action=action).all()


def request_at(station, *, minutes_ago: int = 5, **kwargs):
    return factories.make_request(station, created_ago=timedelta(minutes=minutes_ago), **kwargs)

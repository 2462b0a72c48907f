"""Helpers for the tests of every kind of service recorded (issue 15 item 1): posting the
staff's forms with their CSRF and one-time tokens, and reading the service records."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import CallLog, ServiceRecord, Visit
from tests.conftest import csrf_token_from


def form_token_from(html: str) -> str:
    match = re.search(r'name="form_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="form_token"', html
    )
    assert match, "no one-time form token on the page"
    return match.group(1)


def tokens(client, page: str) -> dict:
    """The CSRF token and the one-time form token of the form on ``page``."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    html = response.get_data(as_text=True)
    return {"csrf_token": csrf_token_from(html), "form_token": form_token_from(html)}


def records() -> list[ServiceRecord]:
    return list(db.session.scalars(select(ServiceRecord).order_by(ServiceRecord.id)))


def visits() -> list[Visit]:
    return list(db.session.scalars(select(Visit).order_by(Visit.id)))


def calls() -> list[CallLog]:
    return list(db.session.scalars(select(CallLog).order_by(CallLog.id)))


def what(record: ServiceRecord) -> dict:
    """A record's counted fields, for one exact comparison."""
    return {
        "source": record.source,
        "station_id": record.station_id,
        "village_id": record.village_id,
        "beneficiary_id": record.beneficiary_id,
        "category": record.category,
        "special_groups": list(record.special_groups or []),
        "groups_mask": record.groups_mask,
        "hours": str(record.hours),
        "person_times": record.person_times,
        "volunteer_id": record.volunteer_id,
        "team_id": record.team_id,
        "worker_id": record.worker_id,
    }

"""Helpers for the matching, offer, claim and volunteer-page tests (issue 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Claim, OutboxMessage, ServiceRecord
from app.models.base import utcnow
from tests import factories

# About 1.1 km per 0.01 degree of latitude around the test county (34.76 N).
KM_PER_0_01_LAT = 1.106


def north_of(place, km: float) -> dict:
    """lat/lon ``km`` north of ``place`` (an object with lat/lon)."""
    return {"lat": place.lat + km / 110.574, "lon": place.lon}


def volunteer_near(world, km: float = 1.0, **kwargs):
    """An approved volunteer ``km`` north of village A1 (skills: shopping, companionship)."""
    where = north_of(world.village_a1, km)
    kwargs.setdefault("station", world.station_a)
    return factories.make_volunteer(lat=where["lat"], lon=where["lon"], **kwargs)


def request_in_a1(world, *, status: str = "accepted", **kwargs):
    return factories.make_request(
        world.station_a, village=world.village_a1, status=status, **kwargs
    )


def past_claims(user, *, done: int = 0, released: int = 0, station=None, world=None):
    """Finished and released claims on old closed requests: the volunteer's record."""
    station = station or world.station_a
    for status, count in (("done", done), ("released", released)):
        for _ in range(count):
            old = factories.make_request(station, status="closed", created_ago=timedelta(days=30))
            db.session.add(Claim(request_id=old.id, volunteer_id=user.id, status=status, via="web"))
    db.session.flush()


def served_before(user, world, *, contact_phone: str, hours: str = "1"):
    """A service record for an earlier request from this phone number."""
    old = factories.make_request(
        world.station_a,
        status="closed",
        contact_phone=contact_phone,
        created_ago=timedelta(days=60),
    )
    db.session.add(
        ServiceRecord(
            request_id=old.id,
            volunteer_id=user.id,
            station_id=world.station_a.id,
            category=old.category,
            hours=hours,
            ended_at=utcnow() - timedelta(days=59),
        )
    )
    db.session.flush()


def sms_to(phone: str, template: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.to_phone == phone)
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def all_sms(template: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id)
        )
    )


@pytest.fixture(autouse=False)
def fast_passwords(monkeypatch):
    """Cheap password hashes: these tests make dozens of volunteers (scrypt is slow)."""
    from werkzeug.security import generate_password_hash

    import app.models.people as people

    monkeypatch.setattr(
        people,
        "generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"),
    )


def sign_in(client, user) -> None:
    """Make ``client`` a session of ``user`` (a volunteer made by the factories)."""
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
        session["_sv"] = user.session_version or 0


def post_form(client, page_url: str, action_url: str, data: dict, **kwargs):
    """GET the page for its CSRF token, then POST ``data`` to ``action_url``."""
    from tests.conftest import csrf_token_from

    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)  # the form to post from
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(action_url, data={**data, "csrf_token": token}, **kwargs)

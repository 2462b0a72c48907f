"""Helpers of the journey, geolocation, accessibility and page-weight tests.

They read the live server's database directly (in the test's own thread, through the live
app's context) to choose realistic inputs and to check what was stored; the browsers do
everything a person does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from tests.e2e.support import shot

DEMO_TOWNSHIP = "柳林镇"
DEMO_VOLUNTEER = "zhiyuanzhe"
DEMO_WORKER = "shegong"
DEMO_WORKER_STATION = "柳林镇社工站"


def read_db(live_server, fn):
    """Run ``fn()`` in the live app's context and drop the session afterwards (so the
    next read sees what the server committed meanwhile, and no SQLite lock is held)."""
    from app.extensions import db

    with live_server.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


@dataclass(frozen=True)
class Plan:
    """What the resident asks for, chosen so the demo volunteer is a real candidate."""

    category: str
    township: str
    village: str
    village_id: int
    village_lat: float
    village_lon: float
    volunteer_id: int
    distance_km: float


def plan_for_demo_volunteer(live_server) -> Plan:
    """A category among the demo volunteer's skills (the most asked-for first) and a
    village of his township, other than his own, within his travel radius, served by the
    township station itself (not a village room), nearest first."""

    def choose() -> Plan:
        from app.blueprints.public.forms import CATEGORY_ORDER
        from app.extensions import db
        from app.models import Region, User
        from app.models.vocab import SOCIAL_WORKER_ONLY
        from app.services import geo

        user = db.session.scalar(select(User).where(User.username == DEMO_VOLUNTEER))
        profile = user.volunteer
        assert profile is not None and profile.status == "approved", "demo volunteer"
        category = next(
            code
            for code in CATEGORY_ORDER
            if code in (profile.skills or []) and code not in SOCIAL_WORKER_ONLY
        )
        township = db.session.scalar(
            select(Region).where(Region.level == "township", Region.name == DEMO_TOWNSHIP)
        )
        villages = db.session.scalars(
            select(Region).where(Region.level == "village", Region.parent_id == township.id)
        ).all()
        options = []
        for village in villages:
            if village.id == profile.home_village_id or village.lat is None:
                continue
            station = geo.route_to_station(village_id=village.id, lat=None, lon=None)
            if station.name != DEMO_WORKER_STATION:
                continue
            km = geo.distance_km(profile.home_lat, profile.home_lon, village.lat, village.lon)
            if km < profile.radius_km:
                options.append((km, village))
        assert options, "no village of the demo township within the volunteer's radius"
        km, village = min(options, key=lambda pair: pair[0])
        return Plan(
            category=category,
            township=township.name,
            village=village.name,
            village_id=village.id,
            village_lat=village.lat,
            village_lon=village.lon,
            volunteer_id=user.id,
            distance_km=km,
        )

    return read_db(live_server, choose)


def request_by_code(live_server, code: str) -> dict | None:
    """The stored request as plain values (None when there is none)."""

    def find():
        from app.extensions import db
        from app.models import HelpRequest, Offer

        found = db.session.scalar(select(HelpRequest).where(HelpRequest.code == code))
        if found is None:
            return None
        offers = db.session.scalars(select(Offer).where(Offer.request_id == found.id)).all()
        return {
            "id": found.id,
            "status": found.status,
            "category": found.category,
            "village": found.village.name if found.village else None,
            "station": found.station.name,
            "lat": found.lat,
            "lon": found.lon,
            "contact_phone": found.contact_phone,
            "address": found.address,
            "rating": found.rating,
            "rating_comment": found.rating_comment,
            "assigned_volunteer_id": found.assigned_volunteer_id,
            "offers": [(o.volunteer_id, o.team_id, o.status) for o in offers],
            "events": [e.action for e in found.events],
        }

    return read_db(live_server, find)


def count_requests(live_server) -> int:
    def count():
        from app.extensions import db
        from app.models import HelpRequest

        return db.session.scalar(select(func.count(HelpRequest.id)))

    return read_db(live_server, count)


class Steps:
    """Numbered screenshots of one journey: artifacts/e2e/<prefix>-NN-<step>.png."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.number = 0

    def shot(self, page, step: str):
        self.number += 1
        return shot(page, f"{self.prefix}-{self.number:02d}-{step}")

"""Filing a request for someone else (proxy and hotline intake): who may, and for whom.

The request itself is filed by ``intake.submit_request``, as every channel's is."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Beneficiary, Region, User
from app.services.access import acting_station_ids

MAX_LISTED = 500


def may_file_for_others(user: User) -> bool:
    """Workers may; a volunteer only once the station has approved them."""
    if user.has_role("social_worker", "station_admin"):
        return True
    profile = getattr(user, "volunteer", None)
    return profile is not None and profile.status == "approved"


def people_to_file_for(user: User) -> list[tuple[int, str]]:
    """(id, "name · village") of the people in the ledger of the stations ``user`` works
    for: the only ones a proxy request may name."""
    station_ids = acting_station_ids(user)
    if not station_ids:
        return []
    rows = db.session.execute(
        select(Beneficiary.id, Beneficiary.name, Region.name)
        .outerjoin(Region, Region.id == Beneficiary.village_id)
        .where(Beneficiary.station_id.in_(station_ids))
        .order_by(Beneficiary.name)
        .limit(MAX_LISTED)
    ).all()
    return [(row[0], f"{row[1]} · {row[2]}" if row[2] else row[1]) for row in rows]

"""Fill the bench database with N help requests spread over the demo stations (once).

``python -m benchmarks.fill_requests 100000`` — rows carry codes 'BN000001'…, so a second
run tops up to N instead of duplicating.
"""

from __future__ import annotations

import random
import sys
from datetime import timedelta

from sqlalchemy import func, insert, select

from app import create_app
from app.extensions import db
from app.models import HelpRequest, Station
from app.models.base import utcnow
from app.models.vocab import CATEGORIES

# Most of a station's history is finished work; the queue tabs see the rest.
STATUS_WEIGHTS = {
    "closed": 70,
    "cancelled": 5,
    "rejected": 3,
    "new": 6,
    "accepted": 3,
    "offered": 4,
    "assigned": 4,
    "in_progress": 2,
    "done": 3,
}


def fill(total: int) -> int:
    existing = db.session.scalar(
        select(func.count(HelpRequest.id)).where(HelpRequest.code.like("BN%"))
    )
    stations = db.session.execute(select(Station.id, Station.lat, Station.lon)).all()
    if not stations:
        raise SystemExit("no stations: run flask seed-demo first")
    rng = random.Random(2026)
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    categories = list(CATEGORIES)
    now = utcnow()
    rows = []
    for i in range(existing + 1, total + 1):
        station_id, lat, lon = rng.choice(stations)
        created = now - timedelta(minutes=rng.randint(1, 365 * 24 * 60))
        rows.append(
            {
                "code": f"BN{i:06d}",
                "category": rng.choice(categories),
                "description": "bench",
                "special_groups": [],
                "for_whom": "self",
                "urgency": rng.choices(["normal", "urgent", "crisis"], [90, 9, 1])[0],
                "lat": (lat or 34.7) + rng.uniform(-0.05, 0.05),
                "lon": (lon or 113.6) + rng.uniform(-0.05, 0.05),
                "contact_phone": f"+86137{i:08d}",
                "channel": "web",
                "consent": True,
                "station_id": station_id,
                "status": rng.choices(statuses, weights)[0],
                "created_at": created,
                "updated_at": created,
            }
        )
        if len(rows) == 5000:
            db.session.execute(insert(HelpRequest), rows)
            db.session.commit()
            rows = []
    if rows:
        db.session.execute(insert(HelpRequest), rows)
        db.session.commit()
    return total - existing


if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        added = fill(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
        print(f"bench requests: added {max(added, 0)}", file=sys.stderr)

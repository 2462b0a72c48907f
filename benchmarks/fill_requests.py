"""Fill the bench database with N help requests spread over the demo stations (once).

``python -m benchmarks.fill_requests 100000`` — rows carry codes 'BN000001'…, so a second
run tops up to N instead of duplicating. It first removes what earlier load runs' intake
posts filed (``forget_intake``), so each run measures the same N requests, not N and every
earlier run's posts. On PostgreSQL the rows go in through COPY (a
million in a minute or two, where one INSERT per 5,000 rows took half an hour), then the
table is analysed and vacuumed so the planner and index-only scans see it as a server that
has run for a while would.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, text

from app import create_app
from app.extensions import db
from app.models import (
    Claim,
    FormToken,
    HelpRequest,
    Offer,
    OutboxMessage,
    RequestEvent,
    Station,
)
from app.models.base import utcnow
from app.models.vocab import CATEGORIES

# Most of a station's history is finished work; the queue tabs see the rest. Kept the same
# at every size (not only the recent rows open), so the open tabs grow with the table: the
# queue must stay flat even then.
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

# Every NOT NULL column, so COPY needs no Python-side default.
COPY_COLUMNS = (
    "code",
    "category",
    "description",
    "special_groups",
    "for_whom",
    "urgency",
    "lat",
    "lon",
    "location_source",
    "address",
    "wanted_note",
    "contact_name",
    "contact_phone",
    "language",
    "channel",
    "consent",
    "consent_by",
    "consent_method",
    "station_id",
    "status",
    "escalated",
    "offer_round",
    "outcome",
    "rating_comment",
    "sms_unreachable",
    "created_at",
    "updated_at",
)


def code_for(number: int) -> str:
    return f"BN{number:06d}" if number < 1_000_000 else f"BN{number}"


def rows(first: int, last: int, stations: list) -> Iterator[dict]:
    """Requests ``first``..``last`` (inclusive), the same for a number whatever the batch."""
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    categories = list(CATEGORIES)
    now = utcnow()
    rng = random.Random(2026 + first)
    for i in range(first, last + 1):
        station_id, lat, lon = rng.choice(stations)
        created = now - timedelta(minutes=rng.randint(1, 365 * 24 * 60))
        yield {
            "code": code_for(i),
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


def _copy_values(row: dict) -> tuple:
    full = {
        "location_source": "",
        "address": "",
        "wanted_note": "",
        "contact_name": "",
        "language": "zh",
        "consent_by": "",
        "consent_method": "",
        "escalated": False,
        "offer_round": 0,
        "outcome": "",
        "rating_comment": "",
        "sms_unreachable": False,
        **row,
        "special_groups": json.dumps(row["special_groups"]),
    }
    return tuple(full[name] for name in COPY_COLUMNS)


def _copy(first: int, last: int, stations: list) -> None:
    raw = db.session.connection().connection.driver_connection  # psycopg 3
    columns = ", ".join(COPY_COLUMNS)
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY help_request ({columns}) FROM STDIN") as copy:
            for row in rows(first, last, stations):
                copy.write_row(_copy_values(row))
    db.session.commit()


def _insert(first: int, last: int, stations: list) -> None:
    batch = []
    for row in rows(first, last, stations):
        batch.append(row)
        if len(batch) == 5000:
            db.session.execute(insert(HelpRequest), batch)
            db.session.commit()
            batch = []
    if batch:
        db.session.execute(insert(HelpRequest), batch)
        db.session.commit()


def _tidy_postgresql(*tables: str) -> None:
    """Statistics and the visibility map, as autovacuum would leave them by and by."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables or ("help_request",):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


# Columns that refer to a request and that nothing indexes (the app never deletes a
# request): deleting one makes PostgreSQL scan each of their tables for it. While the
# intake's posts are removed, each gets a partial index of its few non-NULL values.
_UNINDEXED_REFERENCES = (
    ("help_request", "merged_into_id"),
    ("help_request", "possible_duplicate_of_id"),
    ("inbound_message", "request_id"),
    ("visit", "spawned_request_id"),
)


def forget_intake() -> int:
    """Delete the requests the load bench's intake scenario filed (by its description,
    ``scenarios.INTAKE_DESCRIPTION``), with what hangs on them (their texts, events, form
    tokens, offers and claims: named, not left to ON DELETE CASCADE, which SQLite applies
    only when told). How many requests went."""
    from benchmarks.scenarios import INTAKE_DESCRIPTION

    filed = select(HelpRequest.id).where(HelpRequest.description == INTAKE_DESCRIPTION)
    if not db.session.scalar(select(func.count()).select_from(filed.subquery())):
        return 0
    postgresql = db.engine.dialect.name == "postgresql"
    indexes = [f"bench_forget_{table}_{column}" for table, column in _UNINDEXED_REFERENCES]
    if postgresql:
        for name, (table, column) in zip(indexes, _UNINDEXED_REFERENCES, strict=True):
            db.session.execute(
                text(f"CREATE INDEX {name} ON {table} ({column}) WHERE {column} IS NOT NULL")
            )
    for model in (OutboxMessage, RequestEvent, FormToken, Offer, Claim):
        db.session.execute(delete(model).where(model.request_id.in_(filed)))
    gone = db.session.execute(delete(HelpRequest).where(HelpRequest.id.in_(filed))).rowcount
    for name in indexes if postgresql else ():
        db.session.execute(text(f"DROP INDEX {name}"))
    db.session.commit()  # the indexes come and go in the same transaction
    if postgresql:
        _tidy_postgresql("help_request", "outbox_message", "request_event", "form_token")
    return gone


def fill(total: int) -> int:
    existing = db.session.scalar(
        select(func.count(HelpRequest.id)).where(HelpRequest.code.like("BN%"))
    )
    stations = [
        tuple(row) for row in db.session.execute(select(Station.id, Station.lat, Station.lon))
    ]
    if not stations:
        raise SystemExit("no stations: run flask seed-demo first")
    if existing >= total:
        return 0
    if db.engine.dialect.name == "postgresql":
        _copy(existing + 1, total, stations)
        _tidy_postgresql()
    else:
        _insert(existing + 1, total, stations)
    return total - existing


if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        forgotten = forget_intake()
        added = fill(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
        print(
            f"bench requests: added {max(added, 0)}, removed {forgotten} an earlier run posted",
            file=sys.stderr,
        )

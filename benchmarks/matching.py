"""Matching benchmark: p50/p95 of find_candidates among 1,000,000 volunteers on PostgreSQL
and among 100,000 in a SQLite file.

The PostgreSQL data lives in its own database (``linli_bench``, created on first use and
kept; rebuilt only when the schema of the tables it fills changes); the SQLite data in its
own file (``instance/bench_matching.sqlite``, kept the same way). Volunteers are spread
over Henan's extent (lat 31.4–36.4, lon 110.3–116.7): 60 % clustered around 150 towns,
40 % anywhere; 90 % approved; 1–4 skills; travel radius 1–30 km; weekly windows; one team
per 500 volunteers. Each run times ``matching.find_candidates`` (limit 10) for ~200
requests at random points, with random categories, a wanted time on a fifth of them and a
child on a tenth, after a short warm-up, each inside a transaction already begun (as the
app's callers match: the offer round and the request page have read the request first), and
prints p50/p95/p99, the part spent between
sending each statement and having its rows (on SQLite the rows are read as they are
fetched, so most of its database work counts as Python), and beside them a bare
``SELECT 1`` through the same session. Targets: p95 <= 5 ms on PostgreSQL, <= 15 ms on
SQLite.

Environment: ``BENCH_POSTGRES_URL`` (admin URL, default postgres@127.0.0.1:5432),
``BENCH_VOLUNTEERS`` (default 1,000,000), ``BENCH_MATCHES`` (default 200),
``BENCH_MATCH_ROUNDS`` (default 3: the same requests timed in each, p95 per round and the
target checked on their median),
``BENCH_MATCHING_DB`` (default linli_bench), ``BENCH_MATCHING_SQLITE`` (the SQLite file),
``BENCH_SQLITE_VOLUNTEERS`` (default 100,000). Run: ``make bench BENCH_ARGS="--only
matching"``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import statistics
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_MATCHING_DB", "linli_bench")
VOLUNTEERS = int(os.environ.get("BENCH_VOLUNTEERS", "1000000"))
SQLITE_PATH = os.environ.get(
    "BENCH_MATCHING_SQLITE",
    str(Path(__file__).resolve().parent.parent / "instance" / "bench_matching.sqlite"),
)
SQLITE_VOLUNTEERS = int(os.environ.get("BENCH_SQLITE_VOLUNTEERS", "100000"))
MATCHES = int(os.environ.get("BENCH_MATCHES", "200"))
# The same requests timed again in each round: a figure per round, and the verdict on their
# median (this machine's speed swings by half for minutes at a time).
ROUNDS = max(1, int(os.environ.get("BENCH_MATCH_ROUNDS", "3")))
VOLUNTEERS_PER_TEAM = 500  # 2,000 teams among 1,000,000 volunteers
LAT_RANGE = (31.4, 36.4)
LON_RANGE = (110.3, 116.7)
TARGET_P95_MS = {"postgresql": 5.0, "sqlite": 15.0}
FILLED_TABLES = ("user", "user_role", "volunteer_profile", "team")


def run() -> list[str]:
    return _run_postgresql() + _run_sqlite()


def _run_postgresql() -> list[str]:
    import psycopg

    url = _database_url()
    app = _app(url)
    lines = []
    from app.extensions import db

    with app.app_context():
        fingerprint = _fingerprint(db, VOLUNTEERS)
        plain_url = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain_url, autocommit=True) as conn:
            stored = _stored_fingerprint(conn)
        if stored != fingerprint:
            started = time.monotonic()
            _rebuild(db, plain_url, fingerprint)
            lines.append(
                f"filled {VOLUNTEERS:,} volunteers and {_teams_for(VOLUNTEERS):,} teams in "
                f"{time.monotonic() - started:.0f} s"
            )
        else:
            lines.append(f"reusing {VOLUNTEERS:,} volunteers in database {DB_NAME}")
            _ensure_indexes(db)
        lines += _measure(db, VOLUNTEERS, "PostgreSQL")
    return lines


def _run_sqlite() -> list[str]:
    import sqlite3

    Path(SQLITE_PATH).parent.mkdir(parents=True, exist_ok=True)
    app = _app(f"sqlite:///{SQLITE_PATH}")
    lines = []
    from app.extensions import db

    with app.app_context():
        fingerprint = _fingerprint(db, SQLITE_VOLUNTEERS)
        with sqlite3.connect(SQLITE_PATH) as conn:
            stored = _stored_fingerprint(conn)
        conn.close()
        if stored != fingerprint:
            started = time.monotonic()
            _rebuild_sqlite(db, fingerprint)
            lines.append(
                f"filled {SQLITE_VOLUNTEERS:,} volunteers and "
                f"{_teams_for(SQLITE_VOLUNTEERS):,} teams in {SQLITE_PATH} in "
                f"{time.monotonic() - started:.0f} s"
            )
        else:
            lines.append(f"reusing {SQLITE_VOLUNTEERS:,} volunteers in {SQLITE_PATH}")
            for name in FILLED_TABLES:
                for index in db.metadata.tables[name].indexes:
                    index.create(bind=db.engine, checkfirst=True)
        lines += _measure(db, SQLITE_VOLUNTEERS, "SQLite")
    return lines


# --- the database -----------------------------------------------------------------------------


def _database_url() -> str:
    from benchmarks.load import ensure_database

    return ensure_database(DB_NAME).replace("postgresql://", "postgresql+psycopg://", 1)


def _app(url: str):
    from app import create_app
    from app.config import Config

    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    config.RATELIMIT_ENABLED = False
    return create_app(config)


def _teams_for(volunteers: int) -> int:
    return max(volunteers // VOLUNTEERS_PER_TEAM, 1)


def _fingerprint(db, volunteers: int) -> str:
    tables = db.metadata.tables
    parts = [f"n={volunteers}", f"teams={_teams_for(volunteers)}", "v1"]
    for name in FILLED_TABLES:
        for column in tables[name].columns:
            parts.append(f"{name}.{column.name}:{column.type}:{column.nullable}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _stored_fingerprint(conn) -> str | None:
    try:
        row = conn.execute("select value from bench_meta where key = 'matching'").fetchone()
    except Exception:  # noqa: BLE001 - no table yet
        return None
    return row[0] if row else None


def _rebuild(db, plain_url: str, fingerprint: str) -> None:
    import psycopg

    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    db.engine.dispose()
    db.create_all()
    tables = db.metadata.tables
    rng = random.Random(2026)
    # Secondary indexes are built once after the load: much faster than row by row.
    indexes = [ix for name in FILLED_TABLES for ix in tables[name].indexes]
    for index in indexes:
        index.drop(bind=db.engine)
    with psycopg.connect(plain_url) as conn:
        for name, rows in _population(rng, VOLUNTEERS):
            _copy(conn, tables[name], rows)
        conn.execute("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), %s)", (VOLUNTEERS,))
        conn.execute("CREATE TABLE bench_meta (key text primary key, value text)")
        conn.execute("INSERT INTO bench_meta VALUES ('matching', %s)", (fingerprint,))
        conn.commit()
    _ensure_indexes(db)


def _rebuild_sqlite(db, fingerprint: str) -> None:
    import sqlite3

    db.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
    db.create_all()
    tables = db.metadata.tables
    indexes = [ix for name in FILLED_TABLES for ix in tables[name].indexes]
    for index in indexes:
        index.drop(bind=db.engine)
    db.engine.dispose()
    conn = sqlite3.connect(SQLITE_PATH)
    try:
        for name, rows in _population(random.Random(2026), SQLITE_VOLUNTEERS):
            table = tables[name]
            names = ", ".join(f'"{c.name}"' for c in table.columns)
            marks = ", ".join("?" for _ in table.columns)
            conn.executemany(
                f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
                ([_sqlite_value(v) for v in values] for values in _values(table, rows)),
            )
        conn.execute("CREATE TABLE bench_meta (key text primary key, value text)")
        conn.execute("INSERT INTO bench_meta VALUES ('matching', ?)", (fingerprint,))
        conn.commit()
    finally:
        conn.close()
    for index in indexes:
        index.create(bind=db.engine)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")


def _sqlite_value(value):
    """As SQLAlchemy stores it in SQLite: moments as ISO text, decimals as numbers."""
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, Decimal):
        return float(value)
    return value


def _ensure_indexes(db) -> None:
    """The model's indexes (a reused database gets any index added since)."""
    import psycopg

    for name in FILLED_TABLES:
        for index in db.metadata.tables[name].indexes:
            index.create(bind=db.engine, checkfirst=True)
    plain_url = db.engine.url.render_as_string(hide_password=False)
    with psycopg.connect(plain_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _population(rng: random.Random, volunteers: int):
    """(table name, rows) in the order they are loaded."""
    ids = range(1, volunteers + 1)
    yield "user", _users(ids)
    yield "user_role", ({"user_id": i, "role": "volunteer"} for i in ids)
    yield "volunteer_profile", _profiles(rng, ids)
    yield "team", _teams(rng, volunteers)


def _values(table, rows):
    """Each row (a dict) as a tuple in the table's column order; columns a row lacks get
    the model's default; JSON columns as text."""
    columns = list(table.columns)
    defaults = {}
    for column in columns:
        default = column.default
        if default is None:
            defaults[column.name] = None
        elif default.is_callable:
            try:
                defaults[column.name] = default.arg(None)
            except TypeError:
                defaults[column.name] = default.arg()
        else:
            defaults[column.name] = default.arg
    json_columns = {c.name for c in columns if c.type.__class__.__name__ == "JSON"}
    for row in rows:
        values = []
        for column in columns:
            value = row.get(column.name, defaults[column.name])
            if column.name in json_columns and value is not None:
                value = json.dumps(value)
            values.append(value)
        yield values


def _copy(conn, table, rows) -> None:
    """COPY ``rows`` (dicts) into ``table``."""
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    with conn.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for values in _values(table, rows):
                copy.write_row(values)


def _towns(rng: random.Random) -> list[tuple[float, float]]:
    return [(rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE)) for _ in range(150)]


def _point(rng: random.Random, towns) -> tuple[float, float]:
    if rng.random() < 0.6:
        lat, lon = rng.choice(towns)
        return (
            min(max(rng.gauss(lat, 0.08), LAT_RANGE[0]), LAT_RANGE[1]),
            min(max(rng.gauss(lon, 0.08), LON_RANGE[0]), LON_RANGE[1]),
        )
    return rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE)


def _users(ids):
    from werkzeug.security import generate_password_hash

    password_hash = generate_password_hash("bench-password")
    for i in ids:
        yield {
            "id": i,
            "username": None,
            "phone": f"+8615{i:09d}",
            "name": f"志愿者{i}",
            "password_hash": password_hash,
            "station_id": None,
            "active": True,
        }


def _skills_pool():
    from app.services.volunteers import VOLUNTEER_SKILLS

    common = ["shopping", "companionship", "meal_delivery", "cleaning", "medical_escort"]
    return VOLUNTEER_SKILLS, common


def _profiles(rng: random.Random, ids):
    from app.models.reach import reach_cell
    from app.models.vocab import skills_mask
    from app.models.windows import pack

    skills, common = _skills_pool()
    towns = _towns(rng)
    radii, radius_weights = (1, 3, 5, 10, 20, 30), (10, 25, 30, 20, 10, 5)
    for i in ids:
        lat, lon = _point(rng, towns)
        chosen = set(rng.sample(common, rng.randint(1, 2)))
        chosen.update(rng.sample(skills, rng.randint(0, 2)))
        days = rng.sample(range(7), rng.randint(1, 7))
        start = rng.choice(("08:00", "09:00", "13:00", "18:00"))
        end = {"08:00": "12:00", "09:00": "17:00", "13:00": "18:00", "18:00": "21:00"}[start]
        lat, lon = round(lat, 6), round(lon, 6)
        radius = float(rng.choices(radii, radius_weights)[0])
        windows = [{"day": d, "start": start, "end": end} for d in sorted(days)]
        yield {
            "user_id": i,
            "skills": sorted(chosen),
            # COPY skips the model: the same cell, bits and windows as VolunteerProfile keeps.
            "skill_bits": skills_mask(chosen),
            "reach_cell": reach_cell(lat, lon, radius),
            "availability": windows,
            "window_code": pack(windows),
            "home_lat": lat,
            "home_lon": lon,
            "radius_km": radius,
            "open_task_limit": 2,
            "status": rng.choices(("approved", "pending", "suspended"), (90, 6, 4))[0],
            "vetted_for_children": rng.random() < 0.2,
        }


def _teams(rng: random.Random, volunteers: int):
    skills, common = _skills_pool()
    towns = _towns(random.Random(2026))
    for i in range(1, _teams_for(volunteers) + 1):
        lat, lon = _point(rng, towns)
        yield {
            "id": i,
            "name": f"志愿服务队{i}",
            "kind": "volunteer_team",
            "leader_id": rng.randint(1, volunteers),
            "skills": sorted(set(rng.sample(skills, rng.randint(2, 5)))),
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "radius_km": 15.0,
            "open_task_limit": 5,
            "active": True,
            # Half the teams have weekly times; the rest follow their members (one query).
            "availability": (
                [{"day": d, "start": "08:00", "end": "20:00"} for d in range(7)] if i % 2 else []
            ),
        }


# --- the measurement ---------------------------------------------------------------------------


def _measure(db, volunteers: int, database: str) -> list[str]:
    from sqlalchemy import event, text

    from app.models import HelpRequest
    from app.models.base import utcnow
    from app.services import matching
    from app.services.volunteers import VOLUNTEER_SKILLS

    rng = random.Random(7)
    towns = _towns(random.Random(2026))
    requests = []
    for i in range(MATCHES + 20):
        lat, lon = _point(rng, towns)
        requests.append(
            HelpRequest(
                code=f"BENCH{i}",
                category=rng.choice(VOLUNTEER_SKILLS),
                lat=lat,
                lon=lon,
                contact_phone=f"+86137{i:08d}",
                special_groups=["left_behind_child"] if rng.random() < 0.1 else [],
                wanted_at=utcnow() + timedelta(hours=rng.randint(1, 96))
                if rng.random() < 0.2
                else None,
                status="accepted",
                station_id=1,
            )
        )
    # Time spent between sending each statement and having its rows (the database's part).
    sql = {"seconds": 0.0, "statements": 0}

    def before(conn, *_args):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, *_args):
        sql["seconds"] += time.perf_counter() - conn.info.pop("bench_started")
        sql["statements"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    timings, found, sql_ms, statements, bare = [], [], [], [], []
    python_ms = []  # this process's CPU time per match: nearly independent of the load
    server_cpu = None
    round_p95: list[float] = []
    try:
        for round_index in range(ROUNDS):
            round_timings = []
            for index, request in enumerate(requests):
                if round_index > 0 and index < 20:
                    continue  # warmed up in the first round
                if index == 20 and round_index == 0:
                    server_cpu = _server_cpu_seconds(db)
                # Every caller matches inside a transaction it has already begun: the
                # offer round reads the request's offers and claims first, the request
                # page reads the request. So here: psycopg's BEGIN is a round trip of
                # its own, sent with a transaction's first statement, and it is not
                # matching's (until the thirteenth pass each timed match paid it).
                db.session.execute(text("SELECT 1")).scalar()
                sql.update(seconds=0.0, statements=0)
                cpu_started = time.process_time()
                started = time.perf_counter()
                candidates = matching.find_candidates(request, limit=10)
                elapsed = (time.perf_counter() - started) * 1000
                cpu_ms = (time.process_time() - cpu_started) * 1000
                in_database_ms, in_statements = sql["seconds"] * 1000, sql["statements"]
                started = time.perf_counter()
                db.session.execute(text("SELECT 1")).scalar()
                bare_ms = (time.perf_counter() - started) * 1000
                # Each matching ends as the app ends a request or a job's unit: with a
                # commit (LinliFlask.dispatch_request, unit_of_work). A rollback would also
                # make psycopg drop its prepared statements, which the app keeps.
                db.session.commit()
                db.session.expunge_all()
                if index >= 20:  # warm-up
                    timings.append(elapsed)
                    round_timings.append(elapsed)
                    python_ms.append(cpu_ms)
                    found.append(len(candidates))
                    sql_ms.append(in_database_ms)  # not the bare statement's
                    statements.append(in_statements)
                    bare.append(bare_ms)
            round_p95.append(_percentile(round_timings, 0.95))
        if server_cpu is not None:
            server_cpu = _server_cpu_seconds(db) - server_cpu
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
    p50, p99 = _percentile(timings, 0.5), _percentile(timings, 0.99)
    p95 = statistics.median(round_p95)
    per_round = " / ".join(f"{ms:.1f}" for ms in round_p95)
    server = (
        f", the PostgreSQL server process {server_cpu * 1000 / len(timings):.2f} ms (with the BEGIN, the commit and the bare SELECT 1s)"
        if server_cpu is not None
        else ""
    )
    target = TARGET_P95_MS[db.engine.dialect.name]
    verdict = "meets" if p95 <= target else "MISSES"  # on the median round's p95
    return [
        f"matching over {volunteers:,} volunteers ({database}), "
        f"{len(timings) // ROUNDS} requests at random points, {ROUNDS} rounds:",
        f"  p50 {p50:.1f} ms   p95 {p95:.1f} ms (median of the rounds' {per_round}; "
        f"all together {_percentile(timings, 0.95):.1f})   p99 {p99:.1f} ms   "
        f"max {max(timings):.1f} ms",
        f"  of which in the database (statement sent to rows read): "
        f"median {statistics.median(sql_ms):.1f} ms, "
        f"{statistics.median(statements):.0f} statements; the rest is Python",
        f"  CPU time per request (load-independent): this process (Python and the driver) "
        f"median {statistics.median(python_ms):.2f} ms{server}",
        f"  bare statement (SELECT 1 through the same session): "
        f"p50 {_percentile(bare, 0.5):.2f} ms   p95 {_percentile(bare, 0.95):.2f} ms",
        f"  candidates per request: median {statistics.median(found):.0f}, "
        f"none for {sum(1 for n in found if n == 0)} requests",
        f"  target p95 <= {target:.0f} ms: {verdict}",
        f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} during the run",
    ]


def _server_cpu_seconds(db) -> float | None:
    """CPU time the session's PostgreSQL server process has used so far, from /proc (a
    local server only; None elsewhere)."""
    from sqlalchemy import text

    if db.engine.dialect.name != "postgresql":
        return None
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
    db.session.commit()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]

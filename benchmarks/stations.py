"""A signed-in request at a province's scale: does its cost grow with the stations?

Every signed-in request reads the user, with their roles, station and profile and the
station tree's stamp, in one statement; a worker's pages then ask which stations they read
(the tree, kept per process and stamp: app/services/access.py). Measured in process on
PostgreSQL, one signed-in unit of work after another (the user loaded, the worker's
stations worked out, the commit), with a county's stations and with a province's
(``BENCH_PROVINCE_COUNTIES`` county centres of ``BENCH_PROVINCE_TOWNSHIPS`` township
stations each: 150 × 20, 3,150 stations), each in its own kept database
(``linli_bench_stations_<n>``). Run through ``make bench`` (``--only stations``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from benchmarks.load import ROOT, _env, ensure_database

COUNTIES = int(os.environ.get("BENCH_PROVINCE_COUNTIES", "150"))
TOWNSHIPS = int(os.environ.get("BENCH_PROVINCE_TOWNSHIPS", "20"))
UNITS = 2000
WORKER = "bench-station-worker"


def fill(counties: int, townships: int) -> int:
    """County centres with their township stations, and one social worker at the first
    township (once per database): how many stations there are."""
    from sqlalchemy import func, insert, select

    from app.extensions import db
    from app.models import Region, Station, User, UserRole

    have = db.session.scalar(select(func.count()).select_from(Station))
    if have:
        return have
    for c in range(counties):
        county = Region(code=f"41{c:04d}000000", name=f"县{c}", level="county", lat=34.0, lon=113.0)
        db.session.add(county)
        db.session.flush()
        centre = Station(name=f"县{c}指导中心", kind="county_centre", region=county, phone="1")
        db.session.add(centre)
        db.session.flush()
        db.session.execute(
            insert(Station),
            [
                {
                    "name": f"县{c}第{t}街道社工站",
                    "kind": "township_station",
                    "region_id": county.id,
                    "parent_id": centre.id,
                    "phone": "1",
                }
                for t in range(townships)
            ],
        )
    first = db.session.scalar(
        select(Station.id).where(Station.kind == "township_station").order_by(Station.id)
    )
    worker = User(
        username=WORKER, phone="+8613900009999", name="社工", station_id=first, password_hash="!"
    )  # no password: the bench signs in through the loader
    db.session.add(worker)
    db.session.flush()
    db.session.add(UserRole(user_id=worker.id, role="social_worker"))
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(Station))


def measure(units: int = UNITS) -> dict[str, float]:
    """p50/p95 wall time and the mean CPU of this process, per signed-in unit of work."""
    from flask import session
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.security import SESSION_VERSION_KEY, load_user
    from app.services.access import visible_station_ids

    worker_id = db.session.scalar(select(User.id).where(User.username == WORKER))
    session[SESSION_VERSION_KEY] = db.session.get(User, worker_id).session_version or 0
    db.session.commit()

    def unit() -> int:
        user = load_user(str(worker_id))
        seen = len(visible_station_ids(user))
        db.session.commit()
        db.session.expunge_all()
        return seen

    for _ in range(
        min(200, units)
    ):  # warm: the first read of the tree is once per process and stamp
        unit()
    walls = []
    cpu = time.process_time()
    for _ in range(units):
        started = time.perf_counter()
        seen = unit()
        walls.append((time.perf_counter() - started) * 1000)
    cpu = (time.process_time() - cpu) * 1000 / units
    walls.sort()
    return {
        "p50": walls[len(walls) // 2],
        "p95": walls[int(len(walls) * 0.95)],
        "cpu": cpu,
        "seen": seen,
    }


def _in_database(url: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.stations", *args],
        cwd=ROOT,
        env=_env(url),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(label: str, figures: dict) -> str:
    return (
        f"  {label:<34} p50 {figures['p50']:5.2f} ms  p95 {figures['p95']:5.2f} ms  "
        f"CPU here {figures['cpu']:5.2f} ms  (stations the worker reads: {figures['seen']})"
    )


def run() -> list[str]:
    lines = ["signed-in unit of work (user, roles, stations read, commit), PostgreSQL, in process:"]
    results = []
    for counties, townships in ((1, 30), (COUNTIES, TOWNSHIPS)):
        url = ensure_database(f"linli_bench_stations_{counties * (townships + 1)}")
        subprocess.run(
            [sys.executable, "-m", "flask", "db", "upgrade"],
            cwd=ROOT,
            env=_env(url),
            check=True,
            capture_output=True,
        )
        figures = _in_database(url, "fill-and-measure", str(counties), str(townships))
        results.append(figures)
        lines.append(_line(f"{figures['stations']:,} stations", figures))
    small, large = results
    lines.append(
        f"  p50 with {large['stations']:,} stations: {large['p50'] / small['p50']:.2f}× "
        f"that with {small['stations']:,} (flat: about 1×)"
    )
    return lines


if __name__ == "__main__":
    from app import create_app

    app = create_app()
    counties, townships = int(sys.argv[2]), int(sys.argv[3])
    with app.test_request_context("/"):
        stations = fill(counties, townships)
        print(json.dumps({**measure(), "stations": stations}))

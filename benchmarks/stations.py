"""A signed-in request at a province's scale: does its cost grow with the stations?

Every signed-in request reads the user, with their roles, station and profile and the
station tree's stamp, in one statement; a worker's pages then ask which stations they read
(the tree, kept per process and stamp: app/services/access.py). Measured in process on
PostgreSQL, one signed-in unit of work after another (the user loaded, the worker's
stations worked out, the commit), with a county's stations and with a province's
(``BENCH_PROVINCE_COUNTIES`` county centres of ``BENCH_PROVINCE_TOWNSHIPS`` township
stations each: 150 × 20, 3,150 stations), with a social worker at every township station,
for a township station's worker and for a county centre's (who acts for the stations
without staff of their own), each size in its own kept database
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
WORKER = "bench-station-worker"  # a township station's
CENTRE = "bench-centre-worker"  # the first county centre's


def fill(counties: int, townships: int) -> int:
    """County centres with their township stations, a social worker at every township
    station (``WORKER`` at the first) and one at the first county centre (``CENTRE``),
    once per database: how many stations there are."""
    from sqlalchemy import func, insert, select

    from app.extensions import db
    from app.models import Region, Station, User, UserRole

    if not db.session.scalar(select(func.count()).select_from(Station)):
        for c in range(counties):
            county = Region(
                code=f"41{c:04d}000000", name=f"县{c}", level="county", lat=34.0, lon=113.0
            )
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
    if db.session.scalar(select(User.id).where(User.username == CENTRE)) is None:
        first_centre = db.session.scalar(
            select(Station.id).where(Station.kind == "county_centre").order_by(Station.id)
        )
        townships_ids = db.session.scalars(
            select(Station.id).where(Station.kind == "township_station").order_by(Station.id)
        ).all()
        staff = [(CENTRE, first_centre)] + [
            (WORKER if n == 0 else f"bench-worker-{station_id}", station_id)
            for n, station_id in enumerate(townships_ids)
        ]
        taken = set(db.session.scalars(select(User.username)))
        rows = [
            {
                "username": name,
                "phone": f"+86139{station_id:08d}",
                "name": "社工",
                "station_id": station_id,
                "password_hash": "!",  # no password: the bench signs in through the loader
            }
            for name, station_id in staff
            if name not in taken
        ]
        ids = db.session.scalars(insert(User).returning(User.id), rows).all()
        db.session.execute(
            insert(UserRole), [{"user_id": user_id, "role": "social_worker"} for user_id in ids]
        )
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(Station))


def measure(username: str = WORKER, units: int = UNITS) -> dict[str, float]:
    """p50/p95 wall time and the mean CPU of this process, per signed-in unit of work of
    ``username``: the user loaded, the stations they read and those they act for (the
    queue asks both), the commit."""
    from flask import session
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.security import SESSION_VERSION_KEY, load_user
    from app.services.access import acting_station_ids, visible_station_ids

    worker_id = db.session.scalar(select(User.id).where(User.username == username))
    session[SESSION_VERSION_KEY] = db.session.get(User, worker_id).session_version or 0
    db.session.commit()

    def unit() -> int:
        user = load_user(str(worker_id))
        seen = len(visible_station_ids(user))
        acting_station_ids(user)
        db.session.commit()
        db.session.expunge_all()
        return seen

    for _ in range(min(200, units)):  # warm: a process reads the tree once per stamp
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
        f"  {label:<44} p50 {figures['p50']:5.2f} ms  p95 {figures['p95']:5.2f} ms  "
        f"CPU here {figures['cpu']:5.2f} ms  (stations read: {figures['seen']})"
    )


WHO = (("township", "township station worker"), ("centre", "county centre worker"))


def run() -> list[str]:
    lines = [
        "signed-in unit of work (user, roles, stations read and acted for, commit), "
        "PostgreSQL, in process; a social worker at every township station:"
    ]
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
        for key, who in WHO:
            lines.append(_line(f"{figures['stations']:,} stations, {who}", figures[key]))
    small, large = results
    for key, who in WHO:
        lines.append(
            f"  {who}: p50 with {large['stations']:,} stations "
            f"{large[key]['p50'] / small[key]['p50']:.2f}× that with {small['stations']:,} "
            "(flat: about 1×)"
        )
    return lines


if __name__ == "__main__":
    from app import create_app

    app = create_app()
    counties, townships = int(sys.argv[2]), int(sys.argv[3])
    with app.test_request_context("/"):
        stations = fill(counties, townships)
        print(
            json.dumps(
                {"stations": stations, "township": measure(WORKER), "centre": measure(CENTRE)}
            )
        )

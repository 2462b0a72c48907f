"""One Alembic history upgrades an empty database and matches the models (flask db check)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

ROOT = Path(__file__).resolve().parent.parent


def _flask(args, url):
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="wsgi.py")
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def empty_database(database_url, tmp_path):
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    from tests.conftest import _create_pg_database, _drop_pg_database

    name, url = _create_pg_database()
    yield url
    _drop_pg_database(name)


def test_upgrade_from_empty_then_check_finds_no_pending_changes(empty_database):
    upgrade = _flask(["db", "upgrade"], empty_database)
    assert upgrade.returncode == 0, upgrade.stderr
    check = _flask(["db", "check"], empty_database)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    from app.config import normalise_database_url

    engine = create_engine(normalise_database_url(empty_database))
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"help_request", "request_event", "outbox_message", "region", "station"} <= tables


def _insert(conn, table, **values):
    """A row with ``values``, every other NOT NULL column filled with a plain value."""
    from datetime import datetime

    import sqlalchemy as sa

    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        kind = column.type
        if isinstance(kind, sa.Boolean):
            values[column.name] = False
        elif isinstance(kind, sa.DateTime):
            values[column.name] = datetime(2026, 10, 1, 2, 0)
        elif isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
            values[column.name] = 0
        elif isinstance(kind, sa.JSON):
            values[column.name] = []
        else:
            values[column.name] = ""
    return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def test_issue15_backfill_counts_what_was_recorded_before(empty_database):
    """Records written before the counting rule get their group bits, village and (for a
    social worker's claim) source and worker; every earlier home visit gets one record."""
    import sqlalchemy as sa

    from app.config import normalise_database_url

    old = _flask(["db", "upgrade", "a13g3delivery"], empty_database)
    assert old.returncode == 0, old.stderr
    engine = create_engine(normalise_database_url(empty_database))
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as conn:
        county = _insert(conn, t["region"], code="1", name="县", level="county")
        village = _insert(conn, t["region"], code="2", name="村", level="village")
        station = _insert(conn, t["station"], name="站", kind="township_station", region_id=county)
        worker = _insert(conn, t["user"], name="社工", station_id=station)
        person = _insert(
            conn,
            t["beneficiary"],
            name="王奶奶",
            station_id=station,
            village_id=village,
            special_groups=["elderly_alone", "dibao"],
        )
        request = _insert(
            conn,
            t["help_request"],
            code="ABC",
            category="shopping",
            station_id=station,
            village_id=village,
            special_groups=["elderly_alone"],
        )
        claim = _insert(conn, t["claim"], request_id=request, worker_id=worker)
        record = _insert(
            conn,
            t["service_record"],
            request_id=request,
            claim_id=claim,
            station_id=station,
            category="shopping",
            special_groups=["elderly_alone"],
            hours=1,
            person_times=1,
        )
        visit = _insert(
            conn, t["visit"], beneficiary_id=person, worker_id=worker, station_id=station
        )
    engine.dispose()

    new = _flask(["db", "upgrade"], empty_database)
    assert new.returncode == 0, new.stderr
    engine = create_engine(normalise_database_url(empty_database))
    with engine.connect() as conn:
        mask = conn.execute(sa.text("select groups_mask from beneficiary")).scalar_one()
        rows = conn.execute(
            sa.text(
                "select id, source, worker_id, village_id, groups_mask, visit_id, category,"
                " beneficiary_id, station_id, person_times from service_record order by id"
            )
        ).all()
    engine.dispose()
    assert mask == 4 | 16
    assert [tuple(r) for r in rows] == [
        (record, "worker", worker, village, 4, None, "shopping", None, station, 1),
        (rows[1][0], "visit", worker, village, 4 | 16, visit, "home_visit", person, station, 1),
    ]


def test_issue17_backfill_gives_every_volunteer_the_cell_the_model_keeps(empty_database):
    """Profiles written before the reach cell get theirs, and their skill bits."""
    import sqlalchemy as sa

    from app.config import normalise_database_url
    from app.models.reach import reach_cell
    from app.models.vocab import CATEGORY_BITS

    old = _flask(["db", "upgrade", "a15snap"], empty_database)
    assert old.returncode == 0, old.stderr
    engine = create_engine(normalise_database_url(empty_database))
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as conn:
        placed = _insert(conn, t["user"], name="甲", phone="+8613900000001")
        unplaced = _insert(conn, t["user"], name="乙", phone="+8613900000002")
        for user, lat, lon in ((placed, 34.76, 113.6), (unplaced, None, None)):
            _insert(
                conn,
                t["volunteer_profile"],
                user_id=user,
                skills=["shopping", "tutoring"],
                home_lat=lat,
                home_lon=lon,
                radius_km=12.0,
                status="approved",
            )
    engine.dispose()

    new = _flask(["db", "upgrade"], empty_database)
    assert new.returncode == 0, new.stderr
    engine = create_engine(normalise_database_url(empty_database))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("select user_id, reach_cell, skill_bits from volunteer_profile order by 1")
        ).all()
    engine.dispose()
    bits = CATEGORY_BITS["shopping"] | CATEGORY_BITS["tutoring"]
    assert [tuple(r) for r in rows] == [
        (placed, reach_cell(34.76, 113.6, 12.0), bits),
        (unplaced, None, bits),
    ]


def test_issue17_a_radius_beyond_30_km_moves_to_the_last_reach_class(empty_database):
    """Revision a17knn gives a radius beyond 30 km the new last class's cell (the 30 km
    class is read in its disc since); other cells stay; downgrading puts them back."""
    import math

    import sqlalchemy as sa

    from app.config import normalise_database_url
    from app.models.reach import reach_cell

    assert _flask(["db", "upgrade", "a17pages"], empty_database).returncode == 0
    side = 10.0 / 111.32
    before = (5 * 10**5 + math.floor((34.76 + 90) / side)) * 10**5 + math.floor(
        (113.6 + 180) / side
    )
    engine = create_engine(normalise_database_url(empty_database))
    meta = sa.MetaData()
    meta.reflect(engine, only=["user", "volunteer_profile"])
    t = meta.tables
    with engine.begin() as conn:
        far = _insert(conn, t["user"], name="甲", phone="+8613900000001")
        near = _insert(conn, t["user"], name="乙", phone="+8613900000002")
        for user, radius, cell in ((far, 45.0, before), (near, 12.0, reach_cell(34.76, 113.6, 12))):
            _insert(
                conn,
                t["volunteer_profile"],
                user_id=user,
                home_lat=34.76,
                home_lon=113.6,
                radius_km=radius,
                reach_cell=cell,
                status="approved",
            )
    engine.dispose()

    def cells():
        engine = create_engine(normalise_database_url(empty_database))
        with engine.connect() as conn:
            found = conn.execute(sa.text("select reach_cell from volunteer_profile order by 1"))
            found = [row[0] for row in found]
        engine.dispose()
        return found

    assert _flask(["db", "upgrade"], empty_database).returncode == 0
    assert sorted(cells()) == sorted([reach_cell(34.76, 113.6, 45.0), reach_cell(34.76, 113.6, 12)])
    assert reach_cell(34.76, 113.6, 45.0) != before
    assert _flask(["db", "downgrade", "a17pages"], empty_database).returncode == 0
    assert sorted(cells()) == sorted([before, reach_cell(34.76, 113.6, 12)])


def test_issue17_profiles_get_the_packed_windows_the_model_keeps(empty_database):
    """Revision a20win packs each profile's weekly windows (the reach index carries them on
    PostgreSQL) as the model does; downgrading drops the column again."""
    import sqlalchemy as sa

    from app.config import normalise_database_url
    from app.models.windows import pack

    assert _flask(["db", "upgrade", "a18wishb"], empty_database).returncode == 0
    night = [
        {"day": 6, "start": "22:00", "end": "06:00"},
        {"day": 2, "start": "09:00", "end": "12:00"},
    ]
    engine = create_engine(normalise_database_url(empty_database))
    meta = sa.MetaData()
    meta.reflect(engine, only=["user", "volunteer_profile"])
    t = meta.tables
    with engine.begin() as conn:
        users = [
            _insert(conn, t["user"], name=n, phone=f"+861390000000{i}")
            for i, n in enumerate("甲乙")
        ]
        for user, windows in zip(users, (night, []), strict=True):
            _insert(
                conn,
                t["volunteer_profile"],
                user_id=user,
                availability=windows,
                home_lat=34.76,
                home_lon=113.6,
                radius_km=5.0,
                status="approved",
            )
    engine.dispose()

    def columns():
        engine = create_engine(normalise_database_url(empty_database))
        names = {c["name"] for c in inspect(engine).get_columns("volunteer_profile")}
        rows = None
        if "window_code" in names:
            with engine.connect() as conn:
                query = sa.text("select user_id, window_code from volunteer_profile order by 1")
                rows = [(r[0], bytes(r[1])) for r in conn.execute(query)]
        engine.dispose()
        return names, rows

    upgrade = _flask(["db", "upgrade"], empty_database)
    assert upgrade.returncode == 0, upgrade.stderr
    names, rows = columns()
    assert rows == [(users[0], pack(night)), (users[1], b"")] and len(pack(night)) == 12
    assert _flask(["db", "downgrade", "a18wishb"], empty_database).returncode == 0
    names, rows = columns()
    assert "window_code" not in names and "availability" in names


def test_issue17_the_station_trees_stamp_changes_with_the_tree_and_goes_on_downgrade(
    empty_database,
):
    """Revision a21tree adds the stamp's row and the triggers that draw it anew when a
    station is added, moved or removed; downgrading drops them, and stations can still be
    written."""
    import sqlalchemy as sa

    from app.config import normalise_database_url

    assert _flask(["db", "upgrade", "a20win"], empty_database).returncode == 0
    upgrade = _flask(["db", "upgrade"], empty_database)
    assert upgrade.returncode == 0, upgrade.stderr

    engine = create_engine(normalise_database_url(empty_database))
    meta = sa.MetaData()
    meta.reflect(engine, only=["region", "station"])
    region, station = meta.tables["region"], meta.tables["station"]
    stamp = sa.text("select stamp from station_tree_stamp where id = 1")
    with engine.begin() as conn:
        first = conn.scalar(stamp)
        county = _insert(conn, region, code="410100000000", name="示范区", level="county")
        centre = _insert(conn, station, name="中心", kind="county_centre", region_id=county)
    with engine.begin() as conn:
        added = conn.scalar(stamp)
        room = _insert(conn, station, name="村室", kind="village_room", region_id=county)
    with engine.begin() as conn:
        second = conn.scalar(stamp)
        conn.execute(station.update().where(station.c.name == "中心").values(phone="110"))
        renamed = conn.scalar(stamp)
    with engine.begin() as conn:
        conn.execute(station.update().where(station.c.id == room).values(parent_id=centre))
        moved = conn.scalar(stamp)
    with engine.begin() as conn:
        conn.execute(station.delete().where(station.c.id == room))
        removed = conn.scalar(stamp)
    engine.dispose()
    assert first is not None and added != first and second != added
    assert renamed == second  # a new phone is not a new tree
    assert moved != renamed and removed != moved

    assert _flask(["db", "downgrade", "a20win"], empty_database).returncode == 0
    engine = create_engine(normalise_database_url(empty_database))
    assert "station_tree_stamp" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        _insert(conn, station, name="又一个", kind="village_room", region_id=county)
    engine.dispose()

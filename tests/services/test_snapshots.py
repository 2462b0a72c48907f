"""The dashboards' snapshots (app/services/snapshots.py, issue 15 item 7): a scope's
figures counted once and read while young, equal to counting them now; never a name in
what is kept; one snapshot per scope and period; counted again by the worker while in
use, deleted when not; and the dashboard pages reading them, on SQLite and PostgreSQL.

The data set and clock are test_stats.py's (2026-11-20 12:00 Asia/Shanghai).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.jobs import snapshots as snapshot_jobs
from app.jobs.scheduler import _jobs
from app.models import Beneficiary, StatsSnapshot
from app.services import snapshots, stats
from tests.services import test_stats as known
from tests.services.test_stats import NOVEMBER, NOW, record

clock = known.clock  # the fixtures of test_stats.py's data set, used here as they are
data = known.data


@pytest.fixture
def kept(app, monkeypatch):
    """Snapshots on, as in production (the tests' config counts at each view)."""
    monkeypatch.setitem(app.config, "STATS_MAX_AGE_SECONDS", 120)
    monkeypatch.setitem(app.config, "STATS_KEEP_VIEWED_HOURS", 24)
    return app


def station_scope(data):
    ids = (data.world.station_a.id, data.world.room_a1.id)
    return stats.Scope(tuple(sorted(ids)), frozenset(ids), False)


def county_scope(data):
    station_ids = [
        data.world.station_a.id,
        data.world.room_a1.id,
        data.world.station_b.id,
        data.world.county_centre.id,
    ]
    return stats.Scope(tuple(sorted(station_ids)), frozenset(), True)


class Statements:
    def __init__(self):
        self.sql: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args):
        self.sql.append(statement)


@pytest.fixture
def statements(app):
    seen = Statements()
    event.listen(db.engine, "before_cursor_execute", seen)
    yield seen
    event.remove(db.engine, "before_cursor_execute", seen)


def another_process():
    """As another app server would: nothing read yet, so the row's figures are read."""
    snapshots._READ.clear()


def snapshot_rows() -> list[StatsSnapshot]:
    db.session.expire_all()  # the upsert is a plain statement: read the rows afresh
    return list(db.session.scalars(select(StatsSnapshot).order_by(StatsSnapshot.id)))


# --- what a snapshot gives is what counting now gives ----------------------------------------


@pytest.mark.parametrize("which", ["station", "county"])
def test_a_kept_snapshot_reads_back_equal_to_counting_now(kept, data, which):
    scope = station_scope(data) if which == "station" else county_scope(data)
    first = snapshots.dashboard_figures(scope, NOVEMBER)
    db.session.commit()
    another_process()
    again = snapshots.dashboard_figures(scope, NOVEMBER)
    live = stats.figures(scope, NOVEMBER)
    trend = stats.month_trend(scope, NOVEMBER)
    assert first.kept and again.kept
    assert again.figures == live == first.figures
    assert again.trend == trend == first.trend
    # the numbers the issue's own data set gives (test_stats.py), read from the snapshot
    if which == "station":
        assert again.figures.total.person_times > 0
        assert isinstance(again.figures.total.hours, Decimal)
        assert any(c.not_reached for c in again.figures.coverage)  # names, read now


def test_the_second_view_reads_one_row_instead_of_counting(kept, data, statements):
    scope = county_scope(data)
    snapshots.dashboard_figures(scope, NOVEMBER)
    db.session.commit()
    counted = len(statements.sql)

    def selects_of_a_view() -> list[str]:
        statements.sql.clear()
        snapshots.dashboard_figures(scope, NOVEMBER)
        return [sql for sql in statements.sql if sql.lstrip().upper().startswith("SELECT")]

    assert counted >= 8  # figures and trend: a dozen aggregate statements
    # this process stored it: one narrow SELECT of its version (the county viewer has
    # no names to read)
    (only,) = selects_of_a_view()
    assert "stats_snapshot" in only and "data" not in only.split("FROM")[0]
    another_process()
    narrow, figures = selects_of_a_view()  # its version, then its figures, once
    assert "stats_snapshot.data" in figures
    assert len(selects_of_a_view()) == 1


def test_no_name_is_ever_kept(kept, data):
    """A station worker's view shows names of people not reached; the row keeps none."""
    counted = snapshots.dashboard_figures(station_scope(data), NOVEMBER)
    shown = {p.name for c in counted.figures.coverage for p in c.not_reached}
    assert shown - {None}
    db.session.commit()
    (row,) = snapshot_rows()
    names = set(db.session.scalars(select(Beneficiary.name)))
    assert names and not any(name in row.data for name in names)
    assert '"serving_ids": []' in row.data


def test_each_scope_and_period_has_its_own_snapshot(kept, data):
    a = snapshots.dashboard_figures(station_scope(data), NOVEMBER)
    b_scope = stats.Scope((data.world.station_b.id,), frozenset({data.world.station_b.id}))
    b = snapshots.dashboard_figures(b_scope, NOVEMBER)
    county = snapshots.dashboard_figures(county_scope(data), NOVEMBER)
    october = snapshots.dashboard_figures(station_scope(data), stats.month_period(2026, 10))
    db.session.commit()
    assert len(snapshot_rows()) == 4
    assert b.figures == stats.figures(b_scope, NOVEMBER)
    assert a.figures.total != b.figures.total
    assert county.figures.total.person_times == sum(
        row.served.person_times for row in county.figures.stations
    )
    assert october.figures.period == stats.month_period(2026, 10)
    # station B's viewer never gets station A's people, even from a shared snapshot
    again = snapshots.dashboard_figures(b_scope, NOVEMBER)
    listed = {p.station_id for c in again.figures.coverage for p in c.not_reached}
    assert listed <= {data.world.station_b.id}


# --- young, old, fresh ----------------------------------------------------------------------


def add_november_record(data):
    record(data.world.station_a, datetime(2026, 11, 19, 2), hours="4.00", person_times=7)
    db.session.commit()


def test_a_young_snapshot_is_read_an_old_one_counted_again(kept, data, clock):
    scope = station_scope(data)
    before = snapshots.dashboard_figures(scope, NOVEMBER).figures.total.person_times
    db.session.commit()
    add_november_record(data)
    clock.advance(seconds=119)
    young = snapshots.dashboard_figures(scope, NOVEMBER)
    assert young.figures.total.person_times == before  # as counted at 12:00
    assert young.computed_at == NOW
    clock.advance(seconds=2)  # 121 s: older than STATS_MAX_AGE_SECONDS
    old = snapshots.dashboard_figures(scope, NOVEMBER)
    assert old.figures.total.person_times == before + 7
    assert old.computed_at == NOW + timedelta(seconds=121)


def test_count_again_now_counts_unless_counted_in_the_last_half_minute(kept, data, clock):
    scope = station_scope(data)
    before = snapshots.dashboard_figures(scope, NOVEMBER).figures.total.person_times
    db.session.commit()
    add_november_record(data)
    clock.advance(seconds=20)
    assert snapshots.dashboard_figures(scope, NOVEMBER, fresh=True).figures.total.person_times == (
        before
    )
    clock.advance(seconds=15)
    fresh = snapshots.dashboard_figures(scope, NOVEMBER, fresh=True)
    assert fresh.figures.total.person_times == before + 7
    db.session.commit()
    (row,) = snapshot_rows()
    assert row.computed_at == NOW + timedelta(seconds=35)


def test_max_age_zero_keeps_nothing_and_counts_each_view(app, data):
    assert app.config["STATS_MAX_AGE_SECONDS"] == 0  # the tests' config
    counted = snapshots.dashboard_figures(station_scope(data), NOVEMBER)
    db.session.commit()
    assert not counted.kept and snapshot_rows() == []
    assert counted.figures == stats.figures(station_scope(data), NOVEMBER)


def test_a_snapshot_that_cannot_be_read_is_counted_again(kept, data):
    scope = station_scope(data)
    snapshots.dashboard_figures(scope, NOVEMBER)
    db.session.commit()
    (row,) = snapshot_rows()
    broken = json.loads(row.data)
    broken["figures"]["total"]["hours"] = {"not": "a number"}
    row.data = json.dumps(broken)
    row.version = "written-by-another-version"
    db.session.commit()
    again = snapshots.dashboard_figures(scope, NOVEMBER)
    assert again.figures == stats.figures(scope, NOVEMBER)
    db.session.commit()
    assert json.loads(snapshot_rows()[0].data)["figures"]["total"]["hours"] != {"not": "a number"}


def test_two_views_storing_the_same_key_leave_one_row(kept, data):
    scope = county_scope(data)
    key = snapshots.snapshot_key(scope, NOVEMBER)
    for _ in range(2):  # as two servers would, each not having seen the other's row
        snapshots._store(scope, NOVEMBER, key, NOW, viewed=True)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StatsSnapshot)) == 1


def test_viewing_notes_the_time_at_most_once_a_minute(kept, data, clock):
    scope = county_scope(data)
    snapshots.dashboard_figures(scope, NOVEMBER)
    db.session.commit()
    clock.advance(seconds=30)
    snapshots.dashboard_figures(scope, NOVEMBER)
    db.session.commit()
    assert snapshot_rows()[0].viewed_at == NOW
    clock.advance(seconds=40)
    snapshots.dashboard_figures(scope, NOVEMBER)
    db.session.commit()
    assert snapshot_rows()[0].viewed_at == NOW + timedelta(seconds=70)


# --- the worker -----------------------------------------------------------------------------


def test_the_worker_counts_again_what_is_in_use_and_deletes_what_is_not(kept, data, clock):
    in_use = station_scope(data)
    forgotten = county_scope(data)
    snapshots.dashboard_figures(forgotten, NOVEMBER)
    db.session.commit()
    clock.advance(hours=25)  # nobody has viewed the county's page since
    snapshots.dashboard_figures(in_use, NOVEMBER)
    db.session.commit()
    assert snapshot_jobs.refresh_viewed_snapshots() == 0  # young: nothing to do yet
    add_november_record(data)
    clock.advance(seconds=61)  # past half of 120 s
    assert snapshot_jobs.refresh_viewed_snapshots() == 1
    assert snapshot_jobs.purge_unviewed_snapshots() == 1
    (row,) = snapshot_rows()
    assert row.station_ids == list(in_use.station_ids)
    assert row.computed_at == clock.at
    # a view now reads what the worker counted, with the new record
    view = snapshots.dashboard_figures(in_use, NOVEMBER)
    assert view.computed_at == clock.at
    assert view.figures == stats.figures(in_use, NOVEMBER)


def test_counting_again_does_not_keep_a_snapshot_in_use(kept, data, clock):
    """Only views keep a snapshot: one the worker counts again but nobody views goes."""
    snapshots.dashboard_figures(county_scope(data), NOVEMBER)
    db.session.commit()
    for _ in range(25):  # a day of hourly recounts, nobody looking
        clock.advance(hours=1)
        snapshot_jobs.refresh_viewed_snapshots()
    assert snapshot_rows()[0].viewed_at == NOW
    assert snapshot_jobs.purge_unviewed_snapshots() == 1
    assert snapshot_rows() == []


def test_the_worker_leaves_snapshots_alone_when_they_are_off(kept, data, clock, monkeypatch):
    snapshots.dashboard_figures(county_scope(data), NOVEMBER)
    db.session.commit()
    clock.advance(seconds=90)  # due, were snapshots on
    monkeypatch.setitem(kept.config, "STATS_MAX_AGE_SECONDS", 0)
    assert snapshots.due_for_refresh() == []
    assert snapshot_jobs.refresh_viewed_snapshots() == 0
    assert snapshot_rows()[0].computed_at == NOW


def test_a_snapshot_viewed_once_is_not_counted_all_day(kept, data, clock):
    """In use means viewed within ten max ages (20 minutes); after that the worker lets it
    be until a view counts it again or the purge takes it."""
    snapshots.dashboard_figures(county_scope(data), NOVEMBER)
    db.session.commit()
    clock.advance(minutes=19)
    assert snapshot_jobs.refresh_viewed_snapshots() == 1
    clock.advance(minutes=2)  # viewed 21 minutes ago
    assert snapshot_jobs.refresh_viewed_snapshots() == 0


def test_one_snapshot_failing_leaves_the_others(kept, data, clock, monkeypatch):
    a, county = station_scope(data), county_scope(data)
    snapshots.dashboard_figures(a, NOVEMBER)
    snapshots.dashboard_figures(county, NOVEMBER)
    db.session.commit()
    clock.advance(seconds=90)
    real = stats.figures

    def figures(scope, period, **kwargs):
        if scope.county:
            raise RuntimeError("the database went away")
        return real(scope, period, **kwargs)

    monkeypatch.setattr(stats, "figures", figures)
    assert snapshot_jobs.refresh_viewed_snapshots() == 1
    computed = {tuple(row.station_ids): row.computed_at for row in snapshot_rows()}
    assert computed[a.station_ids] == clock.at
    assert computed[county.station_ids] == NOW


def test_the_worker_runs_both_jobs(app):
    names = {job.name for job in _jobs()}
    assert {"count dashboards again", "delete unviewed dashboards"} <= names


def test_a_scope_keeps_its_last_viewed_snapshots_only(kept, data, clock):
    """Choosing one range of days after another does not fill the table."""
    scope, other = station_scope(data), county_scope(data)
    snapshots.dashboard_figures(other, NOVEMBER)
    first = datetime(2026, 1, 1)
    for day in range(snapshots.PER_SCOPE + 2):
        clock.advance(seconds=1)
        start = (first + timedelta(days=day)).date()
        snapshots.dashboard_figures(scope, stats.Period(start, start))
    db.session.commit()
    rows = snapshot_rows()
    mine = [row for row in rows if row.station_ids == list(scope.station_ids)]
    assert len(mine) == snapshots.PER_SCOPE
    assert min(row.period_start for row in mine).isoformat() == "2026-01-03"  # 1st, 2nd gone
    assert len(rows) == snapshots.PER_SCOPE + 1  # the county's stays

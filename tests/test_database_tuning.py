"""Each database runs as the app tunes it (app/__init__.py): PostgreSQL without JIT
compilation (it cost the county dashboard's aggregate queries more than they took to run,
benchmarks/county.py), SQLite in WAL mode."""

from sqlalchemy import text

from app.extensions import db


def test_each_database_runs_as_tuned(app, backend):
    if backend == "postgresql":
        assert db.session.execute(text("SHOW jit")).scalar() == "off"
    else:
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"

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


def test_long_statements_stay_parsed_on_postgresql(app, backend):
    """psycopg keeps a statement's placeholders worked out only up to a length and a
    number of parameters; the app raises both (app/__init__.py), so a statement as long
    as the station queue's (~7 KB, ~50 parameters) is parsed once, not at every page."""
    if backend != "postgresql":
        return
    from psycopg import _queries

    values = {f"p{i}": i for i in range(60)}
    long_statement = text(
        "SELECT " + " + ".join(f"CAST(:p{i} AS integer)" for i in range(60)) + " -- " + "x" * 6000
    )
    assert len(str(long_statement)) > 6000
    db.session.execute(long_statement, values)
    before = _queries._query2pg.cache_info().hits
    assert db.session.execute(long_statement, values).scalar() == sum(range(60))
    assert _queries._query2pg.cache_info().hits == before + 1
